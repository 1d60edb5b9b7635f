import { spawnSync } from 'node:child_process';
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
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OperationError, UsageError } from '../../../src/errors/index.js';
import { canMount, fill, mountSmallTmpfs, unfill } from '../../helpers/full-fs.js';
import { Linker, parseLinkTypes, SMALL_FILE, workspaceMode } from '../../../src/hashing/link.js';

let dir: string;
let obj: string;
let empty: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cmf-link-'));
  obj = join(dir, 'object');
  empty = join(dir, 'empty-object');
  await writeFile(obj, 'content\n');
  await writeFile(empty, '');
  await chmod(obj, 0o444);
  await chmod(empty, 0o444);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const umask = process.umask();

describe('Linker', () => {
  it('copy: a fresh writable file with 0666 & ~umask, and x bits for isexec', async () => {
    const l = new Linker(['copy']);
    const dest = join(dir, 'ws', 'a');
    expect(await l.place(obj, dest, { size: 8 })).toBe('copy');
    const st = await stat(dest);
    expect(st.mode & 0o777).toBe(0o666 & ~umask);
    expect(st.ino).not.toBe((await stat(obj)).ino);
    expect(await readFile(dest, 'utf8')).toBe('content\n');
    await l.place(obj, join(dir, 'ws', 'x'), { size: 8, isexec: true });
    const xmode = (await stat(join(dir, 'ws', 'x'))).mode & 0o777;
    expect(xmode & 0o111).not.toBe(0);
    expect(xmode).toBe(workspaceMode(true));
  });

  it('copy from held bytes: written from memory (the cache object is not read); links ignore them', async () => {
    const held = Buffer.from('content\n');
    await rm(obj, { force: true }); // a copy that read the cache object would fail now
    const l = new Linker(['copy']);
    const dest = join(dir, 'ws', 'held');
    expect(await l.place(obj, dest, { size: 8, bytes: held })).toBe('copy');
    expect(await readFile(dest, 'utf8')).toBe('content\n');
    expect((await stat(dest)).mode & 0o777).toBe(0o666 & ~umask);
    await writeFile(obj, 'content\n', { mode: 0o444 });
    const h = new Linker(['hardlink']);
    await h.place(obj, join(dir, 'ws', 'link'), { size: 8, bytes: Buffer.from('other!!\n') });
    expect((await stat(join(dir, 'ws', 'link'))).ino).toBe((await stat(obj)).ino);
  });

  it('hardlink: the cache inode (read-only); zero-length files are created empty', async () => {
    const l = new Linker(['hardlink']);
    const dest = join(dir, 'h');
    expect(await l.place(obj, dest, { size: 8 })).toBe('hardlink');
    expect((await stat(dest)).ino).toBe((await stat(obj)).ino);
    expect((await stat(dest)).mode & 0o777).toBe(0o444);
    const e = join(dir, 'he');
    await l.place(empty, e, { size: 0 });
    expect((await stat(e)).ino).not.toBe((await stat(empty)).ino);
    expect((await stat(e)).size).toBe(0);
  });

  it('symlink: an absolute link to the cache file', async () => {
    const l = new Linker(['symlink']);
    const dest = join(dir, 's');
    await l.place(obj, dest, { size: 8 });
    expect((await lstat(dest)).isSymbolicLink()).toBe(true);
    expect(await readlink(dest)).toBe(obj);
  });

  it('reflink falls back to copy where cloning is unsupported, and remembers it', async () => {
    const big = join(dir, 'big-object');
    await writeFile(big, Buffer.alloc(SMALL_FILE, 7));
    const l = new Linker(['reflink', 'copy']);
    const used = await l.place(big, join(dir, 'r'), { size: SMALL_FILE });
    expect(['reflink', 'copy']).toContain(used);
    expect((await stat(join(dir, 'r'))).mode & 0o777).toBe(0o666 & ~umask);
    expect((await stat(join(dir, 'r'))).size).toBe(SMALL_FILE);
    if (used === 'copy') expect(l.available).toEqual(['copy']);
  });

  it('small files are copied when copy follows reflink, without ruling reflink out', async () => {
    const l = new Linker(['reflink', 'copy']);
    expect(await l.place(obj, join(dir, 'ws', 'r'), { size: 8 })).toBe('copy');
    expect(l.available).toEqual(['reflink', 'copy']);
    expect((await stat(join(dir, 'ws', 'r'))).mode & 0o777).toBe(0o666 & ~umask);
    expect(await readFile(join(dir, 'ws', 'r'), 'utf8')).toBe('content\n');
    // With reflink alone, a small file is still cloned (or fails as DVC would).
    const only = new Linker(['reflink']);
    const placed = await only.place(obj, join(dir, 'ws', 'o'), { size: 8 }).then(
      (t) => t,
      (err: NodeJS.ErrnoException) => err.code,
    );
    if (placed === 'reflink')
      expect(await readFile(join(dir, 'ws', 'o'), 'utf8')).toBe('content\n');
    else expect(placed).not.toBe('copy');
    expect((await readdir(join(dir, 'ws'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('copies the object as it is when its size differs from the recorded one', async () => {
    const l = new Linker(['copy']);
    await l.place(obj, join(dir, 'short'), { size: 3 });
    expect(await readFile(join(dir, 'short'), 'utf8')).toBe('content\n');
    await l.place(obj, join(dir, 'long'), { size: 100 });
    expect(await readFile(join(dir, 'long'), 'utf8')).toBe('content\n');
    await l.place(empty, join(dir, 'zero'), { size: 0 });
    expect((await stat(join(dir, 'zero'))).size).toBe(0);
  });

  it('makes a directory again if it vanished after an earlier file was placed in it', async () => {
    const l = new Linker(['copy']);
    await l.place(obj, join(dir, 'ws', 'sub', 'a'), { size: 8 });
    await rm(join(dir, 'ws'), { recursive: true });
    await l.place(obj, join(dir, 'ws', 'sub', 'b'), { size: 8 });
    expect(await readFile(join(dir, 'ws', 'sub', 'b'), 'utf8')).toBe('content\n');
  });

  it('replaces an existing file atomically and leaves no temp files', async () => {
    const dest = join(dir, 'ws');
    await writeFile(dest, 'old');
    await new Linker(['copy']).place(obj, dest, { size: 8 });
    expect(await readFile(dest, 'utf8')).toBe('content\n');
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('throws the last error and leaves no temp file when nothing works', async () => {
    const l = new Linker(['copy']);
    await expect(l.place(join(dir, 'missing'), join(dir, 'd'), { size: 1 })).rejects.toMatchObject({
      code: 'ENOENT',
    });
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

describe.skipIf(!canMount)('Linker on a file system that refuses the write (root: mounts)', () => {
  it('read-only or full: the error names the file placed (not its temp file) or the directory it could not make, with a hint', async () => {
    const ws = join(dir, 'ws');
    const unmount = mountSmallTmpfs(ws);
    if (!unmount) return;
    try {
      const dest = join(ws, 'sub', 'a.txt');
      await mkdir(join(ws, 'sub'));
      fill(ws);
      const full = await new Linker(['copy']).place(obj, dest, { size: 8 }).catch((e) => e);
      expect(full).toMatchObject({ code: 'DISK_FULL', data: { path: dest } });
      unfill(ws);
      spawnSync('mount', ['-o', 'remount,ro', ws]);
      const ro = await new Linker(['copy']).place(obj, dest, { size: 8 }).catch((e) => e);
      expect(ro).toBeInstanceOf(OperationError);
      expect(ro).toMatchObject({ code: 'PERMISSION_DENIED', data: { path: dest, errno: 'EROFS' } });
      expect((ro as OperationError).message).toBe(
        `Cannot write ${dest}: its file system is read-only (EROFS)`,
      );
      expect((ro as OperationError).hint).toContain(join(ws, 'sub'));
      expect(await readdir(join(ws, 'sub'))).toEqual([]);
      // A directory to make (a directory artifact's): its true errno, not the ENOENT Node's
      // recursive mkdir reports, naming the directory.
      const made = join(ws, 'dir', 'deep');
      const mk = await new Linker(['copy'])
        .place(obj, join(made, 'a.txt'), { size: 8 })
        .catch((e) => e);
      expect(mk).toMatchObject({
        code: 'PERMISSION_DENIED',
        message: `Cannot create directory ${join(ws, 'dir')}: its file system is read-only (EROFS)`,
        data: { path: join(ws, 'dir'), errno: 'EROFS' },
      });
      expect((mk as OperationError).hint).toContain(`The file system holding ${ws}`);
    } finally {
      unmount();
    }
  });
});

describe('parseLinkTypes', () => {
  it('accepts known types, trims and dedups, rejects unknown and empty', () => {
    expect(parseLinkTypes([' reflink', 'copy', 'copy'])).toEqual(['reflink', 'copy']);
    expect(() => parseLinkTypes(['hardlinks'])).toThrow(UsageError);
    expect(() => parseLinkTypes([])).toThrow(UsageError);
  });
});
