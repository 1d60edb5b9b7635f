import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  IntegrityError,
  NotFoundError,
  OperationError,
  UsageError,
} from '../../../src/errors/index.js';
import { add } from '../../../src/hashing/add.js';
import { LocalCache } from '../../../src/hashing/cache.js';
import { checkout, type CheckoutOptions } from '../../../src/hashing/checkout.js';
import type { DvcOut } from '../../../src/hashing/dvcfile.js';
import { manifestHash, serializeManifest } from '../../../src/hashing/manifest.js';
import { HashState } from '../../../src/hashing/state.js';

const A = '60b725f10c9c85c70d97880dfe8191b3'; // "a\n"
const umask = process.umask();

let repo: string;
let cache: LocalCache;
let base: CheckoutOptions;
beforeEach(async () => {
  repo = await mkdtemp(join(tmpdir(), 'cmf-checkout-'));
  await mkdir(join(repo, '.dvc'));
  cache = new LocalCache(join(repo, '.dvc', 'cache'));
  base = { repoRoot: repo, dvcFileDir: repo, cache };
});
afterEach(async () => {
  await rm(repo, { recursive: true, force: true });
});

/** The tree under `dir` as { relpath: content }, symlinks shown as `-> target`. */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const d of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const p = join(d.parentPath, d.name);
    const rel = p.slice(dir.length + 1);
    if (d.isSymbolicLink()) out[rel] = `-> ${await readlink(p)}`;
    else if (d.isFile()) out[rel] = await readFile(p, 'utf8');
  }
  return out;
}

const DATA: Record<string, string> = {
  'a.txt': 'a\n',
  'sub/b.txt': 'b\n',
  'sub/deeper/c.txt': 'c\n',
  'café.txt': 'accent\n',
  '日本/ü 🎉.txt': 'astral\n',
  'empty.txt': '',
};

async function makeData(files: Record<string, string> = DATA): Promise<string> {
  const root = join(repo, 'data');
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(join(root, rel, '..'), { recursive: true });
    await writeFile(join(root, rel), content);
  }
  return root;
}

