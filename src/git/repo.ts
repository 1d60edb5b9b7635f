import fs, {
  lstatSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import git from 'isomorphic-git';
import {
  CmfError,
  ConfigError,
  NotFoundError,
  OperationError,
  isNoSpaceError,
  noSpaceError,
  orNoSpace,
  writtenPath,
} from '../errors/index.js';
import { parseIni } from '../config/configobj.js';
import { acquireLockFile } from '../fs/lock-file.js';
import { forgetLockOwner, leftByDeadCmf, recordLockOwner } from './index-lock-owner.js';
import { CliStaging, commitExtras, gitInstalled, gitMissingError } from './cli-staging.js';
import { editRepoConfig } from './config-file.js';
import { readGlobalGitConfig, readGlobalGitUser } from './git-config.js';
import { gitLayout, type GitLayout } from './git-dir.js';
import { commitText, readHead, signature, updateRef } from './head-ref.js';
import { ignoredPaths } from './ignored.js';
import {
  entryMatchesStat,
  findEntry,
  isIndexProblem,
  makeEntry,
  parseIndex,
  serializeIndex,
  upsertEntries,
  type GitIndexFile,
  type IndexEntry,
  type IndexProblem,
} from './index-file.js';
import { ObjectWriter } from './object-writer.js';
import { comparePaths } from './path-order.js';
import { syncBackedFs } from './sync-fs.js';
import { TreeBuilder } from './tree-builder.js';

/** What one index operation came to: done here, or left to the git CLI and why. */
type Outcome<T> = { done: T } | { viaGit: string };

const LINKED = 'a linked worktree layout that only git handles in this case';

/**
 * Age past which an `index.lock` found in the way is taken for one a killed git left. cmf
 * holds the lock for milliseconds and git for one command, seconds on an ordinary repository
 * even on a loaded machine: a lock already 30 s old when first seen is far past either, and
 * waiting 60 s more for it would only delay the same error. A younger one is waited for as
 * a command in progress. The rare command that holds it longer (`git commit` waiting in an
 * editor, a `git add` of a huge tree) is reported too, and the hint says so.
 */
const ABANDONED_INDEX_LOCK_MS = 30_000;

/** An `index.lock` already `ageMs` old when first seen: reported, never removed by us. */
function abandonedIndexLock(lock: string, ageMs: number): OperationError {
  const age =
    ageMs < 120_000 ? `${Math.round(ageMs / 1000)} s` : `${Math.round(ageMs / 60_000)} min`;
  return new OperationError(
    'GIT_INDEX_LOCKED',
    `${lock} exists and was last written ${age} ago: it is probably left over from a git process that was killed`,
    {
      hint: `If no git process is running in this repository (a \`git commit\` waiting for its message in an editor holds it too), delete the lock file (\`rm ${lock}\`) and run the call again.`,
      data: { lock, ageMs: Math.round(ageMs) },
    },
  );
}

/** `.git/index.lock` while we hold it; `consumed` once renamed over the index. */
interface IndexLock {
  path: string;
  consumed: boolean;
}

/** Identifies one version of the index file: rewritten by rename, so the inode changes too. */
function stampOf(st: fs.BigIntStats): string {
  return `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

/**
 * Git operations cmf performs in-process: repository detection, HEAD, the remote URL,
 * staging and committing. Never changes the user's branch or cwd.
 *
 * Staging and committing (cmf's hot path: a `.dvc` file per logged artifact) are done here
 * when the index is version 2 or 3 without conflicts or required extensions and HEAD is on
 * a branch or detached — in an ordinary `.git` directory, a `.git` file's git dir or a
 * linked worktree (objects and branches then go to the common dir): blobs are hashed and
 * written synchronously, the parsed index is kept between calls while nobody else rewrites
 * it, and a commit writes only the trees of directories that changed.
 *
 * The git CLI (cli-staging.ts) does the rest: indexes this code cannot rewrite faithfully
 * (version 4, split, sparse, unmerged), commits that hooks or signing must see, and in a
 * linked worktree whatever the fast path declines. isomorphic-git, which knows nothing of
 * a worktree's common dir, is left the remaining cases of other repositories (directories,
 * core.autocrlf) and a merge conflict when no git is installed.
 */
export class GitRepo {
  /**
   * isomorphic-git's cache, shared by this instance's calls: the parsed index is reused
   * while the index file's stat is unchanged (a write by anyone else changes it).
   */
  private readonly cache = {};
  private readonly layout: GitLayout;
  /** A linked worktree: its git dir is not the common dir, which isomorphic-git cannot handle. */
  private readonly linked: boolean;
  private readonly objects: ObjectWriter;
  private readonly trees = new TreeBuilder();
  /** The index as we last read or wrote it, and the stamp of that file. */
  private loaded?: { index: GitIndexFile; stamp: string };
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
    const dotgit = join(dir, '.git');
    this.layout = gitLayout(dir) ?? { gitdir: dotgit, commondir: dotgit };
    this.linked = this.layout.gitdir !== this.layout.commondir;
    this.objects = new ObjectWriter(this.layout.commondir);
  }

  /** This work tree's git dir (`.git`, or `.git/worktrees/<name>` of a linked worktree). */
  get gitdir(): string {
    return this.layout.gitdir;
  }

  /** The git dir to give isomorphic-git: the common one for config, this one otherwise. */
  private iso(forConfig = false): { fs: typeof fs; dir: string; gitdir: string } {
    return { fs, dir: this.dir, gitdir: forConfig ? this.layout.commondir : this.layout.gitdir };
  }

  private cli(why: string): CliStaging {
    return new CliStaging(this.layout, this.dir, why);
  }

  /**
   * Refuses up front, before anything is logged, a repository that needs the git program
   * (an index format only git rewrites, commit hooks, signing) when none is installed.
   */
  async checkStaging(): Promise<void> {
    const index = this.loadIndex();
    const why =
      (isIndexProblem(index) && !(index.unmerged && !this.linked) ? index.problem : undefined) ??
      (await commitExtras(this.layout, this.dir));
    if (why && !(await gitInstalled())) throw gitMissingError(why);
  }

  /** Finds the work tree containing `start` (walking up), like `git rev-parse --show-toplevel`. */
  static async find(start: string): Promise<GitRepo> {
    try {
      return new GitRepo(await git.findRoot({ fs, filepath: resolve(start) }));
    } catch {
      throw new NotFoundError(
        'GIT_NOT_A_REPO',
        `${resolve(start)} is not inside a git repository`,
        {
          hint: "Run 'git init' (or 'cmf init …', which does it for you) in the project folder.",
        },
      );
    }
  }

  /**
   * `git init` in `dir` with HEAD on `defaultBranch`. isomorphic-git writes a config for
   * case-insensitive filesystems without file modes or symlinks; we replace it with what
   * the git CLI writes after probing this filesystem, so later `git status` runs see
   * executable bits and letter case.
   */
  static async init(dir: string, defaultBranch: string): Promise<GitRepo> {
    const abs = resolve(dir);
    const gitdir = join(abs, '.git');
    try {
      const fresh = !fs.existsSync(join(gitdir, 'config'));
      await git.init({ fs, dir: abs, defaultBranch });
      if (fresh) {
        const caseInsensitive = fs.existsSync(join(gitdir, 'CONFIG'));
        const windows = process.platform === 'win32';
        await writeFile(
          join(gitdir, 'config'),
          '[core]\n\trepositoryformatversion = 0\n' +
            `\tfilemode = ${!windows}\n\tbare = false\n\tlogallrefupdates = true\n` +
            (windows ? '\tsymlinks = false\n' : '') +
            (caseInsensitive ? '\tignorecase = true\n' : ''),
        );
      }
    } catch (err) {
      if (isNoSpaceError(err)) throw noSpaceError(writtenPath(err) ?? gitdir, err);
      throw new OperationError(
        'GIT_INIT_FAILED',
        `git init failed in ${abs}: ${(err as Error).message}`,
        { cause: err, hint: 'Check that the directory is writable.' },
      );
    }
    return new GitRepo(abs);
  }

  /** The branch `git init` would create: the user's `init.defaultBranch`, else `main`. */
  static async defaultBranchName(): Promise<string> {
    const configured = (await readGlobalGitConfig()).get('init')?.get('defaultbranch');
    return typeof configured === 'string' && configured !== '' ? configured : 'main';
  }

  static async tryFind(start: string): Promise<GitRepo | undefined> {
    try {
      return await GitRepo.find(start);
    } catch {
      return undefined;
    }
  }

  /** HEAD's commit id, or undefined in a repository without commits yet. */
  async headCommit(): Promise<string | undefined> {
    // HEAD on a branch or detached, in an ordinary .git directory: read it directly.
    const head = this.loadHead();
    if (head) return head.oid;
    if (this.linked) return this.cli(LINKED).headCommit();
    try {
      return await git.resolveRef({ ...this.iso(), ref: 'HEAD' });
    } catch {
      return undefined;
    }
  }

  async currentBranch(): Promise<string | undefined> {
    if (this.linked) return this.loadHead()?.ref?.replace(/^refs\/heads\//, '');
    return (await git.currentBranch({ ...this.iso(), test: false })) ?? undefined;
  }

  /**
   * URL of `remote`, else what cmflib records as `Git_Repo`: the second word of
   * `git remote -v`, i.e. the (first) URL of the remote whose name sorts first (git sorts
   * the names bytewise, so `cmf_origin` comes before `origin`); '' without remotes.
   */
  async remoteUrl(remote?: string): Promise<string> {
    const remotes = (await git.listRemotes(this.iso(true))).filter((r) => r.url);
    if (remote) return remotes.find((r) => r.remote === remote)?.url ?? '';
    const byName = (a: { remote: string }, b: { remote: string }) =>
      Buffer.compare(Buffer.from(a.remote), Buffer.from(b.remote));
    return remotes.sort(byName)[0]?.url ?? '';
  }

  /** The repository's config file (remotes live there; shared by linked worktrees). */
  get configFile(): string {
    return join(this.layout.commondir, 'config');
  }

  /**
   * Adds remote `name`, or points it at `url` when it exists. Says which happened. The config
   * is replaced through `config.lock` (config-file.ts): on any failure it is as it was.
   */
  async setRemote(name: string, url: string): Promise<'added' | 'updated' | 'unchanged'> {
    const existing = (await git.listRemotes(this.iso(true))).find((r) => r.remote === name);
    if (existing?.url === url) return 'unchanged';
    const gitdir = this.layout.commondir;
    try {
      await editRepoConfig(gitdir, (fs) =>
        git.addRemote({ fs, dir: this.dir, gitdir, remote: name, url, force: true }),
      );
    } catch (err) {
      if (err instanceof CmfError) throw err;
      throw new OperationError(
        'GIT_REMOTE_FAILED',
        `Cannot set git remote ${name}: ${(err as Error).message}`,
        { cause: err, hint: 'Check .git/config; fix it with git remote set-url.' },
      );
    }
    return existing ? 'updated' : 'added';
  }

  /** Stages files, given as paths absolute or relative to the work tree. */
  async add(paths: string[]): Promise<void> {
    const filepaths = paths.map((p) => this.relativePath(p));
    if (filepaths.length === 0) return;
    try {
      const outcome = await this.withIndexLock(async (lock): Promise<Outcome<true>> => {
        const index = this.loadIndex();
        if (isIndexProblem(index)) {
          if (await this.isomorphicCopes(index)) return { done: await this.isoAdd(filepaths) };
          return { viaGit: index.problem };
        }
        if (!this.convertsLineEndings() && this.stageFast(index, filepaths, lock)) {
          return { done: true };
        }
        if (this.linked) return { viaGit: LINKED };
        return { done: await this.isoAdd(filepaths) };
      });
      // git takes the index lock itself: run it once ours is released.
      if ('viaGit' in outcome) await this.cli(outcome.viaGit).add(filepaths);
    } catch (err) {
      if (err instanceof CmfError) throw err;
      if (isNoSpaceError(err)) throw this.noSpace(err);
      throw new OperationError('GIT_ADD_FAILED', `git add failed: ${(err as Error).message}`, {
        cause: err,
        hint: 'Check that the files exist inside the repository.',
      });
    }
  }

  /**
   * An index this code does not rewrite is left to isomorphic-git only when it reads it
   * right and no git is installed: unmerged entries in an ordinary repository (it stages
   * other paths, and refuses to commit).
   */
  private async isomorphicCopes(index: IndexProblem): Promise<boolean> {
    return index.unmerged === true && !this.linked && !(await gitInstalled());
  }

  private async isoAdd(filepaths: string[]): Promise<true> {
    const args = { ...this.iso(), fs: syncBackedFs, cache: this.cache };
    const ignored = ignoredPaths(this.dir, this.layout.commondir, filepaths);
    if (!ignored) {
      await git.add({ ...args, filepath: filepaths });
      return true;
    }
    const rest = filepaths.filter((f) => !ignored.has(f));
    if (rest.length > 0) await git.add({ ...args, filepath: rest, force: true });
    // Ignored paths: isomorphic-git still stages those the index tracks already.
    if (ignored.size > 0) await git.add({ ...args, filepath: [...ignored] });
    return true;
  }

  /**
   * Stages regular files and symlinks; false (nothing written but blobs) when something
   * needs more: a directory or missing path, a path where the index holds a directory or a
   * file above it.
   */
  private stageFast(index: GitIndexFile, filepaths: readonly string[], lock: IndexLock): boolean {
    const ignored = ignoredPaths(this.dir, this.layout.commondir, filepaths);
    if (!ignored) return false;
    const staged: Array<{ path: string; st: fs.BigIntStats; previous?: IndexEntry }> = [];
    const blobs: Array<{ type: 'blob'; content: Buffer }> = [];
    for (const f of filepaths) {
      const previous = findEntry(index, f);
      // .gitignore governs untracked paths only, as in git.
      if (!previous && ignored.has(f)) continue;
      const abs = join(this.dir, f);
      const st = lstatSync(abs, { bigint: true, throwIfNoEntry: false });
      if (!st || !(st.isFile() || st.isSymbolicLink())) return false;
      if (!previous && blocksPath(index, f)) return false;
      const content = st.isSymbolicLink() ? Buffer.from(readlinkSync(abs)) : readFileSync(abs);
      staged.push(previous ? { path: f, st, previous } : { path: f, st });
      blobs.push({ type: 'blob', content });
    }
    if (staged.length === 0) return true;
    const oids = this.objects.writeMany(blobs);
    const updates = staged.map((s, i) => makeEntry(s.path, oids[i]!, s.st, s.previous));
    try {
      upsertEntries(index, updates);
      for (const u of updates) this.trees.invalidate(u.path);
      this.saveIndex(index, lock);
    } catch (err) {
      this.loaded = undefined;
      this.trees.reset();
      throw err;
    }
    return true;
  }

  /** A section of the repository's config as read here (throws when it cannot be read). */
  private configSection(name: string): Map<string, unknown> | undefined {
    return parseIni(readFileSync(this.configFile, 'utf8'), { lowercase: true }).get(name);
  }

  /** Whether git would log ref updates: core.logAllRefUpdates, on unless set false (or bare). */
  private logsRefUpdates(): boolean {
    try {
      const core = this.configSection('core');
      const value = String(core?.get('logallrefupdates') ?? '').toLowerCase();
      if (value !== '') return !['false', 'no', 'off', '0'].includes(value);
      return String(core?.get('bare') ?? 'false').toLowerCase() !== 'true';
    } catch {
      return true;
    }
  }

  /**
   * Whether `core.autocrlf` may change what is staged (then isomorphic-git stages, as it
   * applies it). A config this parser cannot read counts as yes.
   */
  private convertsLineEndings(): boolean {
    try {
      const value = this.configSection('core')?.get('autocrlf');
      return value !== undefined && String(value).toLowerCase() !== 'false';
    } catch (err) {
      return (err as NodeJS.ErrnoException).code !== 'ENOENT';
    }
  }

  /**
   * user.name / user.email of the repository's config, read synchronously (one commit per
   * finalize should not wait on the thread pool); undefined when it cannot be read, and
   * isomorphic-git reads it then.
   */
  private repoUser(): { name?: string; email?: string } | undefined {
    try {
      const user = this.configSection('user');
      // Plain values only: quoting, escapes and `;` comments are git's syntax, not this
      // parser's (configobj); such values are left to isomorphic-git.
      const plain = (v: unknown): v is string => typeof v === 'string' && /^[^";\\]+$/.test(v);
      const n = user?.get('name');
      const e = user?.get('email');
      if ((n !== undefined && !plain(n)) || (e !== undefined && !plain(e))) return undefined;
      return { ...(n ? { name: n } : {}), ...(e ? { email: e } : {}) };
    } catch {
      return undefined;
    }
  }

  /** What HEAD points at, read directly; undefined when something else must resolve it. */
  private loadHead(): { ref?: string; oid?: string } | undefined {
    if (!statSync(this.gitdir, { throwIfNoEntry: false })?.isDirectory()) return undefined;
    return readHead(this.layout);
  }

  /** The parsed index (empty when there is none), or what in it this code does not handle. */
  private loadIndex(): GitIndexFile | IndexProblem {
    if (!statSync(this.gitdir, { throwIfNoEntry: false })?.isDirectory()) {
      return { problem: `no git directory at ${this.gitdir}` };
    }
    const path = join(this.gitdir, 'index');
    const st = statSync(path, { bigint: true, throwIfNoEntry: false });
    const stamp = st ? stampOf(st) : 'none';
    if (this.loaded?.stamp === stamp) return this.loaded.index;
    // Someone else wrote the index: what we remembered of its trees may be stale.
    this.trees.reset();
    const index = st ? parseIndex(readFileSync(path)) : { version: 2 as const, entries: [] };
    this.loaded = isIndexProblem(index) ? undefined : { index, stamp };
    return index;
  }

  /** Writes the index into the lock file and renames it into place, as git does. */
  private saveIndex(index: GitIndexFile, lock: IndexLock): void {
    const path = join(this.gitdir, 'index');
    try {
      writeFileSync(lock.path, serializeIndex(index));
    } catch (err) {
      throw orNoSpace(err, path);
    }
    renameSync(lock.path, path);
    lock.consumed = true;
    // At once: an index.lock git makes next may get the same inode number.
    forgetLockOwner(lock.path);
    this.loaded = { index, stamp: stampOf(statSync(path, { bigint: true })) };
  }

  /**
   * Whether the index tracks `path` (relative to the work tree, `/`-separated): a file
   * there, or files under it. Undefined for an index only git reads (version 4, split, …).
   */
  tracks(path: string): boolean | undefined {
    const index = this.loadIndex();
    if (isIndexProblem(index)) return undefined;
    return findEntry(index, path) !== undefined || hasEntriesUnder(index, path);
  }

  /**
   * The subset of `filepaths` (relative, `/`-separated) that `.gitignore` files and
   * `info/exclude` exclude; undefined when that cannot be told here.
   */
  ignored(filepaths: readonly string[]): Set<string> | undefined {
    return ignoredPaths(this.dir, this.layout.commondir, filepaths);
  }

  /** Paths staged with content different from HEAD (what a commit would record). */
  async hasStagedChanges(): Promise<boolean> {
    const index = this.loadIndex();
    if (this.linked || (isIndexProblem(index) && !(await this.isomorphicCopes(index)))) {
      return this.cli(isIndexProblem(index) ? index.problem : LINKED).hasStagedChanges();
    }
    const matrix = await git.statusMatrix(this.iso());
    // [path, HEAD, workdir, stage]: stage differs from HEAD when stage !== HEAD (1) status.
    return matrix.some(([, head, , stage]) => (head === 0 ? stage !== 0 : stage !== 1));
  }

  /**
   * The latest commit reachable from HEAD that changed `path` (absolute or relative to the
   * work tree): the commit the first line of `git log <path>` names. Undefined when no
   * commit holds the path (or there are no commits).
   */
  async lastCommitOf(path: string): Promise<string | undefined> {
    const filepath = this.relativePath(path);
    if (this.linked) return this.cli(LINKED).lastCommitOf(filepath);
    try {
      const [entry] = await git.log({ ...this.iso(), filepath, depth: 1, cache: this.cache });
      return entry?.oid;
    } catch (err) {
      // No HEAD yet, or HEAD's tree does not hold the path.
      if ((err as { code?: string }).code === 'NotFoundError') return undefined;
      throw new OperationError(
        'GIT_LOG_FAILED',
        `git log ${filepath} failed: ${describeGitError(err)}`,
        {
          cause: err,
          hint: "Check the repository with 'git log' and 'git fsck'.",
        },
      );
    }
  }

  /**
   * Commits what is staged (like `git commit` without `-a`); returns the new commit id.
   * `restage`: files (absolute) this process staged for the commit; any
   * whose index entry is gone or of another version by now is staged again under the same
   * lock hold as the commit. A `git commit -a` running beside cmf reads the index before it
   * locks it and writes its stale copy back, dropping what was staged in between: without
   * this, the commit would silently miss those files (even be empty).
   */
  async commit(message: string, opts: { restage?: readonly string[] } = {}): Promise<string> {
    const author = await this.author();
    try {
      // Hooks and signing are git's: then git commits, as cmflib's `git commit` does.
      const extras = await commitExtras(this.layout, this.dir);
      if (extras) return await this.cli(extras).commit(message, author);
      const outcome = await this.withIndexLock(async (lock): Promise<Outcome<string>> => {
        const index = this.loadIndex();
        if (isIndexProblem(index)) {
          if (await this.isomorphicCopes(index)) {
            return { done: await this.isoCommit(message, author) };
          }
          return { viaGit: index.problem };
        }
        const stale = this.staleEntries(index, opts.restage ?? []);
        if (stale.length > 0 && !this.convertsLineEndings()) this.stageFast(index, stale, lock);
        const oid = this.commitFast(index, message, author);
        if (oid) return { done: oid };
        if (this.linked) return { viaGit: LINKED };
        return { done: await this.isoCommit(message, author) };
      });
      if ('done' in outcome) return outcome.done;
      return await this.cli(outcome.viaGit).commit(message, author);
    } catch (err) {
      if (err instanceof CmfError) throw err;
      if (isNoSpaceError(err)) throw this.noSpace(err);
      throw new OperationError('GIT_COMMIT_FAILED', `git commit failed: ${describeGitError(err)}`, {
        cause: err,
        hint: 'Fix what the message says (resolve and git add unmerged files, for one), then call finalize() again; the .dvc files stay staged.',
      });
    }
  }

  /**
   * Of `paths` (absolute), those the index lacks or holds at another version than the file's
   * (by stat, as git's own check); all of them when the index is not one read here.
   */
  unstaged(paths: readonly string[]): string[] {
    const index = this.loadIndex();
    if (isIndexProblem(index)) return [...paths];
    const stale = new Set(this.staleEntries(index, paths));
    return paths.filter((p) => stale.has(this.relativePath(p)));
  }

  /** Of `paths` (absolute), those whose file the index lacks or holds at another version. */
  private staleEntries(index: GitIndexFile, paths: readonly string[]): string[] {
    return paths
      .map((p) => this.relativePath(p))
      .filter((f) => {
        const st = lstatSync(join(this.dir, f), { bigint: true, throwIfNoEntry: false });
        if (!st) return false; // gone since: nothing to stage
        const entry = findEntry(index, f);
        return entry === undefined || !entryMatchesStat(entry, st);
      });
  }

  /** A write into the repository that found no room: DISK_FULL naming it (else the git dir). */
  private noSpace(err: NodeJS.ErrnoException): OperationError {
    return noSpaceError(writtenPath(err) ?? this.gitdir, err);
  }

  private isoCommit(message: string, author: { name: string; email: string }): Promise<string> {
    return git.commit({ ...this.iso(), fs: syncBackedFs, message, author, cache: this.cache });
  }

  /**
   * Commits the index: trees of changed directories, the commit object, then the branch
   * (or detached HEAD) moved to it. Undefined when HEAD is not read here.
   */
  private commitFast(
    index: GitIndexFile,
    message: string,
    who: { name: string; email: string },
  ): string | undefined {
    const head = this.loadHead();
    if (!head) return undefined;
    const tree = this.trees.write(index.entries, this.objects);
    const sig = signature(who.name, who.email, new Date());
    const text = commitText({
      tree,
      parents: head.oid ? [head.oid] : [],
      author: sig,
      committer: sig,
      message,
    });
    const oid = this.objects.write('commit', Buffer.from(text, 'utf8'));
    const reflog = this.logsRefUpdates() ? { who: sig, message } : undefined;
    updateRef(this.layout, head.ref ?? 'HEAD', oid, head.oid, reflog);
    return oid;
  }

  /**
   * Holds git's `index.lock` while `fn` runs. isomorphic-git rewrites `.git/index` in place
   * and locks only within its own process, so two processes staging at once (two pipeline
   * scripts, or one and a git command) could read a half-written index. git itself takes
   * this lock file for the same reason; we wait for it rather than fail at once.
   */
  private async withIndexLock<T>(
    fn: (lock: IndexLock) => Promise<T>,
    timeoutMs = 60_000,
  ): Promise<T> {
    const { gitdir } = this;
    const held: IndexLock = { path: join(gitdir, 'index.lock'), consumed: false };
    if (!fs.statSync(gitdir, { throwIfNoEntry: false })?.isDirectory()) {
      held.consumed = true; // no lock taken: nothing to remove
      return fn(held);
    }
    const lock = held.path;
    await acquireLockFile(lock, {
      timeoutMs,
      orphaned: (st) => leftByDeadCmf(lock, st),
      busy: () =>
        new OperationError('GIT_INDEX_LOCKED', `${lock} is held by another process`, {
          hint: 'Wait for the other git process to finish; if none is running, delete the lock file.',
          data: { lock },
        }),
      abandonedMs: ABANDONED_INDEX_LOCK_MS,
      abandoned: (ageMs) => abandonedIndexLock(lock, ageMs),
    });
    recordLockOwner(lock);
    try {
      return await fn(held);
    } finally {
      // Once renamed over the index the lock is gone (and its record, see saveIndex); a new
      // one would be someone else's.
      if (!held.consumed) {
        rmSync(lock, { force: true });
        forgetLockOwner(lock);
      }
    }
  }

  relativePath(p: string): string {
    const rel = relative(this.dir, resolve(this.dir, p));
    if (rel.startsWith('..') || rel === '') {
      throw new OperationError(
        'GIT_PATH_OUTSIDE',
        `${p} is outside the git repository ${this.dir}`,
        {
          hint: 'Keep artifacts inside the repository that holds the MLMD file.',
        },
      );
    }
    return rel.split(sep).join('/');
  }

  /**
   * Commit identity as git resolves it: GIT_AUTHOR_* variables, then repository config,
   * then the global config files (isomorphic-git reads only the repository's).
   */
  private async author(): Promise<{ name: string; email: string }> {
    const fromEnv = { name: process.env.GIT_AUTHOR_NAME, email: process.env.GIT_AUTHOR_EMAIL };
    const local = this.repoUser();
    let name =
      fromEnv.name ??
      local?.name ??
      (await git.getConfig({ ...this.iso(true), path: 'user.name' }));
    let email =
      fromEnv.email ??
      local?.email ??
      (await git.getConfig({ ...this.iso(true), path: 'user.email' }));
    if (!name || !email) {
      const global = await readGlobalGitUser();
      name ??= global.name;
      email ??= global.email;
    }
    if (!name || !email) {
      throw new ConfigError('GIT_NO_IDENTITY', 'git has no user.name / user.email to commit with', {
        hint: 'Run: git config --global user.name "Your Name" && git config --global user.email you@example.com',
      });
    }
    return { name, email };
  }
}

/** True when staging `path` as a file would clash with the index: a directory there, or a file above it. */
function blocksPath(index: GitIndexFile, path: string): boolean {
  for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
    if (findEntry(index, path.slice(0, i))) return true;
  }
  return hasEntriesUnder(index, path);
}

/** True when the index holds files under the directory `path`. */
function hasEntriesUnder(index: GitIndexFile, path: string): boolean {
  // Entries under `path/` sort right after `path/` itself.
  const under = `${path}/`;
  return firstAtOrAfter(index.entries, under)?.path.startsWith(under) === true;
}

function firstAtOrAfter(entries: readonly IndexEntry[], path: string): IndexEntry | undefined {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (comparePaths(entries[mid]!.path, path) < 0) lo = mid + 1;
    else hi = mid;
  }
  return entries[lo];
}

/**
 * An isomorphic-git error in words. Its UnmergedPathsError puts `filepaths.toString` (the
 * function, not its result) in its message; the paths are in its data.
 */
function describeGitError(err: unknown): string {
  const e = err as { code?: unknown; data?: { filepaths?: unknown }; message?: unknown };
  const paths = e.data?.filepaths;
  if (e.code === 'UnmergedPathsError' && Array.isArray(paths)) {
    return `there are unmerged files: ${paths.join(', ')}`;
  }
  return String(e.message ?? err);
}
