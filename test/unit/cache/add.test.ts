import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError, UsageError } from '../../../src/errors/index.js';
import { add } from '../../../src/hashing/add.js';
import { LocalCache } from '../../../src/hashing/cache.js';
import { HashState } from '../../../src/hashing/state.js';

const A = '60b725f10c9c85c70d97880dfe8191b3';
const B = '3b5d5c3712955042212316173ccf37be';
const DIR = '849835d274483dc683eb416d6e4f887d.dir';

let repo: string;
let cache: LocalCache;
beforeEach(async () => {
  repo = await mkdtemp(join(tmpdir(), 'cmf-add-'));
  await mkdir(join(repo, '.dvc'));
  cache = new LocalCache(join(repo, '.dvc', 'cache'));
});
afterEach(async () => {
  await rm(repo, { recursive: true, force: true });
});

describe('add', () => {
  it('adds a file: object, .dvc file (byte-exact) and .gitignore', async () => {
    await writeFile(join(repo, 'a.txt'), 'a\n');
    const r = await add(join(repo, 'a.txt'), { repoRoot: repo, cache });
    expect(r.out).toEqual({ md5: A, size: 2, hashName: 'md5', path: 'a.txt' });
    expect(r.dvcFilePath).toBe(join(repo, 'a.txt.dvc'));
    expect(r.objects).toEqual({ added: 1, existing: 0 });
    expect(await readFile(r.dvcFilePath, 'utf8')).toBe(
      `outs:\n- md5: ${A}\n  size: 2\n  hash: md5\n  path: a.txt\n`,
    );
    expect(r.gitignorePath).toBe(join(repo, '.gitignore'));
    expect(await readFile(join(repo, '.gitignore'), 'utf8')).toBe('/a.txt\n');
    const obj = join(repo, '.dvc', 'cache', 'files', 'md5', '60', 'b725f10c9c85c70d97880dfe8191b3');
    expect(await readFile(obj, 'utf8')).toBe('a\n');
    expect((await stat(obj)).mode & 0o777).toBe(0o444);
    // The workspace file is left as it was.
    expect((await stat(join(repo, 'a.txt'))).mode & 0o222).not.toBe(0);
  });

  it('adds a directory: file objects, the manifest and the A2 .dvc file', async () => {
    await mkdir(join(repo, 'data', 'sub'), { recursive: true });
    await writeFile(join(repo, 'data', 'a.txt'), 'a\n');
    await writeFile(join(repo, 'data', 'sub', 'b.txt'), 'b\n');
    const state = HashState.open(repo);
    try {
      const r = await add(join(repo, 'data'), { repoRoot: repo, cache, state });
      expect(r.out).toEqual({ md5: DIR, size: 4, nfiles: 2, hashName: 'md5', path: 'data' });
      expect(r.objects).toEqual({ added: 3, existing: 0 });
      expect(await readFile(join(repo, 'data.dvc'), 'utf8')).toBe(
        `outs:\n- md5: ${DIR}\n  size: 4\n  nfiles: 2\n  hash: md5\n  path: data\n`,
      );
      expect(await readFile(join(repo, '.gitignore'), 'utf8')).toBe('/data\n');
      for (const oid of [A, B, DIR]) expect(await cache.has(oid)).toBe(true);
      await cache.verify(DIR);
      // Adding again stores nothing new and writes the same files.
      const again = await add(join(repo, 'data'), { repoRoot: repo, cache, state });
      expect(again.objects).toEqual({ added: 0, existing: 3 });
      expect(await readFile(join(repo, '.gitignore'), 'utf8')).toBe('/data\n');
    } finally {
      state.close();
    }
  });

  it('records isexec for executable files', async () => {
    await writeFile(join(repo, 'run.sh'), '#!/bin/sh\n');
    await chmod(join(repo, 'run.sh'), 0o755);
    const r = await add(join(repo, 'run.sh'), { repoRoot: repo, cache });
    expect(r.out.isexec).toBe(true);
    expect(await readFile(r.dvcFilePath, 'utf8')).toContain(
      '  isexec: true\n  hash: md5\n  path: run.sh\n',
    );
  });

  it('keeps user keys of an existing .dvc file when adding again', async () => {
    await mkdir(join(repo, 'sub'));
    await writeFile(join(repo, 'sub', 'a.txt'), 'a\n');
    await writeFile(
      join(repo, 'sub', 'a.txt.dvc'),
      `outs:\n- md5: ${B}\n  size: 2\n  path: a.txt\n  desc: my file\n  remote: store\nmeta:\n  owner: me\n`,
    );
    const r = await add(join(repo, 'sub', 'a.txt'), { repoRoot: repo, cache });
    expect(await readFile(r.dvcFilePath, 'utf8')).toBe(
      `outs:\n- md5: ${A}\n  size: 2\n  hash: md5\n  path: a.txt\n  desc: my file\n  remote: store\nmeta:\n  owner: me\n`,
    );
    expect(await readFile(join(repo, 'sub', '.gitignore'), 'utf8')).toBe('/a.txt\n');
  });

  it('can skip the .gitignore', async () => {
    await writeFile(join(repo, 'a.txt'), 'a\n');
    const r = await add(join(repo, 'a.txt'), { repoRoot: repo, cache, gitignore: false });
    expect(r.gitignorePath).toBeUndefined();
    await expect(stat(join(repo, '.gitignore'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses missing paths, paths outside the repo, the repo itself and .dvc internals', async () => {
    await expect(add(join(repo, 'nope'), { repoRoot: repo, cache })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(add(tmpdir(), { repoRoot: repo, cache })).rejects.toBeInstanceOf(UsageError);
    await expect(add(repo, { repoRoot: repo, cache })).rejects.toBeInstanceOf(UsageError);
    await writeFile(join(repo, '.dvc', 'config'), '');
    await expect(
      add(join(repo, '.dvc', 'config'), { repoRoot: repo, cache }),
    ).rejects.toBeInstanceOf(UsageError);
    await writeFile(join(repo, 'x.dvc'), '');
    await expect(add(join(repo, 'x.dvc'), { repoRoot: repo, cache })).rejects.toBeInstanceOf(
      UsageError,
    );
  });

  it('refuses a path with a line break before writing anything', async () => {
    for (const rel of ['new\nline.txt', 'cr\r.txt', 'd\nir/a.txt']) {
      await mkdir(join(repo, rel, '..'), { recursive: true });
      await writeFile(join(repo, rel), 'a\n');
      await expect(add(join(repo, rel), { repoRoot: repo, cache })).rejects.toMatchObject({
        code: 'PATH_HAS_LINE_BREAK',
        exitCode: 2,
      });
    }
    await expect(stat(join(repo, '.dvc', 'cache'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(join(repo, '.gitignore'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(join(repo, 'new\nline.txt.dvc'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses overlapping outputs and symlinked directories, writing nothing', async () => {
    await mkdir(join(repo, 'dd', 'sub'), { recursive: true });
    await writeFile(join(repo, 'dd', 'sub', 'a'), 'a\n');
    await add(join(repo, 'dd'), { repoRoot: repo, cache });
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: UsageError) => e.code,
      );
    expect(await code(add(join(repo, 'dd', 'sub', 'a'), { repoRoot: repo, cache }))).toBe(
      'ADD_OVERLAPPING_OUTPUTS',
    );
    expect(await code(readFile(join(repo, 'dd', 'sub', 'a.dvc')))).toBe('ENOENT');

    await mkdir(join(repo, 'ee'));
    await writeFile(join(repo, 'ee', 'b'), 'b\n');
    await add(join(repo, 'ee', 'b'), { repoRoot: repo, cache });
    expect(await code(add(join(repo, 'ee'), { repoRoot: repo, cache }))).toBe(
      'ADD_OVERLAPPING_OUTPUTS',
    );

    await symlink(join(repo, 'ee'), join(repo, 'link'));
    expect(await code(add(join(repo, 'link', 'b'), { repoRoot: repo, cache }))).toBe(
      'ADD_SYMLINKED_DIRECTORY',
    );
    expect(await code(add(join(repo, 'link'), { repoRoot: repo, cache }))).toBe(
      'ADD_SYMLINKED_DIRECTORY',
    );
    expect(await readFile(join(repo, '.gitignore'), 'utf8')).toBe('/dd\n');
  });
});
