/**
 * The state of the user's git work tree that the git steps of `cmf repo push/pull` depend
 * on, read with the system git before anything is transferred: an operation the user left
 * in progress, unmerged paths, and local changes the coming merge would overwrite. Each
 * is a ConfigError (exit 4), as a detached HEAD is: the repository must be put right first.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, OperationError } from '../errors/index.js';
import { runGit, type SystemGitOptions } from '../git/system-git.js';
import { firstFew } from '../util/counted.js';
import { quotedCommand } from '../util/shell-quote.js';

/** Paths that are unmerged in the index (a stopped merge, rebase, stash pop, ...). */
export async function unmergedPaths(git: SystemGitOptions): Promise<string[]> {
  try {
    return nulList(
      (await runGit(['diff', '--name-only', '--no-relative', '-z', '--diff-filter=U'], git)).stdout,
    );
  } catch {
    return [];
  }
}

const nulList = (out: string): string[] => out.split('\0').filter(Boolean);

/** What git leaves in its directory while an operation waits for the user, and how to end it. */
const IN_PROGRESS: readonly { file: string; op: string; what: string }[] = [
  { file: 'rebase-merge', op: 'rebase', what: 'a rebase' },
  { file: 'rebase-apply/applying', op: 'am', what: "a 'git am'" },
  { file: 'rebase-apply', op: 'rebase', what: 'a rebase' },
  { file: 'MERGE_HEAD', op: 'merge', what: 'a merge' },
  { file: 'CHERRY_PICK_HEAD', op: 'cherry-pick', what: 'a cherry-pick' },
  { file: 'REVERT_HEAD', op: 'revert', what: 'a revert' },
];

/**
 * Refuses a work tree where the user has a merge (rebase, am, cherry-pick, revert) in
 * progress or unmerged paths: cmf's own merge would fail on it, and telling the user to
 * abort "its" merge would throw away theirs.
 */
export async function checkNoOperationInProgress(git: SystemGitOptions): Promise<void> {
  // --git-path: per-worktree state lives in the worktree's own git dir.
  const args = IN_PROGRESS.flatMap((s) => ['--git-path', s.file]);
  const paths = (await runGit(['rev-parse', ...args], git)).stdout.split('\n');
  const found = IN_PROGRESS.find((_, i) => existsSync(resolve(git.cwd, paths[i]!.trim())));
  if (found) {
    const continueHint =
      found.op === 'merge'
        ? "resolve the conflicts and 'git commit'"
        : `'git ${found.op} --continue'`;
    throw new ConfigError(
      'GIT_OPERATION_IN_PROGRESS',
      `${found.what} is in progress in ${git.cwd} (git status shows it)`,
      {
        hint: `Finish it (${continueHint}) or undo it ('git ${found.op} --abort'), then run the command again.`,
        data: { operation: found.op, cwd: git.cwd },
      },
    );
  }
  const unmerged = await unmergedPaths(git);
  if (unmerged.length > 0) {
    throw new ConfigError(
      'GIT_UNMERGED_PATHS',
      `${git.cwd} has unmerged paths: ${firstFew(unmerged)}`,
      {
        hint: "Resolve the conflicts in them and 'git add' them (git status lists them), then run the command again.",
        data: { unmerged, cwd: git.cwd },
      },
    );
  }
}

/** The commit `rev` names, or undefined (an unborn HEAD). */
async function commitOf(rev: string, git: SystemGitOptions): Promise<string | undefined> {
  try {
    return (
      await runGit(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], git)
    ).stdout.trim();
  } catch (err) {
    if (err instanceof OperationError && err.code === 'GIT_FAILED') return undefined;
    throw err;
  }
}

async function isAncestor(a: string, b: string, git: SystemGitOptions): Promise<boolean> {
  try {
    await runGit(['merge-base', '--is-ancestor', a, b], git);
    return true;
  } catch (err) {
    if (err instanceof OperationError && err.data?.exitCode === 1) return false;
    throw err;
  }
}

