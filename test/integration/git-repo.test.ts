import { chmod, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/errors/index.js';
import { GitRepo } from '../../src/git/index.js';
import { failure } from '../helpers/failure.js';
import { gitCli, newRepo } from '../helpers/git-cli.js';
import { tempDir } from '../helpers/tmp.js';

describe('GitRepo (isomorphic-git, checked with the git CLI)', () => {
  it('finds the work tree from a sub-directory', async () => {
    const dir = await newRepo();
    await mkdir(join(dir, 'a', 'b'), { recursive: true });
    const repo = await GitRepo.find(join(dir, 'a', 'b'));
    expect(repo.dir).toBe(dir);
  });

  it('outside a repository: a typed not-found error with a hint', async () => {
    const dir = await tempDir();
    await expect(GitRepo.find(dir)).rejects.toBeInstanceOf(NotFoundError);
    await expect(GitRepo.find(dir)).rejects.toMatchObject({ code: 'GIT_NOT_A_REPO' });
  });

  it('adds and commits only staged files, without switching the branch', async () => {
    const dir = await newRepo();
    await writeFile(join(dir, 'x.dvc'), 'outs: []\n');
    await writeFile(join(dir, 'untracked.txt'), 'no\n');
    const repo = await GitRepo.find(dir);
    expect(await repo.headCommit()).toBeUndefined();
    await repo.add([join(dir, 'x.dvc')]);
    expect(await repo.hasStagedChanges()).toBe(true);
    const sha = await repo.commit('log artifacts');
    expect(gitCli(dir, 'rev-parse', 'HEAD')).toBe(sha);
    expect(await repo.headCommit()).toBe(sha);
    expect(gitCli(dir, 'ls-files')).toBe('x.dvc');
    expect(gitCli(dir, 'log', '--format=%an <%ae> %s')).toBe(
      'Test User <test@example.com> log artifacts',
    );
    expect(await repo.currentBranch()).toBe('work');
    expect(await repo.hasStagedChanges()).toBe(false);
    gitCli(dir, 'fsck', '--strict');
  });

  it('reports the first remote URL, or a named one', async () => {
    const dir = await newRepo();
    const repo = await GitRepo.find(dir);
    expect(await repo.remoteUrl()).toBe('');
    gitCli(dir, 'remote', 'add', 'origin', 'https://example.org/a.git');
    gitCli(dir, 'remote', 'add', 'cmf_origin', 'ssh://git@example.org/b.git');
    expect(await repo.remoteUrl('cmf_origin')).toBe('ssh://git@example.org/b.git');
    expect(await repo.remoteUrl()).toMatch(/example\.org/);
  });

  it('setRemote replaces .git/config through config.lock, as git does, keeping its mode', async () => {
    const dir = await newRepo();
    const config = join(dir, '.git', 'config');
    await chmod(config, 0o600);
    const repo = await GitRepo.find(dir);
    // Another writer's lock: refused, and left alone.
    await writeFile(`${config}.lock`, '');
    const before = await readFile(config);
    const err = await failure(repo.setRemote('cmf_origin', 'https://example.org/a.git'));
    expect(err).toMatchObject({ code: 'GIT_CONFIG_LOCKED', exitCode: 1 });
    expect(await readFile(config)).toEqual(before);
    await rm(`${config}.lock`);

    expect(await repo.setRemote('cmf_origin', 'https://example.org/a.git')).toBe('added');
    expect(await repo.setRemote('cmf_origin', 'https://example.org/b.git')).toBe('updated');
    expect(gitCli(dir, 'config', '--get', 'remote.cmf_origin.url')).toBe(
      'https://example.org/b.git',
    );
    expect(gitCli(dir, 'config', '--get', 'remote.cmf_origin.fetch')).toBe(
      '+refs/heads/*:refs/remotes/cmf_origin/*',
    );
    expect(gitCli(dir, 'config', '--get', 'user.name')).toBe('Test User');
    expect((await stat(config)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(dir, '.git'))).not.toContain('config.lock');
  });

  it("lastCommitOf names the commit the first line of 'git log <path>' names", async () => {
    const dir = await newRepo();
    const repo = await GitRepo.find(dir);
    await writeFile(join(dir, 'dvc.lock'), 'a\n');
    expect(await repo.lastCommitOf('dvc.lock')).toBeUndefined(); // no commits yet
    gitCli(dir, 'add', 'dvc.lock');
    gitCli(dir, 'commit', '-q', '-m', 'one');
    await writeFile(join(dir, 'other'), 'b\n');
    gitCli(dir, 'add', 'other');
    gitCli(dir, 'commit', '-q', '-m', 'two');
    const first = gitCli(dir, 'log', 'dvc.lock').split('\n')[0];
    expect(`commit ${await repo.lastCommitOf(join(dir, 'dvc.lock'))}`).toBe(first);
    expect(await repo.lastCommitOf('missing')).toBeUndefined();
  });

  it('refuses paths outside the work tree', async () => {
    const dir = await newRepo();
    const repo = await GitRepo.find(dir);
    expect(() => repo.relativePath('/etc/passwd')).toThrow(/outside the git repository/);
  });

  it('without any identity: a config error naming the fix', async () => {
    const dir = await tempDir();
    gitCli(dir, 'init', '-q');
    await writeFile(join(dir, 'f'), 'x');
    const repo = await GitRepo.find(dir);
    await repo.add(['f']);
    const saved = { ...process.env };
    process.env.HOME = dir;
    process.env.XDG_CONFIG_HOME = dir;
    delete process.env.GIT_AUTHOR_NAME;
    delete process.env.GIT_AUTHOR_EMAIL;
    try {
      await expect(repo.commit('m')).rejects.toMatchObject({ code: 'GIT_NO_IDENTITY' });
    } finally {
      process.env = saved;
    }
  });
});
