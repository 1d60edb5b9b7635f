import { CmfCommand } from '../../cli/base-command.js';
import { mlmdFileFlag, pagingFlags } from '../../cli/flags.js';
import { writeOutput } from '../../cli/output.js';
import { openMlmdForReading } from '../../cli/open-mlmd.js';
import { visibleText } from '../../util/visible-text.js';
import { listPipelines, pipelineRow, type Row } from '../../cmf/query.js';

export default class PipelineList extends CmfCommand<Row[]> {
  static override summary = 'List the pipelines in an MLMD file.';
  static override description =
    'Prints one pipeline name per line (cmflib prints a Python list). --json prints each pipeline record.';
  static override examples = [
    '<%= config.bin %> pipeline list',
    '<%= config.bin %> pipeline list -f path/to/mlmd',
    '<%= config.bin %> pipeline list --json',
  ];
  // The paging flags do nothing here (one name a line, never paged) but are taken, so a script
  // can pass the same flags to all three list commands.
  static override flags = { file_name: mlmdFileFlag(), ...pagingFlags(true) };

  async run(): Promise<Row[]> {
    const { flags } = await this.parse(PipelineList);
    const store = openMlmdForReading(flags.file_name);
    try {
      const pipelines = listPipelines(store);
      if (!this.jsonEnabled()) {
        if (pipelines.length === 0) this.logToStderr(`No pipelines in ${store.path}.`);
        else writeOutput(pipelines.map((p) => visibleText(p.name) + '\n').join(''));
      }
      return pipelines.map(pipelineRow);
    } finally {
      store.close();
    }
  }
}
