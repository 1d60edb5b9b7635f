/**
 * Staging and committing through the system `git`, for what the in-process writer must not
 * do itself: an index it cannot rewrite faithfully (version 4, split, sparse, unmerged), a
 * linked worktree's odd cases, and commits that git hooks or signing must see (cmflib runs
 * `git add` and `git commit`, which honour both). git is always pointed at the repository
 * cmf found (`--git-dir`, `--work-tree`), whatever `$GIT_DIR` says.
 */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, OperationError, noSpaceError } from '../errors/index.js';
import { gitConfigValue, gitTrue } from './git-config.js';
import type { GitLayout } from './git-dir.js';
import { loadExeca, runGit } from './system-git.js';

/** Hooks `git commit` runs; one of them present and executable means git must commit. */
const COMMIT_HOOKS = [
  'pre-commit',
  'prepare-commit-msg',
  'commit-msg',
  'post-commit',
  'reference-transaction',
  'post-index-change',
];

let probe: { path: string | undefined; installed: Promise<boolean> } | undefined;

/** Whether a `git` program is on PATH (asked once per PATH value). */
export function gitInstalled(): Promise<boolean> {
  const path = process.env.PATH;
  const known = probe;
  if (known && known.path === path) return known.installed;
  const installed = loadExeca()
    .then(({ execa }) => execa('git', ['--version'], { stdin: 'ignore' }))
    .then(
      () => true,
      () => false,
    );
  probe = { path, installed };
  return installed;
}

