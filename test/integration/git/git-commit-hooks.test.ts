/**
 * What `git commit` honours and the in-process commit cannot: hooks (core.hooksPath too)
 * and signing. Also the remote cmflib records, and the error during a merge conflict.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitRepo } from '../../../src/git/index.js';
import { gitCli, newRepo } from '../../helpers/git-cli.js';
import { tempDir } from '../../helpers/tmp.js';

function hook(dir: string, name: string, body: string): void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

async function staged(): Promise<{ dir: string; repo: GitRepo }> {
  const dir = await newRepo();
  writeFileSync(join(dir, 'x.dvc'), 'outs: []\n');
  const repo = await GitRepo.find(dir);
  await repo.add(['x.dvc']);
  return { dir, repo };
}

describe('commit hooks and signing', () => {
  it('a failing pre-commit hook stops the commit with a typed error carrying its words', async () => {
    const { dir, repo } = await staged();
    hook(join(dir, '.git', 'hooks'), 'pre-commit', 'echo "no .dvc files on Fridays" >&2; exit 1');
    const err = await repo.commit('log').catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'GIT_COMMIT_FAILED',
      message: expect.stringContaining('no .dvc files on Fridays'),
      hint: expect.stringMatching(/hook/),
    });
    expect(() => gitCli(dir, 'rev-parse', '--verify', '-q', 'HEAD')).toThrow();
    expect(gitCli(dir, 'diff', '--cached', '--name-only')).toBe('x.dvc');
    // A hook that is not executable does not run, as in git: the retry commits.
    chmodSync(join(dir, '.git', 'hooks', 'pre-commit'), 0o644);
    const sha = await repo.commit('log');
    expect(gitCli(dir, 'rev-parse', 'HEAD')).toBe(sha);
  });

  it('runs the hooks of core.hooksPath, and commit-msg sees the message', async () => {
    const { dir, repo } = await staged();
    const hooks = join(await tempDir(), 'hooks');
    gitCli(dir, 'config', 'core.hooksPath', hooks);
    hook(hooks, 'commit-msg', `cp "$1" "${join(hooks, 'seen')}"`);
    hook(hooks, 'post-commit', `touch "${join(hooks, 'post')}"`);
    const sha = await repo.commit('cmf: execution 1 (Prepare)');
    expect(gitCli(dir, 'rev-parse', 'HEAD')).toBe(sha);
    expect(readFileSync(join(hooks, 'seen'), 'utf8')).toBe('cmf: execution 1 (Prepare)\n');
    expect(existsSync(join(hooks, 'post'))).toBe(true);
    expect(gitCli(dir, 'log', '--format=%an <%ae>|%s')).toBe(
      'Test User <test@example.com>|cmf: execution 1 (Prepare)',
    );
  });

  it('commit.gpgsign=true signs the commit', async () => {
    const { dir, repo } = await staged();
    // A stand-in for gpg speaking its status protocol, so no keys are needed.
    const bin = await tempDir();
    hook(
      bin,
      'fake-gpg',
      'cat >/dev/null\n' +
        'printf "[GNUPG:] BEGIN_SIGNING\\n[GNUPG:] SIG_CREATED D 1 8 00 0 0\\n" >&2\n' +
        'printf -- "-----BEGIN PGP SIGNATURE-----\\n\\nZmFrZQ==\\n-----END PGP SIGNATURE-----\\n"',
    );
    gitCli(dir, 'config', 'commit.gpgsign', 'true');
    gitCli(dir, 'config', 'gpg.program', join(bin, 'fake-gpg'));
    const sha = await repo.commit('signed');
    expect(gitCli(dir, 'cat-file', 'commit', sha)).toMatch(
      /^gpgsig -----BEGIN PGP SIGNATURE-----/m,
    );
  });
});

describe('Git_Repo', () => {
  it('is the URL of the alphabetically first remote, the first line of git remote -v', async () => {
    const dir = await newRepo();
    gitCli(dir, 'remote', 'add', 'origin', 'https://example.org/origin.git');
    gitCli(dir, 'remote', 'add', 'cmf_origin', 'ssh://git@example.org/cmf.git');
    const repo = await GitRepo.find(dir);
    const firstLine = gitCli(dir, 'remote', '-v').split(/\s+/)[1];
    expect(firstLine).toBe('ssh://git@example.org/cmf.git');
    expect(await repo.remoteUrl()).toBe(firstLine);
    expect(await repo.remoteUrl('origin')).toBe('https://example.org/origin.git');
  });
});

describe('merge conflict', () => {
  async function conflicted(): Promise<{ dir: string; repo: GitRepo }> {
    const dir = await newRepo();
    writeFileSync(join(dir, 'params.yaml'), 'lr: 1\n');
    gitCli(dir, 'add', 'params.yaml');
    gitCli(dir, 'commit', '-q', '-m', 'base');
    gitCli(dir, 'checkout', '-q', '-b', 'other');
    writeFileSync(join(dir, 'params.yaml'), 'lr: 2\n');
    gitCli(dir, 'commit', '-q', '-am', 'other');
    gitCli(dir, 'checkout', '-q', 'work');
    writeFileSync(join(dir, 'params.yaml'), 'lr: 3\n');
    gitCli(dir, 'commit', '-q', '-am', 'ours');
    expect(() => gitCli(dir, 'merge', '-q', 'other')).toThrow();
    writeFileSync(join(dir, 'x.dvc'), 'outs: []\n');
    return { dir, repo: await GitRepo.find(dir) };
  }

  it('stages the .dvc file; the commit fails naming the unmerged file', async () => {
    const { dir, repo } = await conflicted();
    await repo.add(['x.dvc']);
    expect(gitCli(dir, 'ls-files', '--stage', 'x.dvc')).toMatch(/^100644 \w+ 0\tx\.dvc$/);
    const err = (await repo.commit('log').catch((e: unknown) => e)) as Error;
    expect(err).toMatchObject({ code: 'GIT_COMMIT_FAILED', hint: expect.any(String) });
    expect(err.message).not.toMatch(/function|native code/);
    expect(err.message).toMatch(/unmerged/i);
  });

  it('without a git binary the message names the unmerged file too', async () => {
    const { repo } = await conflicted();
    const saved = process.env.PATH;
    process.env.PATH = await tempDir();
    try {
      const err = (await repo.commit('log').catch((e: unknown) => e)) as Error;
      expect(err).toMatchObject({ code: 'GIT_COMMIT_FAILED' });
      expect(err.message).not.toMatch(/function|native code/);
      expect(err.message).toMatch(/params\.yaml/);
    } finally {
      process.env.PATH = saved;
    }
  });
});