describe('checkout of a file', () => {
  it('restores a deleted file as a writable copy, then leaves it alone', async () => {
    await writeFile(join(repo, 'a.txt'), 'a\n');
    const { out } = await add(join(repo, 'a.txt'), { repoRoot: repo, cache });
    await rm(join(repo, 'a.txt'));
    const r = await checkout(out, base);
    expect(r).toMatchObject({
      kind: 'file',
      added: ['a.txt'],
      modified: [],
      deleted: [],
      unchanged: 0,
    });
    expect(r.linkTypes.length).toBe(1);
    expect(await readFile(join(repo, 'a.txt'), 'utf8')).toBe('a\n');
    expect((await stat(join(repo, 'a.txt'))).mode & 0o777).toBe(0o666 & ~umask);
    const again = await checkout(out, base);
    expect(again).toMatchObject({ added: [], modified: [], unchanged: 1 });
  });

  it('sets the x bits for isexec', async () => {
    await writeFile(join(repo, 'run.sh'), '#!/bin/sh\n');
    await chmod(join(repo, 'run.sh'), 0o755);
    const { out } = await add(join(repo, 'run.sh'), { repoRoot: repo, cache });
    await rm(join(repo, 'run.sh'));
    await checkout(out, { ...base, linkTypes: ['copy'] });
    const mode = (await stat(join(repo, 'run.sh'))).mode & 0o777;
    expect(mode).toBe((0o666 & ~umask) | ((0o666 & ~umask & 0o444) >> 2));
    expect(mode & 0o100).toBe(0o100);
  });

  it('replaces a modified file only when its content is cached, or with force', async () => {
    await writeFile(join(repo, 'a.txt'), 'a\n');
    const { out } = await add(join(repo, 'a.txt'), { repoRoot: repo, cache });
    await writeFile(join(repo, 'a.txt'), 'precious edit\n');
    const err = await checkout(out, base).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OperationError);
    expect((err as OperationError).code).toBe('CHECKOUT_WOULD_LOSE_DATA');
    expect((err as OperationError).hint).toMatch(/force/);
    expect(await readFile(join(repo, 'a.txt'), 'utf8')).toBe('precious edit\n');
    const r = await checkout(out, { ...base, force: true });
    expect(r.modified).toEqual(['a.txt']);
    expect(await readFile(join(repo, 'a.txt'), 'utf8')).toBe('a\n');
    // A workspace version that is itself cached may be replaced without force.
    await writeFile(join(repo, 'b.txt'), 'b\n');
    await add(join(repo, 'b.txt'), { repoRoot: repo, cache });
    await writeFile(join(repo, 'a.txt'), 'b\n');
    expect((await checkout(out, base)).modified).toEqual(['a.txt']);
  });

  it('hardlink, symlink and copy link types', async () => {
    await writeFile(join(repo, 'a.txt'), 'a\n');
    const { out } = await add(join(repo, 'a.txt'), { repoRoot: repo, cache });
    const obj = cache.objectPath(A);

    await rm(join(repo, 'a.txt'));
    expect((await checkout(out, { ...base, linkTypes: ['hardlink'] })).linkTypes).toEqual([
      'hardlink',
    ]);
    expect((await stat(join(repo, 'a.txt'))).ino).toBe((await stat(obj)).ino);
    expect((await stat(join(repo, 'a.txt'))).mode & 0o777).toBe(0o444);

    await rm(join(repo, 'a.txt'));
    await checkout(out, { ...base, linkTypes: ['symlink'] });
    expect((await lstat(join(repo, 'a.txt'))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(repo, 'a.txt'))).toBe(obj);

    await rm(join(repo, 'a.txt'));
    await checkout(out, { ...base, linkTypes: ['copy'] });
    const st = await lstat(join(repo, 'a.txt'));
    expect(st.isFile()).toBe(true);
    expect(st.ino).not.toBe((await stat(obj)).ino);
    expect(st.mode & 0o777).toBe(0o666 & ~umask);
    expect((await stat(obj)).mode & 0o777).toBe(0o444);
  });

  it('missing object: NotFoundError naming the oid and the path', async () => {
    const out: DvcOut = { md5: A, size: 2, hashName: 'md5', path: 'a.txt' };
    const err = await checkout(out, base).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).message).toContain(A);
    expect((err as NotFoundError).message).toContain('a.txt');
  });

  it('reads legacy entries from a legacy-layout cache', async () => {
    const oid = '0f723ae7f9bf07744445e93ac5595156'; // md5-dos2unix of the CRLF text
    await mkdir(join(repo, '.dvc', 'cache', '0f'), { recursive: true });
    await writeFile(join(repo, '.dvc', 'cache', '0f', oid.slice(2)), 'hello\r\nworld\r\n');
    const out: DvcOut = { md5: oid, size: 14, hashName: 'md5-dos2unix', path: 'h.txt' };
    expect((await checkout(out, base)).added).toEqual(['h.txt']);
    expect(await readFile(join(repo, 'h.txt'), 'utf8')).toBe('hello\r\nworld\r\n');
    expect((await checkout(out, base)).unchanged).toBe(1);
  });

  it('refuses outputs outside the repository and entries without a hash', async () => {
    const out: DvcOut = { md5: A, hashName: 'md5', path: '../escape.txt' };
    await expect(checkout(out, base)).rejects.toBeInstanceOf(UsageError);
    await expect(checkout({ hashName: 'md5', path: 'x' }, base)).rejects.toBeInstanceOf(UsageError);
  });

  it('replaces a directory standing where the file goes, if its content is cached', async () => {
    await writeFile(join(repo, 'a.txt'), 'a\n');
    const { out } = await add(join(repo, 'a.txt'), { repoRoot: repo, cache });
    await rm(join(repo, 'a.txt'));
    await mkdir(join(repo, 'a.txt'));
    await writeFile(join(repo, 'a.txt', 'inner'), 'not cached\n');
    await expect(checkout(out, base)).rejects.toBeInstanceOf(OperationError);
    const r = await checkout(out, { ...base, force: true });
    expect(r.deleted).toEqual(['a.txt/inner']);
    expect(await readFile(join(repo, 'a.txt'), 'utf8')).toBe('a\n');
  });
});