/** The error for "git is needed here and missing"; `why` says what in the repository needs it. */
export function gitMissingError(why: string, cause?: unknown): ConfigError {
  const index = /index|unmerged/.test(why);
  return new ConfigError(
    'GIT_NOT_INSTALLED',
    `cmf needs the git program (not found on PATH) to stage and commit in this repository: it has ${why}`,
    {
      hint: index
        ? 'Install git, or turn the index into one cmf writes itself: git update-index --index-version 3 --no-split-index (a sparse index: git sparse-checkout init --no-sparse-index; a merge: finish or abort it).'
        : 'Install git: cmf runs git commit so that your hooks and commit signing apply (or remove the hook / unset commit.gpgsign).',
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

function executable(path: string): boolean {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st?.isFile()) return false;
  return process.platform === 'win32' || (st.mode & 0o111) !== 0;
}

/**
 * What makes `git commit` do more than write objects and move the branch: an executable
 * commit hook (in core.hooksPath, else the common dir's hooks/) or commit.gpgsign. Said in
 * words for messages; undefined when there is nothing.
 */
export async function commitExtras(
  layout: GitLayout,
  workTree: string,
): Promise<string | undefined> {
  const configured = await gitConfigValue(layout.commondir, 'core', 'hookspath');
  let hooks = join(layout.commondir, 'hooks');
  if (configured) {
    const expanded = configured.startsWith('~/')
      ? join(homedir(), configured.slice(2))
      : configured;
    // A relative core.hooksPath is relative to where git runs hooks: the work tree's top.
    hooks = resolve(workTree, expanded);
  }
  const present = COMMIT_HOOKS.find((h) => executable(join(hooks, h)));
  if (present) return `a ${present} hook`;
  if (gitTrue(await gitConfigValue(layout.commondir, 'commit', 'gpgsign'))) {
    return 'commit.gpgsign set';
  }
  return undefined;
}

/** The git CLI acting on one work tree and its git dir. */
export class CliStaging {
  private readonly layout: GitLayout;
  private readonly workTree: string;
  /** What in the repository sent the work here, for the error when git is missing. */
  private readonly why: string;

  constructor(layout: GitLayout, workTree: string, why: string) {
    this.layout = layout;
    this.workTree = workTree;
    this.why = why;
  }

  private async git(args: string[], extra: { env?: Record<string, string>; input?: string } = {}) {
    try {
      return await runGit(
        ['--git-dir', this.layout.gitdir, '--work-tree', this.workTree, ...args],
        {
          cwd: this.workTree,
          ...extra,
        },
      );
    } catch (err) {
      if (err instanceof ConfigError && err.code === 'GIT_NOT_INSTALLED') {
        throw gitMissingError(this.why, err);
      }
      throw gitNoSpace(err, this.layout.gitdir) ?? err;
    }
  }

  /**
   * `git add` of paths relative to the work tree. Ignored paths the index does not track are
   * left out first (git add would refuse the whole call), as the in-process staging does.
   */
  async add(filepaths: readonly string[]): Promise<void> {
    const nul = (paths: readonly string[]) => paths.map((p) => `${p}\0`).join('');
    let rest = filepaths;
    try {
      const ignored = await this.git(['check-ignore', '-z', '--stdin'], { input: nul(filepaths) });
      const skip = new Set(ignored.stdout.split('\0').filter(Boolean));
      rest = filepaths.filter((p) => !skip.has(p));
    } catch (err) {
      // Exit 1: nothing is ignored.
      if (!(err instanceof OperationError && err.data?.exitCode === 1)) throw addFailed(err);
    }
    if (rest.length === 0) return;
    try {
      await this.git(['add', '--pathspec-from-file=-', '--pathspec-file-nul'], {
        input: nul(rest),
      });
    } catch (err) {
      throw addFailed(err);
    }
  }

  /** `git commit` of what is staged, as `who` (author and committer). Returns the new HEAD. */
  async commit(message: string, who: { name: string; email: string }): Promise<string> {
    const env = {
      GIT_AUTHOR_NAME: who.name,
      GIT_AUTHOR_EMAIL: who.email,
      GIT_COMMITTER_NAME: who.name,
      GIT_COMMITTER_EMAIL: who.email,
    };
    try {
      // --allow-empty: the in-process commit records a commit even when the tree is unchanged.
      await this.git(['commit', '-q', '--allow-empty', '-F', '-'], { env, input: message });
      return (await this.git(['rev-parse', '--verify', 'HEAD'])).stdout.trim();
    } catch (err) {
      if (!(err instanceof OperationError && err.code === 'GIT_FAILED')) throw err;
      const said = String(err.data?.stderr ?? '') || err.message;
      throw new OperationError('GIT_COMMIT_FAILED', `git commit failed: ${said}`, {
        cause: err,
        hint: `git refused the commit (${this.why}): fix what it reports — a hook that failed, signing, unmerged files — then call finalize() again; the .dvc files stay staged.`,
        data: { stderr: said },
      });
    }
  }

  /** Whether the index differs from HEAD (`git diff --cached --quiet`). */
  async hasStagedChanges(): Promise<boolean> {
    try {
      await this.git(['diff', '--cached', '--quiet']);
      return false;
    } catch (err) {
      if (err instanceof OperationError && err.data?.exitCode === 1) return true;
      throw err;
    }
  }

  /** The latest commit from HEAD that changed `filepath` (`git log -1 -- <path>`), if any. */
  async lastCommitOf(filepath: string): Promise<string | undefined> {
    if ((await this.headCommit()) === undefined) return undefined;
    const out = await this.git(['log', '-1', '--format=%H', '--', filepath]);
    return out.stdout.trim() || undefined;
  }

  /** HEAD's commit, undefined before the first one. */
  async headCommit(): Promise<string | undefined> {
    try {
      return (await this.git(['rev-parse', '--verify', '-q', 'HEAD'])).stdout.trim() || undefined;
    } catch (err) {
      if (err instanceof OperationError && err.code === 'GIT_FAILED') return undefined;
      throw err;
    }
  }
}

/**
 * git's own report of a full disk or quota ("No space left on device", "Out of diskspace")
 * as DISK_FULL about the git dir, as the in-process staging reports it; undefined for any
 * other failure.
 */
function gitNoSpace(err: unknown, gitdir: string): OperationError | undefined {
  if (!(err instanceof OperationError && err.code === 'GIT_FAILED')) return undefined;
  const said = String(err.data?.stderr ?? '');
  const found = /No space left on device|Out of diskspace|Disk quota exceeded/i.exec(said);
  if (!found) return undefined;
  // git's words carry no errno: the cause is given the one they name.
  const code = /quota/i.test(found[0]) ? 'EDQUOT' : 'ENOSPC';
  return noSpaceError(gitdir, Object.assign(new Error(said.trim(), { cause: err }), { code }));
}

function addFailed(err: unknown): unknown {
  if (!(err instanceof OperationError && err.code === 'GIT_FAILED')) return err;
  const said = String(err.data?.stderr ?? '') || err.message;
  return new OperationError('GIT_ADD_FAILED', `git add failed: ${said}`, {
    cause: err,
    hint: 'Fix what git reports (a file outside the repository, a held index.lock, …) and log again.',
    data: { stderr: said },
  });
}
