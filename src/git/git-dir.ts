/**
 * Where a work tree's git data lives, as git finds it. `.git` is a directory in an ordinary
 * repository, or a file `gitdir: <path>` (a submodule: relative path; `git worktree add`:
 * absolute path). A linked worktree's git dir holds only what is per work tree (HEAD, the
 * index, detached-HEAD state) and names the shared repository in its `commondir` file:
 * objects, branches, packed-refs, config, hooks and info/exclude live there.
 *
 * `$GIT_DIR` is not honoured: cmf finds the repository from the MLMD file's directory, and
 * runs the git CLI with explicit `--git-dir`/`--work-tree` so both act on the same one.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface GitLayout {
  /** The work tree's own git dir: HEAD, index, index.lock. */
  gitdir: string;
  /** The shared one: objects, refs/heads, packed-refs, config, hooks. Same as gitdir unless a linked worktree. */
  commondir: string;
}

function readTrimmed(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The layout of the repository whose work tree is `worktree`; undefined when `.git` is neither a directory nor a readable `gitdir:` file. */
export function gitLayout(worktree: string): GitLayout | undefined {
  const dotgit = join(worktree, '.git');
  const st = statSync(dotgit, { throwIfNoEntry: false });
  let gitdir: string;
  if (st?.isDirectory()) {
    gitdir = dotgit;
  } else if (st?.isFile()) {
    const m = /^gitdir: (.+)$/m.exec(readTrimmed(dotgit) ?? '');
    if (!m) return undefined;
    gitdir = resolve(dirname(dotgit), m[1]!.trim());
    if (!statSync(gitdir, { throwIfNoEntry: false })?.isDirectory()) return undefined;
  } else {
    return undefined;
  }
  const common = readTrimmed(join(gitdir, 'commondir'));
  return { gitdir, commondir: common ? resolve(gitdir, common) : gitdir };
}

/**
 * The file of `ref` (`HEAD`, `refs/…`): per work tree for HEAD and git's per-worktree
 * namespaces, else in the common dir.
 */
export function refFile(layout: GitLayout, ref: string): string {
  return join(refDir(layout, ref), ref);
}

/** The reflog of `ref`: `logs/<ref>` beside the refs where `ref` lives (see refFile). */
export function refLogFile(layout: GitLayout, ref: string): string {
  return join(refDir(layout, ref), 'logs', ref);
}

function refDir(layout: GitLayout, ref: string): string {
  const perWorktree =
    !ref.startsWith('refs/') ||
    ['refs/bisect/', 'refs/worktree/', 'refs/rewritten/'].some((p) => ref.startsWith(p));
  return perWorktree ? layout.gitdir : layout.commondir;
}
