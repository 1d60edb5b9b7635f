/**
 * Repositories that are not a plain `.git` directory with a version 2/3 index: linked
 * worktrees, `.git` files pointing elsewhere, split and version 4 indexes. The git CLI sets
 * each one up and is the judge afterwards (fsck, ls-files, show).
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitRepo } from '../../../src/git/index.js';
import { gitCli, newRepo } from '../../helpers/git-cli.js';
import { tempDir } from '../../helpers/tmp.js';

/** A repository with one commit of two tracked files (one in a sub-directory). */
async function repoWithFiles(): Promise<string> {
  const dir = await newRepo();
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'README'), 'hello\n');
  writeFileSync(join(dir, 'src', 'main.py'), 'print(1)\n');
  gitCli(dir, 'add', '.');
  gitCli(dir, 'commit', '-q', '-m', 'base');
  return dir;
}

/** Sound objects, HEAD's tree equal to the index, nothing staged or modified. */
function expectConsistent(dir: string): void {
  gitCli(dir, 'fsck', '--strict', '--full');
  expect(gitCli(dir, 'write-tree')).toBe(gitCli(dir, 'rev-parse', 'HEAD^{tree}'));
  expect(gitCli(dir, 'status', '--porcelain', '--untracked-files=no')).toBe('');
}

describe('linked worktree (git worktree add)', () => {
  it('stages and commits into the common git dir, the worktree keeping its own HEAD and index', async () => {
    const main = await repoWithFiles();
    gitCli(main, 'remote', 'add', 'origin', 'https://example.org/project.git');
    const base = gitCli(main, 'rev-parse', 'HEAD');
    const wt = join(await tempDir(), 'wt');
    gitCli(main, 'worktree', 'add', '-q', wt, '-b', 'wt');

    const repo = await GitRepo.find(wt);
    expect(repo.dir).toBe(wt);
    expect(await repo.headCommit()).toBe(base);
    expect(await repo.currentBranch()).toBe('wt');
    expect(await repo.remoteUrl()).toBe('https://example.org/project.git');

    writeFileSync(join(wt, 'x.dvc'), 'outs: []\n');
    await repo.add(['x.dvc']);
    expect(await repo.hasStagedChanges()).toBe(true);
    const sha = await repo.commit('log artifacts');

    expect(gitCli(wt, 'rev-parse', 'HEAD')).toBe(sha);
    expect(gitCli(main, 'rev-parse', 'wt')).toBe(sha);
    expect(gitCli(main, 'cat-file', '-t', sha)).toBe('commit');
    expect(gitCli(wt, 'ls-files')).toBe('README\nsrc/main.py\nx.dvc');
    // Nothing written where git never looks.
    const wtGitdir = join(main, '.git', 'worktrees', 'wt');
    expect(existsSync(join(wtGitdir, 'objects'))).toBe(false);
    expect(existsSync(join(wtGitdir, 'refs', 'heads'))).toBe(false);
    expectConsistent(wt);
    // The main work tree is untouched: same branch, same commit, clean.
    expect(gitCli(main, 'rev-parse', 'HEAD')).toBe(base);
    expect(gitCli(main, 'status', '--porcelain')).toBe('');
    // The user carries on with git.
    writeFileSync(join(wt, 'notes.txt'), 'n\n');
    gitCli(wt, 'add', 'notes.txt');
    gitCli(wt, 'commit', '-q', '-m', 'by git');
    expect(gitCli(wt, 'rev-parse', 'HEAD^')).toBe(sha);
    expectConsistent(wt);
    // The last commit that changed a path, as 'git log <path>' names it.
    expect(await repo.lastCommitOf('x.dvc')).toBe(sha);
    expect(await repo.lastCommitOf(join(wt, 'README'))).toBe(base);
    expect(await repo.lastCommitOf('missing')).toBeUndefined();
  });

  it('sets a remote in the common config', async () => {
    const main = await repoWithFiles();
    const wt = join(await tempDir(), 'wt');
    gitCli(main, 'worktree', 'add', '-q', wt, '-b', 'wt');
    const repo = await GitRepo.find(wt);
    expect(await repo.setRemote('cmf_origin', 'https://example.org/x.git')).toBe('added');
    expect(gitCli(main, 'remote', 'get-url', 'cmf_origin')).toBe('https://example.org/x.git');
  });
});

