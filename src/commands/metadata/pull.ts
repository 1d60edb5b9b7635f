import { CmfCommand } from '../../cli/base-command.js';
import { pipelineFlag } from '../../cli/flags.js';
import { requireNonEmpty, requireValue } from '../../cli/open-mlmd.js';
import {
  projectServerClient,
  pullTargetFlag,
  serverExecutionFlag,
} from '../../cli/server-flags.js';
import { pullMetadata, type MetadataPullResult } from '../../server/metadata-pull.js';
import { describePull } from '../../cli/server-render.js';

export default class MetadataPull extends CmfCommand<MetadataPullResult> {
  static override summary = "Pull a pipeline's metadata from the cmf server into an MLMD file.";
  static override description =
    'Asks <cmf-server-url>/api/mlmd_pull for the pipeline (or one execution with -e) and merges ' +
    "it into -f (default: the project's mlmd, found as 'pipeline list' finds it, even from a " +
    'sub-directory), creating the file if needed. Needs neither git nor DVC and ' +
    'never changes your git branch; outside a cmf project the server URL comes from CMF_SERVER_URL.';
  static override examples = [
    '<%= config.bin %> metadata pull -p Test-env',
    'CMF_SERVER_URL=http://cmf:8080 <%= config.bin %> metadata pull -p Test-env -f copy/mlmd --json',
  ];
  static override flags = {
    pipeline_name: pipelineFlag(),
    file_name: pullTargetFlag(),
    execution_uuid: serverExecutionFlag(),
  };

  async run(): Promise<MetadataPullResult> {
    const { flags } = await this.parse(MetadataPull);
    const pipeline = requireValue(flags.pipeline_name, '-p/--pipeline_name');
    requireNonEmpty(flags.file_name, '-f/--file_name');
    requireNonEmpty(flags.execution_uuid, '-e/--execution_uuid');
    const r = await pullMetadata({
      client: await projectServerClient(),
      mlmdPath: flags.file_name,
      pipeline,
      executionUuid: flags.execution_uuid,
    });
    if (!this.jsonEnabled()) describePull(this, r);
    return r;
  }
}
