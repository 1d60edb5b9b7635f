import { CmfCommand } from '../../cli/base-command.js';
import { mlmdFileFlag, pipelineFlag } from '../../cli/flags.js';
import { requireNonEmpty, requireValue } from '../../cli/open-mlmd.js';
import {
  projectServerClient,
  serverExecutionFlag,
  tensorboardFlag,
} from '../../cli/server-flags.js';
import { resolveMlmdPath } from '../../config/project.js';
import { pushMetadata, type MetadataPushResult } from '../../server/metadata-push.js';
import { describePush } from '../../cli/server-render.js';

export default class MetadataPush extends CmfCommand<MetadataPushResult> {
  static override summary = "Push a pipeline's metadata to the cmf server.";
  static override description =
    'Sends the pipeline (or one execution with -e) to <cmf-server-url>/api/mlmd_push, where it is ' +
    'merged; then uploads the Python environment and label files the metadata names, and the ' +
    '-t tensorboard logs. Status "exists" (nothing new) is a success. The server URL comes from ' +
    '.cmfconfig or CMF_SERVER_URL, a bearer token from CMF_SERVER_TOKEN or ' +
    '`dvc config --local db.cmf-server.password`.';
  static override examples = [
    '<%= config.bin %> metadata push -p Test-env',
    '<%= config.bin %> metadata push -p Test-env -e 6d8f… -t logs/ --json',
  ];
  static override flags = {
    pipeline_name: pipelineFlag(),
    file_name: mlmdFileFlag(),
    execution_uuid: serverExecutionFlag(),
    tensorboard_path: tensorboardFlag(),
  };

  async run(): Promise<MetadataPushResult> {
    const { flags } = await this.parse(MetadataPush);
    const pipeline = requireValue(flags.pipeline_name, '-p/--pipeline_name');
    for (const [v, n] of [
      [flags.file_name, '-f/--file_name'],
      [flags.execution_uuid, '-e/--execution_uuid'],
      [flags.tensorboard_path, '-t/--tensorboard_path'],
    ] as const)
      requireNonEmpty(v, n);
    const r = await pushMetadata({
      client: await projectServerClient(),
      mlmdPath: resolveMlmdPath(flags.file_name, process.cwd()),
      pipeline,
      executionUuid: flags.execution_uuid,
      tensorboardPath: flags.tensorboard_path,
    });
    if (!this.jsonEnabled()) describePush(this, r);
    return r;
  }
}
