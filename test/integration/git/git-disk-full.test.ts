/**
 * Staging and committing on a full file system (a real tmpfs, so root only; skipped
 * otherwise). Each step is tried with the space it finds growing a page at a time (four
 * tries per size: objects a failed try wrote are not written again, so the next try gets
 * further), until it succeeds. Every failure must be DISK_FULL naming a file in the
 * repository, and leave no lock file behind: a stale `refs/heads/<branch>.lock` or
 * `index.lock` would make every later commit, cmf's or git's, fail until deleted by hand.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CmfError } from '../../../src/errors/index.js';
import { GitRepo } from '../../../src/git/index.js';
import { Cmf } from '../../../src/index.js';
import { mountSmallTmpfs, withGrowingSpace } from '../../helpers/full-fs.js';
import { gitCli } from '../../helpers/git-cli.js';
import { tempDir } from '../../helpers/tmp.js';

/** Lock files (`*.lock`) anywhere under `dir`. */
function locks(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.lock'));
}

/** Tries per free-space size: a failed try leaves objects the next need not write again. */
const TRIES = 4;

/** The files the failures name, relative to `dir`. */
const namedIn = (failures: unknown[], dir: string) =>
  failures.map((f) => String((f as CmfError).data?.path).slice(dir.length + 1));

/** DISK_FULL about a path under `dir`, with the hint to free space; no lock left in `gitdir`. */
function expectDiskFull(err: unknown, dir: string, gitdir: string): void {
  expect(err).toBeInstanceOf(CmfError);
  expect(err).toMatchObject({ code: 'DISK_FULL', exitCode: 1, hint: /^Free space/ });
  expect(String((err as CmfError).data?.path)).toMatch(new RegExp(`^${dir}/`));
  expect(locks(gitdir)).toEqual([]);
}

/** A repository with one commit, made by git inside `mount`. */
function repoIn(mount: string): string {
  const dir = join(mount, 'repo');
  mkdirSync(dir);
  gitCli(dir, 'init', '-q', '-b', 'work');
  gitCli(dir, 'config', 'user.name', 'Test User');
  gitCli(dir, 'config', 'user.email', 'test@example.com');
  writeFileSync(join(dir, 'README'), 'hello\n');
  gitCli(dir, 'add', 'README');
  gitCli(dir, 'commit', '-q', '-m', 'base');
  return dir;
}

describe('(root) git on a full file system', () => {
  it('add and commit fail with DISK_FULL, leave no lock, and succeed once there is room', async (ctx) => {
    const mount = join(await tempDir(), 'full');
    const unmount = mountSmallTmpfs(mount);
    if (!unmount) return ctx.skip();
    try {
      const dir = repoIn(mount);
      const gitdir = join(dir, '.git');
      mkdirSync(join(dir, 'sub'));
      for (const f of ['a.dvc', 'b.dvc', 'sub/c.dvc']) writeFileSync(join(dir, f), `${f}\n`);
      const check = (err: unknown) => expectDiskFull(err, dir, gitdir);

      const added = await withGrowingSpace(
        mount,
        async () => (await GitRepo.find(dir)).add(['a.dvc', 'b.dvc', 'sub/c.dvc']),
        check,
        TRIES,
      );
      expect(namedIn(added.failures, dir)).toContain('.git/index');
      expect(gitCli(dir, 'diff', '--cached', '--name-only')).toBe('a.dvc\nb.dvc\nsub/c.dvc');

      const committed = await withGrowingSpace(
        mount,
        async () => (await GitRepo.find(dir)).commit('log artifacts'),
        check,
        TRIES,
      );
      // Past the objects, there was no room for the branch's new value.
      expect(namedIn(committed.failures, dir)).toContain('.git/refs/heads/work.lock');
      expect(gitCli(dir, 'rev-parse', 'HEAD')).toBe(committed.result);
      expect(gitCli(dir, 'log', '--format=%s')).toBe('log artifacts\nbase');
      gitCli(dir, 'fsck', '--strict', '--full');
      // git itself is not stopped by anything left behind.
      gitCli(dir, 'commit', '-q', '--allow-empty', '-m', 'by git');
      expect(gitCli(dir, 'log', '-1', '--format=%s')).toBe('by git');
    } finally {
      unmount();
    }
  });

  it('with a commit hook (git itself stages and commits): DISK_FULL about the git dir, not git add/commit failed', async (ctx) => {
    const mount = join(await tempDir(), 'full');
    const unmount = mountSmallTmpfs(mount);
    if (!unmount) return ctx.skip();
    try {
      const dir = repoIn(mount);
      const gitdir = join(dir, '.git');
      writeFileSync(join(gitdir, 'hooks', 'pre-commit'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      writeFileSync(join(dir, 'a.dvc'), `${'a'.repeat(20_000)}\n`);
      const check = (err: unknown) => expectDiskFull(err, dir, gitdir);
      await withGrowingSpace(mount, async () => (await GitRepo.find(dir)).add(['a.dvc']), check);
      const committed = await withGrowingSpace(
        mount,
        async () => (await GitRepo.find(dir)).commit('log artifacts'),
        check,
      );
      // git's own "No space left on device", not GIT_COMMIT_FAILED.
      expect(committed.failures.map((f) => (f as Error).message)).toContainEqual(
        expect.stringContaining(`Cannot write ${gitdir}: no space left`),
      );
      expect(gitCli(dir, 'log', '--format=%s')).toBe('log artifacts\nbase');
      expect(gitCli(dir, 'rev-parse', 'HEAD')).toBe(committed.result);
    } finally {
      unmount();
    }
  });

  it('Cmf.finalize() on a full disk: DISK_FULL, no stale branch lock, and a retry commits', async (ctx) => {
    const mount = join(await tempDir(), 'full');
    const unmount = mountSmallTmpfs(mount);
    if (!unmount) return ctx.skip();
    let cmf: Cmf | undefined;
    try {
      const dir = repoIn(mount);
      const gitdir = join(dir, '.git');
      mkdirSync(join(dir, '.dvc'));
      mkdirSync(join(mount, 'remote'));
      writeFileSync(
        join(dir, '.dvc', 'config'),
        `[core]\n    remote = r\n['remote "r"']\n    url = ${join(mount, 'remote')}\n`,
      );
      writeFileSync(join(dir, 'data.csv'), 'x\n1\n');
      cmf = await Cmf.open({ cwd: dir, pipelineName: 'P' });
      await cmf.createContext('train');
      await cmf.createExecution('fit');
      await cmf.logDataset('data.csv', 'input');

      const done = await withGrowingSpace(
        mount,
        () => cmf!.finalize(),
        (err) => {
          // The MLMD write after the commit may find no room too.
          if ((err as CmfError).code === 'MLMD_DISK_FULL') return;
          expectDiskFull(err, dir, gitdir);
        },
        TRIES,
      );
      expect(namedIn(done.failures, dir)).toContain('.git/refs/heads/work.lock');
      expect(gitCli(dir, 'log', '-1', '--format=%s')).toMatch(/^cmf: execution \d+ \(fit\)$/);
      expect(done.result.endCommit).toBe(gitCli(dir, 'rev-parse', 'HEAD'));
      expect(gitCli(dir, 'ls-files')).toMatch(/^data\.csv\.dvc$/m);
      gitCli(dir, 'commit', '-q', '--allow-empty', '-m', 'by git');
    } finally {
      await cmf?.close();
      unmount();
    }
  });
});
