/**
 * `cmf repo push` (spec/cmf-reference.md §3.10): artifacts to the DVC remote, metadata to
 * the cmf server, then — as cmflib does — `git pull cmf_origin <current branch>` when the
 * branch is already on the remote, and `git push -u cmf_origin <branch>` with the system git.
 * The git remote, the branch and the `-t` upload are checked before anything is pushed.
 */
import { resolve } from 'node:path';
import { pushArtifacts, transferError } from '../artifacts/index.js';
import type { ServerClient } from '../server/client.js';
import { pushMetadata } from '../server/metadata-push.js';
import { checkTensorboardUpload } from '../server/tensorboard-check.js';
import { checkGitSteps, gitPull, gitPush } from './git-steps.js';
import { runSteps, type RepoResult } from './steps.js';

export interface RepoPushOptions {
  client: ServerClient;
  cwd?: string;
  mlmdPath: string;
  pipeline: string;
  executionUuid?: string;
  tensorboardPath?: string;
  jobs?: number;
  /** SSH artifact remotes: trust and record a host key seen for the first time. */
  acceptNewHostKey?: boolean;
  /** Whether git may prompt for credentials (a terminal is attached). */
  interactive?: boolean;
  onStep?: (name: string) => void;
}

export async function repoPush(opts: RepoPushOptions): Promise<RepoResult> {
  const cwd = opts.cwd ?? process.cwd();
  const mlmdPath = resolve(cwd, opts.mlmdPath);
  const git = { cwd, interactive: opts.interactive };
  return runSteps(
    opts.pipeline,
    [
      {
        name: 'artifact push',
        run: async () => {
          const r = await pushArtifacts({
            cwd,
            mlmdPath,
            pipeline: opts.pipeline,
            executionUuid: opts.executionUuid,
            jobs: opts.jobs,
            acceptNewHostKey: opts.acceptNewHostKey,
          });
          if (r.failed.length > 0) throw transferError('push', r.failed, r);
          return r;
        },
      },
      {
        name: 'metadata push',
        run: () =>
          pushMetadata({
            client: opts.client,
            cwd,
            mlmdPath,
            pipeline: opts.pipeline,
            executionUuid: opts.executionUuid,
            tensorboardPath: opts.tensorboardPath,
          }),
      },
      { name: 'git pull', run: () => gitPull(git, { onlyIfOnRemote: true }) },
      { name: 'git push', run: () => gitPush(git, opts.pipeline) },
    ],
    opts.onStep,
    async () => {
      if (opts.tensorboardPath !== undefined)
        checkTensorboardUpload(cwd, opts.tensorboardPath, opts.pipeline);
      await checkGitSteps(git, { pull: 'if-on-remote' });
    },
  );
}
