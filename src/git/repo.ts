import fs from 'node:fs';
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { homedir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import git from 'isomorphic-git';
import { ConfigError, NotFoundError, OperationError } from '../errors/index.js';
import { parseIni, type IniDocument } from '../config/configobj.js';
import { ignoredPaths } from './ignored.js';
import { syncBackedFs } from './sync-fs.js';

/**
 * Git operations cmf performs in-process through isomorphic-git: repository detection,
 * HEAD, the remote URL, staging and committing. Never changes the user's branch or cwd.
 */
export class GitRepo {
  /**
   * isomorphic-git's cache, shared by this instance's calls: the parsed index is reused
   * while the index file's stat is unchanged (a write by anyone else changes it).
   */
  private readonly cache = {};

  private constructor(readonly dir: string) {}

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
    try {
      return await git.resolveRef({ fs, dir: this.dir, ref: 'HEAD' });
    } catch {
      return undefined;
    }
  }

  async currentBranch(): Promise<string | undefined> {
    return (await git.currentBranch({ fs, dir: this.dir, test: false })) ?? undefined;
  }

  /** URL of `remote`, else of the first remote (what cmflib records as `Git_Repo`), else ''. */
  async remoteUrl(remote?: string): Promise<string> {
    const remotes = await git.listRemotes({ fs, dir: this.dir });
    const chosen = remote ? remotes.find((r) => r.remote === remote) : remotes[0];
    return chosen?.url ?? '';
  }

  /** Adds remote `name`, or points it at `url` when it exists. Says which happened. */
  async setRemote(name: string, url: string): Promise<'added' | 'updated' | 'unchanged'> {
    const existing = (await git.listRemotes({ fs, dir: this.dir })).find((r) => r.remote === name);
    if (existing?.url === url) return 'unchanged';
    try {
      await git.addRemote({ fs, dir: this.dir, remote: name, url, force: true });
    } catch (err) {
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
      await this.withIndexLock(async () => {
        const { dir, cache } = this;
        const ignored = ignoredPaths(dir, join(dir, '.git'), filepaths);
        const sfs = syncBackedFs;
        if (!ignored) return git.add({ fs: sfs, dir, filepath: filepaths, cache });
        const rest = filepaths.filter((f) => !ignored.has(f));
        if (rest.length > 0) await git.add({ fs: sfs, dir, filepath: rest, cache, force: true });
        // Ignored paths: isomorphic-git still stages those the index tracks already.
        if (ignored.size > 0) await git.add({ fs: sfs, dir, filepath: [...ignored], cache });
      });
    } catch (err) {
      if (err instanceof OperationError) throw err;
      throw new OperationError('GIT_ADD_FAILED', `git add failed: ${(err as Error).message}`, {
        cause: err,
        hint: 'Check that the files exist inside the repository.',
      });
    }
  }

  /** Paths staged with content different from HEAD (what a commit would record). */
  async hasStagedChanges(): Promise<boolean> {
    const matrix = await git.statusMatrix({ fs, dir: this.dir });
    // [path, HEAD, workdir, stage]: stage differs from HEAD when stage !== HEAD (1) status.
    return matrix.some(([, head, , stage]) => (head === 0 ? stage !== 0 : stage !== 1));
  }

  /** Commits what is staged (like `git commit` without `-a`). Returns the new commit id. */
  async commit(message: string): Promise<string> {
    const author = await this.author();
    try {
      return await this.withIndexLock(() =>
        git.commit({ fs: syncBackedFs, dir: this.dir, message, author, cache: this.cache }),
      );
    } catch (err) {
      if (err instanceof OperationError) throw err;
      throw new OperationError(
        'GIT_COMMIT_FAILED',
        `git commit failed: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  /**
   * Holds git's `index.lock` while `fn` runs. isomorphic-git rewrites `.git/index` in place
   * and locks only within its own process, so two processes staging at once (two pipeline
   * scripts, or one and a git command) could read a half-written index. git itself takes
   * this lock file for the same reason; we wait for it rather than fail at once.
   */
  private async withIndexLock<T>(fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
    const gitdir = join(this.dir, '.git');
    if (!fs.statSync(gitdir, { throwIfNoEntry: false })?.isDirectory()) return fn();
    const lock = join(gitdir, 'index.lock');
    const start = Date.now();
    for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
      try {
        await (await open(lock, 'wx')).close();
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (Date.now() - start > timeoutMs) {
          throw new OperationError('GIT_INDEX_LOCKED', `${lock} is held by another process`, {
            hint: 'Wait for the other git process to finish; if none is running, delete the lock file.',
          });
        }
        await sleep(delay);
      }
    }
    try {
      return await fn();
    } finally {
      await rm(lock, { force: true });
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
    let name = fromEnv.name ?? (await git.getConfig({ fs, dir: this.dir, path: 'user.name' }));
    let email = fromEnv.email ?? (await git.getConfig({ fs, dir: this.dir, path: 'user.email' }));
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

/** The user's global git config (XDG file, then ~/.gitconfig, the later winning), lowercased keys. */
async function readGlobalGitConfig(): Promise<IniDocument> {
  const xdg = process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config');
  const merged: IniDocument = new Map();
  for (const file of [join(xdg, 'git', 'config'), join(homedir(), '.gitconfig')]) {
    try {
      for (const [name, section] of parseIni(await readFile(file, 'utf8'), { lowercase: true })) {
        merged.set(name, new Map([...(merged.get(name) ?? []), ...section]));
      }
    } catch {
      // Missing or unparsable global config: git itself would fall back too.
    }
  }
  return merged;
}

async function readGlobalGitUser(): Promise<{ name?: string; email?: string }> {
  const user = (await readGlobalGitConfig()).get('user');
  const n = user?.get('name');
  const e = user?.get('email');
  return {
    ...(typeof n === 'string' ? { name: n } : {}),
    ...(typeof e === 'string' ? { email: e } : {}),
  };
}