const names = async (args: string[], git: SystemGitOptions): Promise<string[]> =>
  nulList((await runGit(args, git)).stdout);

/**
 * Fetches `branch` of `remote` and refuses when `git pull` would stop on the work tree, as
 * git's merge would: a local change (staged or not) or an untracked file at a path the
 * incoming commits change, or — for a merge that is not a fast-forward — anything staged.
 * Changes to other paths are left alone, as git pull leaves them. Only the fetch writes
 * (FETCH_HEAD and the remote-tracking branch, as git pull's own fetch would).
 */
export async function checkPullApplies(
  remote: string,
  branch: string,
  git: SystemGitOptions,
): Promise<void> {
  await runGit(['fetch', '--quiet', remote, branch], git);
  const theirs = await commitOf('FETCH_HEAD', git);
  const head = await commitOf('HEAD', git);
  if (!theirs || (head && (await isAncestor(theirs, head, git)))) return; // nothing comes in
  const diff = ['diff', '--name-only', '--no-relative', '--no-renames', '-z'];
  const incoming = head
    ? await names([...diff, `${head}...${theirs}`], git)
    : await names(['ls-tree', '-r', '--name-only', '-z', theirs], git);
  const untracked = await names(
    ['ls-files', '--others', '--exclude-standard', '--full-name', '-z', '--', ':/'],
    git,
  );
  const changed = head
    ? await names([...diff, 'HEAD'], git)
    : await names(['ls-files', '--full-name', '-z', '--', ':/'], git);
  const staged = head ? await names([...diff, '--cached', 'HEAD'], git) : [];
  const fastForward = !head || (await isAncestor(head, theirs, git));
  const incomingSet = new Set(incoming);
  const blocking = [...new Set([...changed, ...untracked])].filter((p) => incomingSet.has(p));
  const where = `${remote} ${branch}`;
  if (blocking.length > 0) {
    throw new ConfigError(
      'GIT_LOCAL_CHANGES',
      `local changes to ${firstFew(blocking)} would be overwritten by the merge of ${where}`,
      {
        hint: "Commit them, or put them aside with 'git stash' (and 'git stash pop' after), then run the command again.",
        data: { paths: blocking, remote, branch },
      },
    );
  }
  if (!fastForward && staged.length > 0) {
    throw new ConfigError(
      'GIT_LOCAL_CHANGES',
      `staged changes to ${firstFew(staged)} stop the merge of ${where} (git merges only onto a clean index)`,
      {
        hint: "Commit them, or unstage them with 'git restore --staged <path>', then run the command again.",
        data: { paths: staged, remote, branch },
      },
    );
  }
  const conflicts = fastForward ? [] : await mergeConflicts(head!, theirs, git);
  if (conflicts.length > 0) {
    throw new ConfigError(
      'GIT_MERGE_WOULD_CONFLICT',
      `the merge of ${where} would stop on conflicts in ${firstFew(conflicts)}: your commits and theirs both change them`,
      {
        hint: `Merge it yourself first (${quotedCommand(['git', 'pull', '--no-rebase', remote, branch])}, resolve the conflicts, 'git commit'), then run the command again.`,
        data: { paths: conflicts, remote, branch },
      },
    );
  }
}

/**
 * The paths a merge of `theirs` into `head` would leave conflicted, found without touching
 * the work tree or the index (`git merge-tree --write-tree`, git 2.38 and later; with an
 * older git none are found here, and git pull stops on them as before).
 */
async function mergeConflicts(
  head: string,
  theirs: string,
  git: SystemGitOptions,
): Promise<string[]> {
  const args = ['merge-tree', '--write-tree', '--name-only', '--no-messages', '-z', head, theirs];
  try {
    await runGit(args, git);
    return [];
  } catch (err) {
    // Exit 1: conflicts. The output is the tree's id, then each conflicted path once.
    if (!(err instanceof OperationError && err.data?.exitCode === 1)) return [];
    const out = ((err.cause as { stdout?: unknown } | undefined)?.stdout ?? '') as string;
    return [...new Set(nulList(String(out)).slice(1))];
  }
}
