/**
 * The git steps of `cmf repo push/pull`, run with the system git: pull (a merge, never an
 * editor or a prompt) and push, with errors that say what to do when the remote has moved
 * on or a merge stops on conflicts.
 */
import { ConfigError, OperationError } from '../errors/index.js';
import { GIT_REMOTE } from '../git/remote-name.js';
import { currentBranch, remoteUrl, runGit, type SystemGitOptions } from '../git/system-git.js';
import { firstFew } from '../util/counted.js';
import { quotedCommand } from '../util/shell-quote.js';
import { maskUrlSecrets } from '../util/url-secrets.js';
import { checkNoOperationInProgress, checkPullApplies, unmergedPaths } from './work-tree-state.js';

export interface GitStepResult {
  remote: string;
  url: string;
  branch: string;
  /** False when a pull was skipped: the branch is not on the remote yet. */
  pulled?: boolean;
  output: string;
}

const joined = (out: { stdout: string; stderr: string }): string =>
  `${out.stdout}\n${out.stderr}`.trim();

/**
 * cmf_origin's URL (with `push`, its push URL) as results and messages show it: a token in
 * it (`https://me:token@…`, which init allows in .git/config) masked. Git itself is always
 * given the remote's name.
 */
async function shownRemoteUrl(git: SystemGitOptions, which: { push?: boolean } = {}) {
  return maskUrlSecrets(await remoteUrl(GIT_REMOTE, git, which));
}

/** Whether `branch` exists on `remote` (asks the remote, as cmflib asks GitHub's API). */
async function remoteHasBranch(
  remote: string,
  branch: string,
  git: SystemGitOptions,
): Promise<boolean> {
  try {
    await runGit(['ls-remote', '--exit-code', '--heads', remote, `refs/heads/${branch}`], git);
    return true;
  } catch (err) {
    // --exit-code: 2 means the remote answered and has no such ref.
    if (err instanceof OperationError && err.data?.exitCode === 2) return false;
    throw err;
  }
}

/**
 * What the git steps will need, checked before any step transfers anything: a current
 * branch (a detached HEAD cannot be pulled or pushed by name), the cmf_origin remote, no
 * merge (rebase, ...) of the user's in progress, and a `git pull` that the work tree lets
 * through. ConfigError (exit 4) otherwise. `pull: 'required'` (repo pull): the remote must
 * be reachable and hold the branch, else the pull's other steps would write files before
 * `git pull` fails; `'if-on-remote'` (repo push): the pull is checked when the branch is there.
 */
export async function checkGitSteps(
  git: SystemGitOptions,
  opts: { pull: 'required' | 'if-on-remote' },
): Promise<void> {
  const url = await shownRemoteUrl(git);
  // Before the branch: a rebase that stopped leaves HEAD detached, and is the real reason.
  await checkNoOperationInProgress(git);
  const branch = await currentBranch(git);
  const onRemote = await remoteHasBranch(GIT_REMOTE, branch, git);
  if (onRemote) await checkPullApplies(GIT_REMOTE, branch, git);
  else if (opts.pull === 'required') {
    throw new ConfigError(
      'GIT_BRANCH_NOT_ON_REMOTE',
      `branch ${branch} is not on ${GIT_REMOTE} (${url})`,
      {
        hint:
          `Check out a branch ${GIT_REMOTE} has ('git ls-remote --heads ${GIT_REMOTE}' lists them), ` +
          "or publish this one first with 'cmf repo push'.",
        data: { branch, remote: GIT_REMOTE, url },
      },
    );
  }
}

/**
 * `git pull --no-rebase --no-edit <remote> <branch>`: a merge whatever pull.rebase says
 * (git refuses to guess on diverged branches otherwise), and no editor for its message.
 * `onlyIfOnRemote` skips the pull when the branch is not on the remote yet (a first push).
 * A conflict stops with GIT_MERGE_CONFLICT; the work tree is left as git left it. Paths that
 * were unmerged before the pull are not its conflicts: then git's own reason is the error.
 */
export async function gitPull(
  git: SystemGitOptions,
  opts: { onlyIfOnRemote?: boolean } = {},
): Promise<GitStepResult> {
  const branch = await currentBranch(git);
  const url = await shownRemoteUrl(git);
  if (opts.onlyIfOnRemote && !(await remoteHasBranch(GIT_REMOTE, branch, git))) {
    return { remote: GIT_REMOTE, url, branch, pulled: false, output: '' };
  }
  const args = ['pull', '--no-rebase', '--no-edit', GIT_REMOTE, branch];
  const unmergedBefore = new Set(await unmergedPaths(git));
  try {
    return {
      remote: GIT_REMOTE,
      url,
      branch,
      pulled: true,
      output: joined(await runGit(args, git)),
    };
  } catch (err) {
    const conflicts =
      err instanceof OperationError
        ? (await unmergedPaths(git)).filter((p) => !unmergedBefore.has(p))
        : [];
    if (conflicts.length === 0) throw err;
    throw new OperationError(
      'GIT_MERGE_CONFLICT',
      `merge conflicts in ${firstFew(conflicts)} ('git ${args.join(' ')}' stopped)`,
      {
        hint:
          `The merge is left in progress in ${git.cwd}: resolve the conflicts and 'git commit', ` +
          `or undo it with 'git merge --abort'; then run the command again.`,
        data: { args, conflicts, branch, remote: GIT_REMOTE },
        cause: err,
      },
    );
  }
}

/** git's words when the remote refused a push that is not a fast-forward. */
const REJECTED = /\[rejected\].*\((fetch first|non-fast-forward)\)/;

/**
 * `git push -u <remote> <branch>`; a rejection for being behind says to pull first. The
 * result and errors name the push URL (`git remote set-url --push` may differ from the fetch one).
 */
export async function gitPush(git: SystemGitOptions, pipeline: string): Promise<GitStepResult> {
  const branch = await currentBranch(git);
  const url = await shownRemoteUrl(git, { push: true });
  try {
    const out = await runGit(['push', '-u', GIT_REMOTE, branch], git);
    return { remote: GIT_REMOTE, url, branch, output: joined(out) };
  } catch (err) {
    if (err instanceof OperationError && REJECTED.test(String(err.data?.stderr ?? ''))) {
      throw new OperationError(
        'GIT_PUSH_REJECTED',
        `${GIT_REMOTE} (${url}) rejected ${branch}: the remote branch has commits this repository does not have`,
        {
          hint:
            `Bring them in first: ${quotedCommand(['cmf', 'repo', 'pull', '-p', pipeline])} ` +
            `(or ${quotedCommand(['git', 'pull', GIT_REMOTE, branch])}), ` +
            'then run cmf repo push again.',
          data: { ...err.data, branch, remote: GIT_REMOTE },
          cause: err,
        },
      );
    }
    throw err;
  }
}
