/**
 * `cmf repo pull` (spec/cmf-reference.md §3.11): metadata from the cmf server, the
 * pipeline's artifacts (with `-e`, one execution's) from the DVC remote, then
 * `git pull cmf_origin <current branch>`. The git remote, the branch (on the remote too: this
 * asks it) and the artifact remote are checked first, so a pull that cannot finish does not
 * begin and writes nothing.
 */
import { checkArtifactConfig, pullArtifacts, transferError } from '../artifacts/index.js';
import type { ServerClient } from '../server/client.js';
import { pullMetadata, pullTarget } from '../server/metadata-pull.js';
import { checkGitSteps, gitPull } from './git-steps.js';
import { runSteps, type RepoResult } from './steps.js';

export interface RepoPullOptions {
  client: ServerClient;
  cwd?: string;
  /** The MLMD file to merge into (default: `defaultPullTarget`, the project's mlmd). */
  mlmdPath?: string;
  pipeline: string;
  executionUuid?: string;
  /** SSH artifact remotes: trust and record a host key seen for the first time. */
  acceptNewHostKey?: boolean;
  interactive?: boolean;
  onStep?: (name: string) => void;
}

export async function repoPull(opts: RepoPullOptions): Promise<RepoResult> {
  const cwd = opts.cwd ?? process.cwd();
  const mlmdPath = pullTarget(cwd, opts.mlmdPath);
  const git = { cwd, interactive: opts.interactive };
  return runSteps(
    opts.pipeline,
    [
      {
        name: 'metadata pull',
        run: () =>
          pullMetadata({
            client: opts.client,
            cwd,
            mlmdPath,
            pipeline: opts.pipeline,
            executionUuid: opts.executionUuid,
          }),
      },
      {
        name: 'artifact pull',
        run: async () => {
          const r = await pullArtifacts({
            cwd,
            mlmdPath,
            pipeline: opts.pipeline,
            executionUuid: opts.executionUuid,
            acceptNewHostKey: opts.acceptNewHostKey,
          });
          if (r.failed.length > 0) throw transferError('pull', r.failed, r);
          return r;
        },
      },
      { name: 'git pull', run: () => gitPull(git) },
    ],
    opts.onStep,
    async () => {
      await checkGitSteps(git, { pull: 'required' });
      await checkArtifactConfig(cwd);
    },
  );
}
