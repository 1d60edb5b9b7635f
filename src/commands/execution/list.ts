import { CmfCommand } from '../../cli/base-command.js';
import { executionUuidFlag, mlmdFileFlag, pagingFlags, pipelineFlag } from '../../cli/flags.js';
import { runExecutionList } from '../../cli/list-commands.js';
import type { Row } from '../../cmf/query.js';

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
    return runExecutionList(flags, this);
  }
}
