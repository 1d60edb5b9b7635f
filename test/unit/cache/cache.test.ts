import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntegrityError, NotFoundError, OperationError } from '../../../src/errors/index.js';
import { LocalCache } from '../../../src/hashing/cache.js';
import { serializeManifest } from '../../../src/hashing/manifest.js';

const A = '60b725f10c9c85c70d97880dfe8191b3'; // "a\n"
const B = '3b5d5c3712955042212316173ccf37be'; // "b\n"
const DIR = '849835d274483dc683eb416d6e4f887d.dir';
const MANIFEST = `[{"md5": "${A}", "relpath": "a.txt"}, {"md5": "${B}", "relpath": "sub/b.txt"}]`;
const CRLF = 'hello\r\nworld\r\n';
const CRLF_DOS2UNIX = '0f723ae7f9bf07744445e93ac5595156';

let dir: string;
let cache: LocalCache;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cmf-cache-'));
  cache = new LocalCache(join(dir, 'cache'));
});
afterEach(async () => {
  // Objects and prefix dirs may be read-only; rm -rf copes with 0444 files.
  await rm(dir, { recursive: true, force: true });
});

async function src(name: string, content: string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, content);
  return p;
}

describe('LocalCache.objectPath', () => {
  it('uses files/md5/xx/rest, the legacy xx/rest, and keeps .dir', () => {
    expect(cache.objectPath(A)).toBe(
      join(dir, 'cache', 'files', 'md5', '60', 'b725f10c9c85c70d97880dfe8191b3'),
    );
    expect(cache.objectPath(A, { legacy: true })).toBe(
      join(dir, 'cache', '60', 'b725f10c9c85c70d97880dfe8191b3'),
    );
    expect(cache.objectPath(DIR)).toBe(
      join(dir, 'cache', 'files', 'md5', '84', '9835d274483dc683eb416d6e4f887d.dir'),
    );
  });

  it.each(['../../etc/passwd', 'AB'.repeat(16), 'ab', `${A}.txt`, `${A}/x`, ''])(
    'rejects the oid %j',
    (oid) => {
      expect(() => cache.objectPath(oid)).toThrow(IntegrityError);
    },
  );
});

describe('LocalCache.addFile / addBytes', () => {
  it('stores a file read-only under its final name, with no temp files left', async () => {
    const r = await cache.addFile(await src('a.txt', 'a\n'), A);
    expect(r).toMatchObject({ path: cache.objectPath(A), added: true });
    expect(r.stat?.size).toBe(BigInt(Buffer.byteLength(await readFile(r.path))));
    expect(await readFile(r.path, 'utf8')).toBe('a\n');
    expect((await stat(r.path)).mode & 0o777).toBe(0o444);
    expect(await readdir(join(dir, 'cache', 'files', 'md5', '60'))).toEqual([
      'b725f10c9c85c70d97880dfe8191b3',
    ]);
    expect(await cache.has(A)).toBe(true);
    expect(await cache.has(B)).toBe(false);
  });

  it('does not rewrite an existing object (inode and mtime unchanged)', async () => {
    const first = await cache.addFile(await src('a.txt', 'a\n'), A);
    const past = new Date('2020-01-01T00:00:00Z');
    await utimes(first.path, past, past);
    const before = await stat(first.path);
    const again = await cache.addFile(await src('a2.txt', 'a\n'), A);
    expect(again.added).toBe(false);
    const bytes = await cache.addBytes(A, Buffer.from('a\n'));
    expect(bytes.added).toBe(false);
    const after = await stat(first.path);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
  });

  it('stores manifests with addBytes and checks the bytes against a .dir oid', async () => {
    const r = await cache.addBytes(DIR, Buffer.from(MANIFEST));
    expect(r.path).toBe(cache.objectPath(DIR));
    expect((await stat(r.path)).mode & 0o777).toBe(0o444);
    expect(await cache.readManifest(DIR)).toEqual([
      { md5: A, relpath: 'a.txt' },
      { md5: B, relpath: 'sub/b.txt' },
    ]);
    await expect(cache.addBytes(DIR.replace('8', '9'), Buffer.from(MANIFEST))).rejects.toThrow(
      IntegrityError,
    );
  });

  it('writes legacy objects to the legacy layout', async () => {
    const r = await cache.addFile(await src('h.txt', CRLF), CRLF_DOS2UNIX, { legacy: true });
    expect(r.path).toBe(join(dir, 'cache', '0f', '723ae7f9bf07744445e93ac5595156'));
  });

  it('discards the copy when the source changed after it was hashed', async () => {
    const p = await src('a.txt', 'a\n');
    const st = await stat(p, { bigint: true });
    await writeFile(p, 'changed\n');
    await expect(
      cache.addFile(p, A, { hashedStat: { ino: st.ino, mtimeNs: st.mtimeNs - 1n, size: 2 } }),
    ).rejects.toBeInstanceOf(OperationError);
    expect(await cache.has(A)).toBe(false);
    expect(await readdir(join(dir, 'cache', 'files', 'md5', '60'))).toEqual([]);
  });
});

