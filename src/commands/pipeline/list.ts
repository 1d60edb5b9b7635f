import { CmfCommand } from '../../cli/base-command.js';
import { mlmdFileFlag, pagingFlags } from '../../cli/flags.js';
import { runPipelineList } from '../../cli/list-commands.js';
import type { Row } from '../../cmf/query.js';

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
    return runPipelineList(flags, this);
  }
}
