import { CmfCommand } from '../../cli/base-command.js';
import { acceptNewHostKeyFlag, pipelineFlag } from '../../cli/flags.js';
import { requireNonEmpty, requireValue } from '../../cli/open-mlmd.js';
import { describeRepo } from '../../cli/server-render.js';
import {
  projectServerClient,
  pullTargetFlag,
  serverExecutionFlag,
} from '../../cli/server-flags.js';
import { repoPull } from '../../repo/pull.js';
import type { RepoResult } from '../../repo/steps.js';

export default class RepoPull extends CmfCommand<RepoResult> {
  static override summary =
    'Pull metadata, artifacts and code: metadata pull, artifact pull, git pull.';
  static override description =
    "Runs 'cmf metadata pull', then 'cmf artifact pull', then 'git pull cmf_origin <current " +
    "branch>' with your git (any host or transport). The first step that fails stops the chain; " +
    "the error names it. --json prints each step's result.";
  static override examples = [
    '<%= config.bin %> repo pull -p Test-env',
    '<%= config.bin %> repo pull -p Test-env --json',
  ];
  static override flags = {
    pipeline_name: pipelineFlag(),
    file_name: pullTargetFlag(),
    execution_uuid: serverExecutionFlag(),
    'accept-new-host-key': acceptNewHostKeyFlag(),
  };

  async run(): Promise<RepoResult> {
    const { flags } = await this.parse(RepoPull);
    const pipeline = requireValue(flags.pipeline_name, '-p/--pipeline_name');
    requireNonEmpty(flags.file_name, '-f/--file_name');
    requireNonEmpty(flags.execution_uuid, '-e/--execution_uuid');
    const r = await repoPull({
      client: await projectServerClient(),
      mlmdPath: flags.file_name,
      pipeline,
      executionUuid: flags.execution_uuid,
      acceptNewHostKey: flags['accept-new-host-key'],
      interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
      onStep: (name) => this.jsonEnabled() || this.logToStderr(`Executing ${name}..`),
    });
    if (!this.jsonEnabled()) describeRepo(this, r);
    return r;
  }
}