describe('checkout of a directory', () => {
  it('restores nested and non-ASCII names exactly', async () => {
    const root = await makeData();
    const { out } = await add(root, { repoRoot: repo, cache });
    await rm(root, { recursive: true });
    const r = await checkout(out, base);
    expect(r.kind).toBe('directory');
    expect(r.added).toHaveLength(Object.keys(DATA).length);
    expect(await tree(root)).toEqual(DATA);
    for (const rel of Object.keys(DATA)) {
      expect((await stat(join(root, rel))).mode & 0o777).toBe(0o666 & ~umask);
    }
    expect((await checkout(out, base)).unchanged).toBe(Object.keys(DATA).length);
  });

  it('removes extra files whose content is cached, refuses the others unless forced', async () => {
    const root = await makeData();
    const { out } = await add(root, { repoRoot: repo, cache });
    await writeFile(join(root, 'copy-of-a.txt'), 'a\n'); // content cached
    await mkdir(join(root, 'newdir', 'x'), { recursive: true });
    await writeFile(join(root, 'newdir', 'x', 'copy.txt'), 'b\n');
    await symlink(join(root, 'sub', 'b.txt'), join(root, 'link-to-cached'));
    await writeFile(join(root, 'sub', 'b.txt'), 'c\n'); // changed to cached content
    await rm(join(root, 'a.txt'));
    const r = await checkout(out, base);
    expect(r.deleted).toEqual([
      'data/copy-of-a.txt',
      'data/link-to-cached',
      'data/newdir/x/copy.txt',
    ]);
    expect(r.modified).toEqual(['data/sub/b.txt']);
    expect(r.added).toEqual(['data/a.txt']);
    expect(await tree(root)).toEqual(DATA);
    await expect(stat(join(root, 'newdir'))).rejects.toMatchObject({ code: 'ENOENT' });

    await writeFile(join(root, 'precious.txt'), 'only here\n');
    await writeFile(join(root, 'a.txt'), 'edited\n');
    await rm(join(root, 'sub', 'b.txt'));
    const err = await checkout(out, base).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OperationError);
    expect((err as OperationError).data?.paths).toEqual(['data/a.txt', 'data/precious.txt']);
    // Nothing was changed: b.txt was not restored either.
    await expect(stat(join(root, 'sub', 'b.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readFile(join(root, 'precious.txt'), 'utf8')).toBe('only here\n');
    await checkout(out, { ...base, force: true });
    expect(await tree(root)).toEqual(DATA);
  });

  it("keeps the user's symlinks to content the cache lacks (or to nothing) unless forced, as DVC", async () => {
    const root = await makeData();
    const { out } = await add(root, { repoRoot: repo, cache });
    const mine = join(repo, 'mine.txt');
    await writeFile(mine, 'only here\n');
    await symlink(mine, join(root, 'link-to-mine'));
    await symlink('/nonexistent', join(root, 'dangling'));
    await symlink(repo, join(root, 'link-to-dir'));
    await rm(join(root, 'a.txt'));
    await symlink(mine, join(root, 'a.txt')); // where a listed file goes
    const err = await checkout(out, base).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'CHECKOUT_WOULD_LOSE_DATA',
      data: { paths: ['data/a.txt', 'data/dangling', 'data/link-to-dir', 'data/link-to-mine'] },
    });
    expect(await readlink(join(root, 'dangling'))).toBe('/nonexistent');
    expect(await readlink(join(root, 'a.txt'))).toBe(mine);
    const r = await checkout(out, { ...base, force: true });
    expect(r.deleted).toEqual(['data/dangling', 'data/link-to-dir', 'data/link-to-mine']);
    expect(await tree(root)).toEqual(DATA);
    expect(await readFile(mine, 'utf8')).toBe('only here\n'); // targets are left alone
  });

  it('replaces a file with a directory and a subdirectory with a file', async () => {
    const root = await makeData({ 'a.txt': 'a\n', 'sub/b.txt': 'b\n' });
    const { out } = await add(root, { repoRoot: repo, cache });
    await rm(root, { recursive: true });
    await writeFile(root, 'a\n'); // a file (with cached content) where the dir goes
    await checkout(out, base);
    expect(await tree(root)).toEqual({ 'a.txt': 'a\n', 'sub/b.txt': 'b\n' });
    await rm(join(root, 'sub'), { recursive: true });
    await writeFile(join(root, 'sub'), 'b\n'); // a file where a directory goes
    await checkout(out, base);
    expect(await tree(root)).toEqual({ 'a.txt': 'a\n', 'sub/b.txt': 'b\n' });
  });

  it('never writes through a symlinked subdirectory', async () => {
    const root = await makeData({ 'a.txt': 'a\n', 'sub/b.txt': 'b\n' });
    const { out } = await add(root, { repoRoot: repo, cache });
    const outside = join(repo, 'outside');
    await mkdir(outside);
    await rm(join(root, 'sub'), { recursive: true });
    await symlink(outside, join(root, 'sub'));
    await checkout(out, base);
    expect(await readdir(outside)).toEqual([]);
    expect((await lstat(join(root, 'sub'))).isDirectory()).toBe(true);
    expect(await tree(root)).toEqual({ 'a.txt': 'a\n', 'sub/b.txt': 'b\n' });
  });

  it('hardlinks, symlinks and copies the files of a directory', async () => {
    const root = await makeData({ 'a.txt': 'a\n', 'sub/empty': '' });
    const { out } = await add(root, { repoRoot: repo, cache });
    await rm(root, { recursive: true });
    await checkout(out, { ...base, linkTypes: ['hardlink'] });
    expect((await stat(join(root, 'a.txt'))).ino).toBe((await stat(cache.objectPath(A))).ino);
    expect((await stat(join(root, 'sub', 'empty'))).nlink).toBe(1);
    await rm(root, { recursive: true });
    await checkout(out, { ...base, linkTypes: ['symlink'] });
    expect(await readlink(join(root, 'a.txt'))).toBe(cache.objectPath(A));
    expect((await checkout(out, { ...base, linkTypes: ['copy'] })).unchanged).toBe(2);
  });

  it('rejects a crafted manifest whose relpath escapes, writing nothing', async () => {
    await writeFile(join(repo, 'a.txt'), 'a\n');
    await add(join(repo, 'a.txt'), { repoRoot: repo, cache });
    await rm(join(repo, 'a.txt'));
    for (const relpath of ['../x', 'ok/../../x', '/tmp/x', 'sub//x']) {
      const bytes = serializeManifest([{ md5: A, relpath }]);
      const oid = manifestHash(bytes);
      await cache.addBytes(oid, bytes);
      const out: DvcOut = { md5: oid, hashName: 'md5', path: 'data' };
      await expect(checkout(out, base)).rejects.toBeInstanceOf(IntegrityError);
    }
    expect((await readdir(repo)).sort()).toEqual(['.dvc', '.gitignore', 'a.txt.dvc']);
  });

  it.skipIf(process.platform !== 'linux')(
    'a path longer than the system takes (or a name over 255 bytes) is refused before any directory is made',
    async () => {
      await writeFile(join(repo, 'a.txt'), 'a\n');
      await add(join(repo, 'a.txt'), { repoRoot: repo, cache });
      const deep = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(220, 'd')).join('/');
      for (const [relpath, code] of [
        [`ok/${deep}/f.txt`, 'PATH_TOO_LONG'],
        [`ok/${'n'.repeat(256)}`, 'PATH_NAME_TOO_LONG'],
      ] as const) {
        const bytes = serializeManifest([
          { md5: A, relpath: 'first.txt' },
          { md5: A, relpath },
        ]);
        await cache.addBytes(manifestHash(bytes), bytes);
        const out: DvcOut = { md5: manifestHash(bytes), hashName: 'md5', path: 'data' };
        const err = await checkout(out, base).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UsageError);
        expect(err).toMatchObject({ code, hint: expect.stringMatching(/shorter/) });
        // The message shows the path's ends, not all of its 4 KB.
        expect((err as UsageError).message.length).toBeLessThan(300);
        await expect(stat(join(repo, 'data'))).rejects.toMatchObject({ code: 'ENOENT' });
      }
    },
  );

  it('rejects manifests listing a path twice or as both file and directory', async () => {
    for (const entries of [
      [
        { md5: A, relpath: 'x' },
        { md5: A, relpath: 'x' },
      ],
      [
        { md5: A, relpath: 'x' },
        { md5: A, relpath: 'x/y' },
      ],
    ]) {
      const bytes = serializeManifest(entries);
      await cache.addBytes(manifestHash(bytes), bytes);
      const out: DvcOut = { md5: manifestHash(bytes), hashName: 'md5', path: 'data' };
      await expect(checkout(out, base)).rejects.toBeInstanceOf(IntegrityError);
    }
  });

  it('a missing file object is NotFoundError naming it, before anything is written', async () => {
    const root = await makeData({ 'a.txt': 'a\n', 'sub/b.txt': 'b\n' });
    const { out } = await add(root, { repoRoot: repo, cache });
    await rm(root, { recursive: true });
    const bOid = '3b5d5c3712955042212316173ccf37be';
    await rm(cache.objectPath(bOid));
    const err = await checkout(out, base).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).message).toContain(bOid);
    expect((err as NotFoundError).message).toContain('data/sub/b.txt');
    await expect(stat(root)).rejects.toMatchObject({ code: 'ENOENT' });
    await rm(cache.objectPath(out.md5!));
    await expect(checkout(out, base)).rejects.toThrow(out.md5!);
  });

  it('records placed files in the state cache', async () => {
    const root = await makeData({ 'a.txt': 'a\n' });
    const { out } = await add(root, { repoRoot: repo, cache });
    await rm(root, { recursive: true });
    const state = HashState.open(repo);
    try {
      await checkout(out, { ...base, state });
      const st = await stat(join(root, 'a.txt'), { bigint: true });
      expect(
        state.get(join(root, 'a.txt'), { ino: st.ino, mtimeNs: st.mtimeNs, size: 2 }, 'md5'),
      ).toBe(A);
      expect((await checkout(out, { ...base, state })).unchanged).toBe(1);
    } finally {
      state.close();
    }
  });
});
