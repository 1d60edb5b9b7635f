import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError, UsageError } from '../../../src/errors/index.js';
import { walkDirectory } from '../../../src/hashing/walk.js';
import { tempDir, writeTree } from './helpers.js';

const relpaths = async (dir: string, opts?: Parameters<typeof walkDirectory>[1]) =>
  (await walkDirectory(dir, opts)).map((f) => f.relpath).sort();

describe('walkDirectory', () => {
  let root: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir: root, cleanup } = tempDir());
    mkdirSync(join(root, '.dvc')); // root is a DVC repo
  });
  afterEach(() => cleanup());

  it('lists files with POSIX relpaths, absolute paths and stats; empty dirs leave no trace', async () => {
    writeTree(root, { 'data/a.txt': 'a\n', 'data/sub/deep/b.txt': 'bb\n' });
    mkdirSync(join(root, 'data/empty/nested'), { recursive: true });
    const files = await walkDirectory(join(root, 'data'));
    files.sort((x, y) => x.relpath.localeCompare(y.relpath));
    expect(files.map((f) => f.relpath)).toEqual(['a.txt', 'sub/deep/b.txt']);
    expect(files[1]!.path).toBe(join(root, 'data/sub/deep/b.txt'));
    expect(files[1]!.stat?.size).toBe(3);
    expect(typeof files[1]!.stat?.ino).toBe('bigint');
    expect(typeof files[1]!.stat?.mtimeNs).toBe('bigint');
    expect((await walkDirectory(join(root, 'data'), { stat: false }))[0]!.stat).toBeUndefined();
  });

  it('follows symlinked files but does not enter symlinked directories', async () => {
    writeTree(root, { 'outside/x.txt': 'x', 'outside/dir/y.txt': 'y', 'data/real.txt': 'r' });
    symlinkSync(join(root, 'outside/x.txt'), join(root, 'data/link.txt'));
    symlinkSync(join(root, 'outside/dir'), join(root, 'data/linkdir'));
    const files = await walkDirectory(join(root, 'data'));
    expect(files.map((f) => f.relpath).sort()).toEqual(['link.txt', 'real.txt']);
    expect(files.find((f) => f.relpath === 'link.txt')!.stat!.size).toBe(1);
  });

  it('rejects a broken symlink', async () => {
    writeTree(root, { 'data/a': 'a' });
    symlinkSync(join(root, 'missing'), join(root, 'data/dangling'));
    await expect(walkDirectory(join(root, 'data'))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('always skips .git, .hg, .dvc and sub-repositories', async () => {
    writeTree(root, {
      'data/keep.txt': 'k',
      'data/.git/HEAD': 'ref',
      'data/sub/.git': 'gitdir: elsewhere', // a worktree/submodule .git file
      'data/sub/ok.txt': 'o',
      'data/.hg/store': 's',
      'data/.dvc/config': '',
      'data/subrepo/.dvc/config': '',
      'data/subrepo/file.txt': 'f',
    });
    expect(await relpaths(join(root, 'data'))).toEqual(['keep.txt', 'sub/ok.txt']);
  });

  it('applies .dvcignore files from the repo root down, relative to their folder', async () => {
    writeTree(root, {
      '.dvcignore': '# header\n*.log\n!keep.log\n  \n/data/top-only.txt  \n',
      'data/a.txt': 'a',
      'data/x.log': 'x',
      'data/keep.log': 'k',
      'data/top-only.txt': 't',
      'data/sub/top-only.txt': 't',
      'data/sub/y.log': 'y',
      'data/tmp/t.bin': 't',
      'data/tmpfile': 'f',
    });
    // A deeper .dvcignore between the repo root and the walked directory.
    writeTree(root, { 'nested/.dvcignore': 'tmp/\n!*.log\n', 'nested/data/tmp/t': 't' });
    writeTree(root, { 'nested/data/tmpfile': 'f', 'nested/data/z.log': 'z' });
    expect(await relpaths(join(root, 'data'))).toEqual([
      'a.txt',
      'keep.log',
      'sub/top-only.txt',
      'tmp/t.bin',
      'tmpfile',
    ]);
    // nested/.dvcignore: tmp/ matches directories only; !*.log re-includes the root's *.log
    expect(await relpaths(join(root, 'nested/data'))).toEqual(['tmpfile', 'z.log']);
  });

  it('applies nested .dvcignore files with negation when asked to', async () => {
    writeTree(root, {
      'ws/.dvcignore': '*.tmp\n',
      'ws/a.tmp': 'a',
      'ws/b.txt': 'b',
      'ws/sub/.dvcignore': '!keep.tmp\nb.txt\n',
      'ws/sub/keep.tmp': 'k',
      'ws/sub/other.tmp': 'o',
      'ws/sub/b.txt': 'b',
    });
    expect(await relpaths(join(root, 'ws'), { nestedDvcignore: 'apply' })).toEqual([
      '.dvcignore',
      'b.txt',
      'sub/.dvcignore',
      'sub/keep.tmp',
    ]);
  });

  it('rejects a .dvcignore inside the directory being added', async () => {
    writeTree(root, { 'data/a.txt': 'a', 'data/deep/.dvcignore': '*.x\n' });
    const err = await walkDirectory(join(root, 'data')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).code).toBe('DVCIGNORE_IN_DIR');
    expect((err as UsageError).hint).toMatch(/\.dvcignore/);
  });

  it('throws NotFoundError for a missing directory', async () => {
    await expect(walkDirectory(join(root, 'nope'))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses a name that is not UTF-8, shown byte by byte, unless .dvcignore lists it', async () => {
    // A name that holds U+FFFD as valid UTF-8 is a name like any other.
    writeTree(root, { 'data/ok\uFFFD.txt': 'a' });
    writeFileSync(Buffer.from(join(root, 'data/') + '\xff\xfe.bin', 'latin1'), 'b');
    const err = await walkDirectory(join(root, 'data')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err).toMatchObject({ code: 'FILE_NAME_NOT_UTF8' });
    expect((err as UsageError).message).toMatch(/is not UTF-8: \\xff\\xfe\.bin$/);
    writeTree(root, { '.dvcignore': '*.bin\n' });
    expect(await relpaths(join(root, 'data'))).toEqual(['ok\uFFFD.txt']);
  });
});
