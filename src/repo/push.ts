/**
 * `cmf repo push` (spec/cmf-reference.md §3.10): artifacts to the DVC remote, metadata to
 * the cmf server, then `git push -u cmf_origin <current branch>` with the system git.
 */
import { resolve } from 'node:path';
import { pushArtifacts, transferError } from '../artifacts/index.js';
import { currentBranch, remoteUrl, runGit } from '../git/system-git.js';
import type { ServerClient } from '../server/client.js';
import { pushMetadata } from '../server/metadata-push.js';
import { runSteps, type RepoResult } from './steps.js';

export const GIT_REMOTE = 'cmf_origin';

export interface RepoPushOptions {
  client: ServerClient;
  cwd?: string;
  mlmdPath: string;
  pipeline: string;
  executionUuid?: string;
  tensorboardPath?: string;
  jobs?: number;
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
      {
        name: 'git push',
        run: async () => {
          const branch = await currentBranch(git);
          const url = await remoteUrl(GIT_REMOTE, git);
          const out = await runGit(['push', '-u', GIT_REMOTE, branch], git);
          return { remote: GIT_REMOTE, url, branch, output: `${out.stdout}\n${out.stderr}`.trim() };
        },
      },
    ],
    opts.onStep,
  );
}