describe('.git file pointing at a separate git dir (submodule style)', () => {
  it('follows a relative gitdir: line, and runs the hooks there', async () => {
    const root = await tempDir();
    const dir = join(root, 'work');
    gitCli(root, 'init', '-q', '-b', 'work', `--separate-git-dir=${join(root, 'store')}`, dir);
    // Submodules write the path relative to the .git file.
    writeFileSync(join(dir, '.git'), 'gitdir: ../store\n');
    gitCli(dir, 'config', 'user.name', 'Test User');
    gitCli(dir, 'config', 'user.email', 'test@example.com');
    writeFileSync(join(dir, 'a.txt'), 'a\n');
    gitCli(dir, 'add', 'a.txt');
    gitCli(dir, 'commit', '-q', '-m', 'base');

    // Its hooks live in the separate git dir.
    const marker = join(root, 'pre-commit-ran');
    writeFileSync(join(root, 'store', 'hooks', 'pre-commit'), `#!/bin/sh\ntouch "${marker}"\n`);
    chmodSync(join(root, 'store', 'hooks', 'pre-commit'), 0o755);

    const repo = await GitRepo.find(dir);
    expect(await repo.headCommit()).toBe(gitCli(dir, 'rev-parse', 'HEAD'));
    writeFileSync(join(dir, 'x.dvc'), 'x\n');
    await repo.add(['x.dvc']);
    const sha = await repo.commit('log');
    expect(existsSync(marker)).toBe(true);
    expect(gitCli(dir, 'rev-parse', 'HEAD')).toBe(sha);
    expect(gitCli(dir, 'ls-files')).toBe('a.txt\nx.dvc');
    expect(existsSync(join(dir, 'objects'))).toBe(false);
    expectConsistent(dir);
  });
});

describe('index formats the in-process writer does not rewrite', () => {
  it('split index: the tracked files stay, the tree is sound', async () => {
    const dir = await repoWithFiles();
    gitCli(dir, 'update-index', '--split-index');
    expect(readdirSync(join(dir, '.git')).some((f) => f.startsWith('sharedindex.'))).toBe(true);
    await writeFile(join(dir, 'x.dvc'), 'outs: []\n');
    const repo = await GitRepo.find(dir);
    await repo.add(['x.dvc']);
    expect(await repo.hasStagedChanges()).toBe(true);
    const sha = await repo.commit('log artifacts');
    expect(gitCli(dir, 'rev-parse', 'HEAD')).toBe(sha);
    expect(gitCli(dir, 'show', '--stat', '--format=%s', 'HEAD')).toMatch(
      /^log artifacts\n[\s\S]*x\.dvc/,
    );
    expect(gitCli(dir, 'ls-files')).toBe('README\nsrc/main.py\nx.dvc');
    expect(gitCli(dir, 'ls-tree', '-r', '--name-only', 'HEAD')).toBe('README\nsrc/main.py\nx.dvc');
    expectConsistent(dir);
  });

  it('index version 4: files are staged and committed, the index stays version 4', async () => {
    const dir = await repoWithFiles();
    gitCli(dir, 'update-index', '--index-version', '4');
    await writeFile(join(dir, 'x.dvc'), 'outs: []\n');
    const repo = await GitRepo.find(dir);
    await repo.checkStaging();
    await repo.add(['x.dvc']);
    expect(gitCli(dir, 'diff', '--cached', '--name-only')).toBe('x.dvc');
    expect(await repo.hasStagedChanges()).toBe(true);
    const sha = await repo.commit('log artifacts');
    expect(gitCli(dir, 'ls-tree', '-r', '--name-only', sha)).toBe('README\nsrc/main.py\nx.dvc');
    expect(gitCli(dir, 'log', '--format=%an <%ae>|%cn <%ce>|%s', '-1')).toBe(
      'Test User <test@example.com>|Test User <test@example.com>|log artifacts',
    );
    expect(await repo.hasStagedChanges()).toBe(false);
    expectConsistent(dir);
    expect(readFileSync(join(dir, '.git', 'index')).readUInt32BE(4)).toBe(4);
  });

  it('without a git binary: refused up front with a typed error and a hint', async () => {
    const dir = await repoWithFiles();
    gitCli(dir, 'update-index', '--index-version', '4');
    await writeFile(join(dir, 'x.dvc'), 'outs: []\n');
    const repo = await GitRepo.find(dir);
    const before = gitCli(dir, 'ls-files', '--stage');
    const saved = process.env.PATH;
    process.env.PATH = await tempDir(); // an empty directory: no git anywhere
    try {
      await expect(repo.checkStaging()).rejects.toMatchObject({
        code: 'GIT_NOT_INSTALLED',
        message: expect.stringMatching(/index version 4/),
        hint: expect.stringMatching(/update-index --index-version 3/),
      });
      await expect(repo.add(['x.dvc'])).rejects.toMatchObject({ code: 'GIT_NOT_INSTALLED' });
    } finally {
      process.env.PATH = saved;
    }
    expect(gitCli(dir, 'ls-files', '--stage')).toBe(before);
  });
});
