import { CmfCommand } from '../../cli/base-command.js';
import { acceptNewHostKeyFlag, jobsFlag, mlmdFileFlag, pipelineFlag } from '../../cli/flags.js';
import { requireNonEmpty, requireValue } from '../../cli/open-mlmd.js';
import { describeRepo } from '../../cli/server-render.js';
import {
  projectServerClient,
  serverExecutionFlag,
  tensorboardFlag,
} from '../../cli/server-flags.js';
import { resolveMlmdPath } from '../../config/project.js';
import { repoPush } from '../../repo/push.js';
import type { RepoResult } from '../../repo/steps.js';

export default class RepoPush extends CmfCommand<RepoResult> {
  static override summary =
    'Push artifacts, metadata and code: artifact push, metadata push, git pull, git push.';
  static override description =
    "Runs 'cmf artifact push', then 'cmf metadata push', then with your git (any host or " +
    "transport) 'git pull --no-rebase --no-edit cmf_origin <current branch>' when that branch " +
    "is already on cmf_origin, and 'git push -u cmf_origin <branch>'. The first step that " +
    'fails stops the chain (a merge conflict stops it with the merge left for you to finish); ' +
    "the error names the step. --json prints each step's result.";
  static override examples = [
    '<%= config.bin %> repo push -p Test-env',
    '<%= config.bin %> repo push -p Test-env -t logs/ -j 8 --json',
  ];
  static override flags = {
    pipeline_name: pipelineFlag(),
    file_name: mlmdFileFlag(),
    execution_uuid: serverExecutionFlag(),
    tensorboard_path: tensorboardFlag(),
    jobs: jobsFlag('Parallel artifact transfers (default: per remote).'),
    'accept-new-host-key': acceptNewHostKeyFlag(),
  };

  async run(): Promise<RepoResult> {
    const { flags } = await this.parse(RepoPush);
    const pipeline = requireValue(flags.pipeline_name, '-p/--pipeline_name');
    requireNonEmpty(flags.file_name, '-f/--file_name');
    requireNonEmpty(flags.execution_uuid, '-e/--execution_uuid');
    requireNonEmpty(flags.tensorboard_path, '-t/--tensorboard_path');
    const r = await repoPush({
      client: await projectServerClient(),
      mlmdPath: resolveMlmdPath(flags.file_name, process.cwd()),
      pipeline,
      executionUuid: flags.execution_uuid,
      tensorboardPath: flags.tensorboard_path,
      jobs: flags.jobs,
      acceptNewHostKey: flags['accept-new-host-key'],
      interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
      onStep: (name) => this.jsonEnabled() || this.logToStderr(`Executing ${name}..`),
    });
    if (!this.jsonEnabled()) describeRepo(this, r);
    return r;
  }
}
