import { CmfCommand } from '../../cli/base-command.js';
import { executionUuidFlag, mlmdFileFlag, pagingFlags, pipelineFlag } from '../../cli/flags.js';
import { EXECUTION_COLUMNS, showDetails, showTable } from '../../cli/listing.js';
import { openMlmdForReading, requireNonEmpty, requireValue } from '../../cli/open-mlmd.js';
import { executionRows, type Row } from '../../cmf/query.js';

export default class ExecutionList extends CmfCommand<Row[]> {
  static override summary = 'List the executions of a pipeline.';
  static override description =
    'A table of id, Context_Type, Execution, Execution_uuid, name, Pipeline_Type and Git_Repo, ' +
    '20 rows a page on a terminal (any key: next page, q: quit). With -e, every field of that ' +
    'execution. Not on a terminal, everything is printed at once. --json prints the full records.';
  static override examples = [
    '<%= config.bin %> execution list -p Test-env',
    '<%= config.bin %> execution list -p Test-env -e 7f3e2d1c-76f3-11ee-9a0f-0242ac110002',
    '<%= config.bin %> execution list -p Test-env --json',
  ];
  static override flags = {
    pipeline_name: pipelineFlag(),
    file_name: mlmdFileFlag(),
    execution_uuid: executionUuidFlag(),
    ...pagingFlags(),
  };

  async run(): Promise<Row[]> {
    const { flags } = await this.parse(ExecutionList);
    const pipeline = requireValue(flags.pipeline_name, '-p/--pipeline_name');
    requireNonEmpty(flags.execution_uuid, '-e/--execution_uuid');
    const store = openMlmdForReading(flags.file_name);
    let rows: Row[];
    try {
      rows = executionRows(store, pipeline, flags.execution_uuid);
    } finally {
      store.close();
    }
    if (this.jsonEnabled()) return rows;
    const opts = { pageSize: flags['page-size'], noPager: flags['no-pager'] };
    if (rows.length === 0) this.logToStderr(`Pipeline ${pipeline} has no executions.`);
    else if (flags.execution_uuid !== undefined) await showDetails(rows, EXECUTION_COLUMNS, opts);
    else await showTable(rows, EXECUTION_COLUMNS, opts);
    return rows;
  }
}
