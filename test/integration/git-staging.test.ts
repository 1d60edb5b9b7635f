import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { chmod, mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { describe, expect, it } from 'vitest';
import { GitRepo } from '../../src/git/index.js';
import { gitCli, newRepo } from '../helpers/git-cli.js';

/**
 * GitRepo stages and commits without isomorphic-git on ordinary repositories (its own index
 * writer, loose objects and packs, trees rebuilt only where paths changed). Real git is the
 * judge: fsck, status, write-tree, hash-object.
 */

/** Git's own view: every object sound, the index clean against the work tree and HEAD. */
function expectConsistent(dir: string): void {
  gitCli(dir, 'fsck', '--strict', '--full');
  // HEAD's tree is the one git computes from the index.
  expect(gitCli(dir, 'write-tree')).toBe(gitCli(dir, 'rev-parse', 'HEAD^{tree}'));
  // Nothing staged or modified (stat data in the index matches the files).
  expect(gitCli(dir, 'status', '--porcelain', '--untracked-files=no')).toBe('');
}

describe('GitRepo staging and committing', () => {
  it('stages a batch into a pack, commits it, and git agrees on every object', async () => {
    const dir = await newRepo();
    const paths: string[] = [];
    for (let d = 0; d < 3; d++) {
      await mkdir(join(dir, 'data', `d${d}`), { recursive: true });
      for (let f = 0; f < 20; f++) {
        const rel = `data/d${d}/f${f}.csv.dvc`;
        await writeFile(join(dir, rel), `outs:\n- md5: ${d}-${f}\n  path: f${f}.csv\n`);
        paths.push(rel);
      }
    }
    const repo = await GitRepo.find(dir);
    await repo.add(paths);
    expect((await readdir(join(dir, '.git', 'objects', 'pack'))).sort()).toEqual([
      expect.stringMatching(/^pack-[0-9a-f]{40}\.idx$/),
      expect.stringMatching(/^pack-[0-9a-f]{40}\.pack$/),
    ]);
    const sha = await repo.commit('log artifacts');
    expect(gitCli(dir, 'rev-parse', 'HEAD')).toBe(sha);
    expect(gitCli(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('work');
    expect(gitCli(dir, 'log', '--format=%an <%ae>|%cn|%s')).toBe(
      'Test User <test@example.com>|Test User|log artifacts',
    );
    expect(gitCli(dir, 'ls-files').split('\n')).toEqual([...paths].sort());
    expectConsistent(dir);
    for (const p of [paths[0]!, paths[59]!]) {
      expect(gitCli(dir, 'rev-parse', `HEAD:${p}`)).toBe(gitCli(dir, 'hash-object', p));
      // isomorphic-git reads what we packed.
      const { blob } = await git.readBlob({ fs, dir, oid: sha, filepath: p });
      expect(Buffer.from(blob).toString()).toBe(fs.readFileSync(join(dir, p), 'utf8'));
    }
  });

  it('commits again after changes in one directory, and after the git CLI touched the index', async () => {
    const dir = await newRepo();
    await mkdir(join(dir, 'a'));
    await mkdir(join(dir, 'b'));
    await writeFile(join(dir, 'a', 'x.dvc'), 'x1\n');
    await writeFile(join(dir, 'b', 'y.dvc'), 'y1\n');
    const repo = await GitRepo.find(dir);
    await repo.add(['a/x.dvc', 'b/y.dvc']);
    const first = await repo.commit('one');
    await writeFile(join(dir, 'a', 'x.dvc'), 'x2\n');
    await writeFile(join(dir, 'a', 'z.dvc'), 'z\n');
    await repo.add(['a/x.dvc', 'a/z.dvc']);
    const second = await repo.commit('two');
    expect(gitCli(dir, 'rev-parse', 'HEAD^')).toBe(first);
    expect(gitCli(dir, 'rev-parse', 'HEAD^{tree}:b')).toBe(gitCli(dir, 'rev-parse', `${first}:b`));
    expect(gitCli(dir, 'show', `${second}:a/x.dvc`)).toBe('x2');
    expectConsistent(dir);
    // Someone else stages (and commits) with git itself; our next commit keeps their work.
    await writeFile(join(dir, 'b', 'by-git.txt'), 'git\n');
    gitCli(dir, 'add', 'b/by-git.txt');
    gitCli(dir, 'commit', '-q', '-m', 'by git');
    await writeFile(join(dir, 'b', 'y.dvc'), 'y2\n');
    await repo.add(['b/y.dvc']);
    await repo.commit('three');
    expect(gitCli(dir, 'ls-files').split('\n')).toEqual([
      'a/x.dvc',
      'a/z.dvc',
      'b/by-git.txt',
      'b/y.dvc',
    ]);
    expect(gitCli(dir, 'log', '--format=%s')).toBe('three\nby git\ntwo\none');
    expectConsistent(dir);
  });

  it('orders unicode names as git does and keeps executable and symlink modes', async () => {
    const dir = await newRepo();
    const names = ['z.dvc', 'ä.dvc', '\u{1F600}.dvc', '\uFF5E.dvc', 'a-b.dvc', 'a.dvc', 'run.sh'];
    for (const n of names) await writeFile(join(dir, n), `${n}\n`);
    await mkdir(join(dir, 'a'));
    await writeFile(join(dir, 'a', 'in.dvc'), 'in\n');
    await chmod(join(dir, 'run.sh'), 0o755);
    await symlink('z.dvc', join(dir, 'link.dvc'));
    const repo = await GitRepo.find(dir);
    await repo.add([...names, 'a/in.dvc', 'link.dvc']);
    await repo.commit('modes');
    expectConsistent(dir);
    const modes = gitCli(dir, 'ls-files', '-s', 'run.sh', 'link.dvc', 'z.dvc');
    expect(modes).toMatch(/^120000 .*\slink\.dvc$/m);
    expect(modes).toMatch(/^100755 .*\srun\.sh$/m);
    expect(modes).toMatch(/^100644 .*\sz\.dvc$/m);
  });

  it('skips ignored untracked files, stages ignored tracked ones, and commits on a detached HEAD', async () => {
    const dir = await newRepo();
    await writeFile(join(dir, '.gitignore'), '*.tmp\n');
    await writeFile(join(dir, 'kept.tmp'), 'v1\n');
    gitCli(dir, 'add', '-f', 'kept.tmp', '.gitignore');
    gitCli(dir, 'commit', '-q', '-m', 'base');
    gitCli(dir, 'checkout', '-q', '--detach');
    await writeFile(join(dir, 'kept.tmp'), 'v2\n');
    await writeFile(join(dir, 'new.tmp'), 'no\n');
    const repo = await GitRepo.find(dir);
    await repo.add(['kept.tmp', 'new.tmp']);
    const sha = await repo.commit('detached');
    expect(gitCli(dir, 'rev-parse', 'HEAD')).toBe(sha);
    expect(gitCli(dir, 'rev-parse', 'work')).not.toBe(sha);
    expect(gitCli(dir, 'ls-files')).toBe('.gitignore\nkept.tmp');
    expect(gitCli(dir, 'show', 'HEAD:kept.tmp')).toBe('v2');
    expectConsistent(dir);
  });
});

describe('a git command that writes back a stale index between staging and commit', () => {
  it('does not make the commit miss what was staged: the files are staged again under the commit lock', async () => {
    const dir = await newRepo();
    await writeFile(join(dir, 'a.dvc'), 'a v1\n');
    gitCli(dir, 'add', 'a.dvc');
    gitCli(dir, 'commit', '-q', '-m', 'base');
    const before = fs.readFileSync(join(dir, '.git', 'index'));
    await writeFile(join(dir, 'a.dvc'), 'a v2, longer\n');
    await writeFile(join(dir, 'b.dvc'), 'b\n');
    const repo = await GitRepo.find(dir);
    const staged = [join(dir, 'a.dvc'), join(dir, 'b.dvc')];
    await repo.add(staged);
    // What `git commit -a` does when it read the index before this staging: its copy back.
    fs.writeFileSync(join(dir, '.git', 'index'), before);
    const oid = await repo.commit('cmf: execution 1', { restage: staged });
    expect(gitCli(dir, 'show', '--format=', '--name-only', oid)).toBe('a.dvc\nb.dvc');
    expect(gitCli(dir, 'show', `${oid}:a.dvc`)).toBe('a v2, longer');
    expectConsistent(dir);
  });
});

describe('reflogs', () => {
  it("cmf's commits are in the branch's and HEAD's reflogs, as git's are", async () => {
    const dir = await newRepo();
    await writeFile(join(dir, 'a.dvc'), 'a\n');
    gitCli(dir, 'add', 'a.dvc');
    gitCli(dir, 'commit', '-q', '-m', 'base');
    const branch = gitCli(dir, 'symbolic-ref', '--short', 'HEAD');
    await writeFile(join(dir, 'b.dvc'), 'b\n');
    const repo = await GitRepo.find(dir);
    await repo.add([join(dir, 'b.dvc')]);
    const oid = await repo.commit('cmf: execution 1 (train)\n\nmore text');
    for (const ref of ['HEAD', branch]) {
      expect(gitCli(dir, 'reflog', 'show', '--format=%H %gs', ref).split('\n')[0]).toBe(
        `${oid} commit: cmf: execution 1 (train)`,
      );
    }
    // The entry follows git's (old value → new): `git reset --hard HEAD~` then finds it.
    gitCli(dir, 'reset', '-q', '--hard', 'HEAD~');
    expect(gitCli(dir, 'rev-parse', 'HEAD@{1}')).toBe(oid);
    gitCli(dir, 'fsck', '--strict');
  });
});

describe('an index.lock a killed cmf left', () => {
  /** index.lock as a cmf process left it when killed: its owner record names a dead pid. */
  async function leftByKilledCmf(dir: string): Promise<string> {
    const lock = join(dir, '.git', 'index.lock');
    fs.writeFileSync(lock, '');
    const owner = new URL('../../src/git/index-lock-owner.ts', import.meta.url).href;
    // The `.js` → `.ts` resolve hook: the module imports others by their built names.
    const hook = new URL('../fixtures/cache/ts-resolve.mjs', import.meta.url).href;
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        hook,
        '--input-type=module',
        '-e',
        `(await import('${owner}')).recordLockOwner(process.argv[1])`,
        lock,
      ],
      { encoding: 'utf8' },
    );
    expect(child.stderr).toBe('');
    expect(fs.existsSync(`${lock}.cmf-owner`)).toBe(true);
    const before = new Date(Date.now() - 6_000);
    fs.utimesSync(lock, before, before);
    return lock;
  }

  it('is removed by the next cmf, which stages and commits', async () => {
    const dir = await newRepo();
    await writeFile(join(dir, 'a.dvc'), 'outs: []\n');
    const lock = await leftByKilledCmf(dir);
    const repo = await GitRepo.find(dir);
    await repo.add(['a.dvc']);
    await repo.commit('after a kill');
    expect(gitCli(dir, 'show', '--name-only', '--format=', 'HEAD')).toBe('a.dvc');
    expect(fs.readdirSync(join(dir, '.git')).filter((f) => f.startsWith('index.lock'))).toEqual([]);
    expect(fs.existsSync(lock)).toBe(false);
    expectConsistent(dir);
  });

  it('is not removed when its record names a live process, another file, or nothing', async () => {
    const cases: Array<(lock: string) => void> = [
      // The holder still runs (the test runner's parent process).
      (lock) => {
        const file = `${lock}.cmf-owner`;
        const rec = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid: number };
        fs.writeFileSync(file, JSON.stringify({ ...rec, pid: process.ppid }));
      },
      // git made a new lock since (another inode or birth time).
      (lock) => {
        fs.rmSync(lock);
        fs.writeFileSync(lock, '');
      },
      // No record: git's own lock.
      (lock) => fs.rmSync(`${lock}.cmf-owner`),
    ];
    for (const change of cases) {
      const dir = await newRepo();
      await writeFile(join(dir, 'a.dvc'), 'outs: []\n');
      const lock = await leftByKilledCmf(dir);
      change(lock);
      const old = new Date(Date.now() - 5 * 60_000);
      fs.utimesSync(lock, old, old);
      const repo = await GitRepo.find(dir);
      const err = await repo.add(['a.dvc']).then(
        () => undefined,
        (e: unknown) => e as { code?: string },
      );
      expect(err).toMatchObject({ code: 'GIT_INDEX_LOCKED' });
      expect(fs.existsSync(lock)).toBe(true);
    }
  });
});