describe('LocalCache reading', () => {
  it('reads a legacy-layout cache for legacy entries, falling back to files/md5', async () => {
    // A cache written by DVC 2: objects at <cache>/xx/rest, named by md5-dos2unix.
    const legacyPath = join(dir, 'cache', '0f', '723ae7f9bf07744445e93ac5595156');
    await mkdir(join(dir, 'cache', '0f'), { recursive: true });
    await writeFile(legacyPath, CRLF);
    await chmod(legacyPath, 0o444);
    expect(await cache.locate(CRLF_DOS2UNIX, { legacy: true })).toEqual({
      path: legacyPath,
      hashName: 'md5-dos2unix',
      size: CRLF.length,
    });
    expect(await cache.has(CRLF_DOS2UNIX)).toBe(false); // a DVC 3 entry never uses it
    await cache.verify(CRLF_DOS2UNIX, { legacy: true });
    // Legacy manifest object.
    await mkdir(join(dir, 'cache', '84'), { recursive: true });
    await writeFile(join(dir, 'cache', '84', '9835d274483dc683eb416d6e4f887d.dir'), MANIFEST);
    expect(await cache.readManifest(DIR, { legacy: true })).toHaveLength(2);
    await expect(cache.readManifest(DIR)).rejects.toBeInstanceOf(NotFoundError);
    // An object only in files/md5 also serves a legacy entry.
    await cache.addFile(await src('a.txt', 'a\n'), A);
    expect((await cache.locate(A, { legacy: true }))?.hashName).toBe('md5');
  });

  it('missing objects are NotFoundError naming the oid', async () => {
    const err = await cache.readManifest(DIR).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).message).toContain(DIR);
    expect((err as NotFoundError).data).toMatchObject({ oid: DIR, path: cache.objectPath(DIR) });
    await expect(cache.verify(A)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a corrupt manifest is an IntegrityError naming the object', async () => {
    const bad = Buffer.from('{"not": "a list"}');
    const p = cache.objectPath(DIR);
    await mkdir(join(p, '..'), { recursive: true });
    await writeFile(p, bad);
    await expect(cache.readManifest(DIR)).rejects.toThrow(new RegExp(DIR.replace('.', '\\.')));
    await expect(cache.readManifest(DIR)).rejects.toBeInstanceOf(IntegrityError);
  });
});

describe('LocalCache.verify', () => {
  it('passes for good objects and reports a corrupted one', async () => {
    await cache.addFile(await src('a.txt', 'a\n'), A);
    await cache.addBytes(
      DIR,
      serializeManifest([
        { md5: A, relpath: 'a.txt' },
        { md5: B, relpath: 'sub/b.txt' },
      ]),
    );
    await cache.verify(A);
    await cache.verify(DIR);
    const p = cache.objectPath(A);
    await chmod(p, 0o644);
    await writeFile(p, 'tampered\n');
    const err = await cache.verify(A).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as IntegrityError).code).toBe('CACHE_OBJECT_CORRUPT');
    expect((err as IntegrityError).message).toContain(A);
    expect((err as IntegrityError).message).toContain(p);
  });
});

describe('LocalCache.presentAmong', () => {
  it('answers as has() does, by listing crowded prefix directories and stating the rest', async () => {
    // 10 objects in one prefix directory (listed), one alone in another (stated), a symlink
    // to a file, a dangling symlink, a directory under an object name, and missing objects.
    const crowded = Array.from({ length: 10 }, (_, i) => `ab${String(i).padStart(30, '0')}`);
    for (const oid of crowded.slice(0, 8)) {
      await mkdir(join(cache.root, 'files', 'md5', 'ab'), { recursive: true });
      await writeFile(cache.objectPath(oid), oid);
    }
    const { symlink } = await import('node:fs/promises');
    await symlink(await src('target', 'x'), cache.objectPath(crowded[8]!));
    await symlink(join(dir, 'nowhere'), cache.objectPath(crowded[9]!));
    const alone = `cd${'1'.repeat(30)}`;
    await mkdir(join(cache.root, 'files', 'md5', 'cd'), { recursive: true });
    await writeFile(cache.objectPath(alone), 'z');
    const asDir = `ab${'f'.repeat(30)}`;
    await mkdir(cache.objectPath(asDir));
    const missing = [`ef${'2'.repeat(30)}`, `cd${'3'.repeat(30)}`, `${'a'.repeat(32)}.dir`];

    const all = [...crowded, alone, asDir, ...missing];
    const present = await cache.presentAmong(all);
    const expected = new Set<string>();
    for (const oid of all) if (await cache.has(oid)) expected.add(oid);
    // has() counts anything stat() finds (a directory too); the listing counts files only.
    expected.delete(asDir);
    expect(present).toEqual(expected);
    expect(present.has(crowded[8]!)).toBe(true);
    expect(present.has(crowded[9]!)).toBe(false);
    expect(present.size).toBe(10);
    await expect(cache.presentAmong(['../../etc/passwd'])).rejects.toBeInstanceOf(IntegrityError);
  });

  it('legacy oids: found in the legacy layout or under files/md5, as has() finds them', async () => {
    // Crowded prefixes in both layouts (listed) and lone objects (stated).
    const legacyOnly = Array.from({ length: 9 }, (_, i) => `ab${String(i).padStart(30, '1')}`);
    const dvc3Only = Array.from({ length: 9 }, (_, i) => `ab${String(i).padStart(30, '2')}`);
    for (const oid of legacyOnly) await cache.addBytes(oid, Buffer.from(oid), { legacy: true });
    for (const oid of dvc3Only) await cache.addBytes(oid, Buffer.from(oid));
    const lone = `cd${'4'.repeat(30)}`;
    await cache.addBytes(lone, Buffer.from('z'), { legacy: true });
    const missing = Array.from({ length: 9 }, (_, i) => `ab${String(i).padStart(30, '3')}`);

    const all = [...legacyOnly, ...dvc3Only, lone, ...missing];
    expect(await cache.presentAmong(all, { legacy: true })).toEqual(
      new Set([...legacyOnly, ...dvc3Only, lone]),
    );
    // DVC 3 oids never come from the legacy layout.
    expect(await cache.presentAmong(all)).toEqual(new Set(dvc3Only));
  });
});