describe("git's index.lock held by someone else", () => {
  it('one already older than 30 s is reported at once, with its age, and left in place', async () => {
    const dir = await newRepo();
    await writeFile(join(dir, 'a.dvc'), 'outs: []\n');
    const lock = join(dir, '.git', 'index.lock');
    fs.writeFileSync(lock, '');
    const old = new Date(Date.now() - 5 * 60_000);
    fs.utimesSync(lock, old, old);
    const repo = await GitRepo.find(dir);
    const err = await repo.add(['a.dvc']).then(
      () => undefined,
      (e: unknown) => e as { code?: string; message: string; hint?: string; data?: unknown },
    );
    expect(err).toMatchObject({ code: 'GIT_INDEX_LOCKED', data: { lock } });
    expect(err!.message).toMatch(
      /last written 5 min ago: it is probably left over from a git process that was killed/,
    );
    expect(err!.hint).toContain(`rm ${lock}`);
    expect(fs.existsSync(lock)).toBe(true);
    // Once it is gone, staging works.
    fs.rmSync(lock);
    await repo.add(['a.dvc']);
    expect(gitCli(dir, 'diff', '--cached', '--name-only')).toBe('a.dvc');
  });

  it('a fresh one is waited for', async () => {
    const dir = await newRepo();
    await writeFile(join(dir, 'a.dvc'), 'outs: []\n');
    const lock = join(dir, '.git', 'index.lock');
    fs.writeFileSync(lock, '');
    const repo = await GitRepo.find(dir);
    const staged = repo.add(['a.dvc']);
    setTimeout(() => fs.rmSync(lock), 300);
    await staged;
    expect(gitCli(dir, 'diff', '--cached', '--name-only')).toBe('a.dvc');
  });
});
