import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { objectKey } from '../../../src/remotes/driver.js';
import { LocalDriver } from '../../../src/remotes/local.js';
import {
  partialResult,
  pullObjects,
  pushObjects,
  type TransferProgress,
} from '../../../src/remotes/transfer.js';
import { openRemote } from '../../../src/remotes/factory.js';
import { LocalCache } from '../../../src/hashing/cache.js';
import {
  configureSmallCopyPool,
  poolStats,
  readyWorkers,
  stopWorkers,
} from '../../../src/fs/small-copy-pool.js';
import { remoteContract } from '../../helpers/remote-contract.js';
import { resumeTests } from '../../helpers/remote-resume.js';
import { buildRemoteFixture } from '../../helpers/remote-fixture.js';
import { killAndResumeTest } from '../../helpers/remote-kill.js';
import { tempDir } from '../../helpers/tmp.js';
import { fill, fillInodes, mountSmallTmpfs } from '../../helpers/full-fs.js';

remoteContract('local', async () => new LocalDriver(join(await tempDir(), 'remote')), {
  bigBytes: 50 << 20,
});

resumeTests('local', async () => {
  const d = new LocalDriver(join(await tempDir(), 'remote'));
  return { up: d, down: async () => d };
});

describe('local remote layout', () => {
  it('fills the remote as dvc push does: files/md5/<2>/<30>, read-only objects, no temp files', async () => {
    const dir = await tempDir();
    const fx = await buildRemoteFixture(dir, { many: 20 });
    const driver = await openRemote(
      { name: 'local-storage', url: 'remote', options: {} },
      { cwd: dir },
    );
    expect(driver.kind).toBe('local');
    const r = await pushObjects(fx.cache, driver, fx.roots);
    expect(r.failed).toEqual([]);
    const root = join(dir, 'remote');
    expect(await readdir(root)).toEqual(['files']);
    expect(await readdir(join(root, 'files'))).toEqual(['md5']);
    const seen: string[] = [];
    for (const p of await readdir(join(root, 'files', 'md5'))) {
      expect(p).toMatch(/^[0-9a-f]{2}$/);
      for (const f of await readdir(join(root, 'files', 'md5', p))) {
        expect(f).toMatch(/^[0-9a-f]{30}(\.dir)?$/);
        expect((await stat(join(root, 'files', 'md5', p, f))).mode & 0o777).toBe(0o444);
        seen.push(p + f);
      }
    }
    expect(seen.sort()).toEqual([...fx.objects.keys()].sort());
  });
});

describe('local remote, small objects copied by a copy worker too', () => {
  it('pushes and pulls 300 small objects byte-identical, read-only; corrupt ones are refused and stay out of the cache', async () => {
    configureSmallCopyPool({ workers: 1, startAfter: 0 });
    try {
      expect(await readyWorkers()).toBe(1);
      const before = poolStats.workerCopies;
      const dir = await tempDir();
      const fx = await buildRemoteFixture(dir, { many: 300 });
      const driver = new LocalDriver(join(dir, 'remote'));
      expect((await pushObjects(fx.cache, driver, fx.roots)).failed).toEqual([]);
      const afterPush = poolStats.workerCopies;
      expect(afterPush).toBeGreaterThan(before);

      // Three objects of the 300 go bad on the remote (same size, other bytes).
      const oids = [...fx.objects.keys()].filter((o) => !o.endsWith('.dir'));
      const victims = oids.slice(10, 13);
      for (const oid of victims) {
        const path = join(dir, 'remote', objectKey(oid));
        rmSync(path);
        writeFileSync(path, Buffer.alloc(fx.objects.get(oid)!, 1));
      }
      const clone = new LocalCache(join(dir, 'clone'));
      const r = await pullObjects(clone, driver, fx.roots, { keepBytes: 64 << 20 });
      expect(poolStats.workerCopies).toBeGreaterThan(afterPush);
      expect(r.failed.map((f) => [f.oid, f.error.code]).sort()).toEqual(
        victims.map((o) => [o, 'REMOTE_OBJECT_CORRUPT']).sort(),
      );
      for (const oid of fx.objects.keys()) {
        if (victims.includes(oid)) {
          expect(await clone.has(oid)).toBe(false);
          continue;
        }
        const got = await readFile(clone.objectPath(oid));
        expect(got.equals(await readFile(fx.cache.objectPath(oid))), oid).toBe(true);
        expect((await stat(clone.objectPath(oid))).mode & 0o777).toBe(0o444);
        // What the pull kept in memory (for the checkout) is what it stored.
        if (!oid.endsWith('.dir')) expect(r.fetched.get(oid)?.equals(got), oid).toBe(true);
      }
      const temps = execFileSync('find', [clone.root, '-name', '*.tmp']).toString();
      expect(temps).toBe('');
    } finally {
      stopWorkers();
      configureSmallCopyPool({});
    }
  });
});

describe('local remote faults that doom every object', () => {
  it('pulling from a remote directory that does not exist is one REMOTE_ROOT_MISSING error', async () => {
    const dir = await tempDir();
    const fx = await buildRemoteFixture(dir, { many: 5 });
    const { LocalCache } = await import('../../../src/hashing/cache.js');
    const empty = new LocalCache(join(dir, 'empty-cache'));
    const driver = new LocalDriver(join(dir, 'no-such-remote'));
    await expect(pullObjects(empty, driver, fx.roots)).rejects.toMatchObject({
      code: 'REMOTE_ROOT_MISSING',
      exitCode: 3,
      message: expect.stringContaining(join(dir, 'no-such-remote')),
    });
  });

  it('pushing where no directory can be made is one REMOTE_NOT_WRITABLE error, not retried per object', async () => {
    const dir = await tempDir();
    const fx = await buildRemoteFixture(dir, { many: 5 });
    // sysfs refuses mkdir to everyone, root included (EPERM).
    const driver = new LocalDriver('/sys/cmf-test-remote');
    // Thrown (the transfer stops) rather than listed once per object after retries.
    await expect(pushObjects(fx.cache, driver, fx.roots)).rejects.toMatchObject({
      code: 'REMOTE_NOT_WRITABLE',
      message: expect.stringContaining('/sys/cmf-test-remote'),
      // The directory that refused the mkdir.
      hint: expect.stringContaining('write to /sys '),
    });
  });

  it('a directory where an object belongs is named, on upload and download (was a bare EISDIR)', async () => {
    const dir = await tempDir();
    const driver = new LocalDriver(join(dir, 'remote'));
    const bytes = Buffer.from('an object\n');
    const key = objectKey(createHash('md5').update(bytes).digest('hex'));
    writeFileSync(join(dir, 'obj'), bytes);
    await driver.put(key, join(dir, 'obj'));
    const onRemote = join(dir, 'remote', key);
    rmSync(onRemote, { force: true });
    mkdirSync(join(onRemote, 'inside'), { recursive: true });
    const expected = {
      code: 'REMOTE_OBJECT_IS_DIRECTORY',
      message: expect.stringContaining(
        `${onRemote} is a directory, where the object's file belongs`,
      ),
    };
    await expect(driver.get(key, join(dir, 'back'))).rejects.toMatchObject(expected);
    await expect(driver.put(key, join(dir, 'obj'))).rejects.toMatchObject(expected);
  });
});

/**
 * Runs `fn` with `dir` bind-mounted read-only on itself (root only: the caller skips
 * otherwise), unmounted afterwards whatever happens.
 */
async function withReadOnly(dir: string, fn: () => Promise<void>): Promise<void> {
  execFileSync('mount', ['--bind', '-o', 'ro', dir, dir]);
  try {
    await fn();
  } finally {
    execFileSync('umount', [dir]);
  }
}

const asRoot = process.getuid?.() === 0;

describe.skipIf(!asRoot)('local directories on a read-only mount', () => {
  it('a remote whose directory exists on a read-only file system is one REMOTE_NOT_WRITABLE error naming it, not ENOENT per object', async () => {
    const dir = await tempDir();
    const fx = await buildRemoteFixture(dir, { many: 5 });
    const root = join(dir, 'remote');
    mkdirSync(root);
    await withReadOnly(root, async () => {
      const err = await pushObjects(fx.cache, new LocalDriver(root), fx.roots).catch(
        (e: unknown) => e,
      );
      expect(err).toMatchObject({
        code: 'REMOTE_NOT_WRITABLE',
        message: expect.stringContaining(`read-only file system on ${root}`),
        hint: expect.stringContaining('read-only'),
      });
      expect((err as Error).message).not.toContain('ENOENT');
    });
  });

  it('pulling into a cache on a read-only file system is one CACHE_NOT_WRITABLE error, made directories or not', async () => {
    const { LocalCache } = await import('../../../src/hashing/cache.js');
    const dir = await tempDir();
    const fx = await buildRemoteFixture(dir, { many: 5 });
    const driver = new LocalDriver(join(dir, 'remote'));
    expect((await pushObjects(fx.cache, driver, fx.roots)).failed).toEqual([]);
    // An empty cache (every directory to make) and one whose object directories exist.
    const empty = join(dir, 'empty-cache');
    const made = join(dir, 'made-cache');
    mkdirSync(empty);
    for (const oid of fx.objects.keys())
      mkdirSync(join(made, 'files/md5', oid.slice(0, 2)), { recursive: true });
    for (const cacheDir of [empty, made]) {
      await withReadOnly(cacheDir, async () => {
        await expect(pullObjects(new LocalCache(cacheDir), driver, fx.roots)).rejects.toMatchObject(
          {
            code: 'CACHE_NOT_WRITABLE',
            message: expect.stringContaining(`${cacheDir}: its file system is read-only`),
            hint: expect.stringContaining('cache.dir'),
          },
        );
      });
    }
  });

  it('one object directory that refuses writes is named, on the remote (push) and in the cache (pull), not the root', async () => {
    const { LocalCache } = await import('../../../src/hashing/cache.js');
    const dir = await tempDir();
    const fx = await buildRemoteFixture(dir, { many: 5 });
    const root = join(dir, 'remote');
    const objectDir = (top: string) => join(top, 'files/md5', fx.manyOid.slice(0, 2));
    mkdirSync(objectDir(root), { recursive: true });
    await withReadOnly(objectDir(root), async () => {
      await expect(pushObjects(fx.cache, new LocalDriver(root), fx.roots)).rejects.toMatchObject({
        code: 'REMOTE_NOT_WRITABLE',
        message: expect.stringContaining(`read-only file system on ${objectDir(root)}`),
      });
    });
    const driver = new LocalDriver(root);
    expect((await pushObjects(fx.cache, driver, fx.roots)).failed).toEqual([]);
    const cacheDir = join(dir, 'cache-2');
    mkdirSync(objectDir(cacheDir), { recursive: true });
    await withReadOnly(objectDir(cacheDir), async () => {
      await expect(pullObjects(new LocalCache(cacheDir), driver, fx.roots)).rejects.toMatchObject({
        code: 'CACHE_NOT_WRITABLE',
        message: expect.stringContaining(`read-only (EROFS) on ${objectDir(cacheDir)}`),
        hint: expect.stringContaining(`holding ${objectDir(cacheDir)} is mounted read-only`),
      });
    });
  });
});

describe('local cache full', () => {
  it('(root) pulling into a cache on a full file system is one DISK_FULL error, not one failure per object', async (ctx) => {
    const { LocalCache } = await import('../../../src/hashing/cache.js');
    const dir = await tempDir();
    const fx = await buildRemoteFixture(dir, { many: 40 });
    const driver = new LocalDriver(join(dir, 'remote'));
    expect((await pushObjects(fx.cache, driver, fx.roots)).failed).toEqual([]);
    const cacheDir = join(dir, 'full-cache');
    const unmount = mountSmallTmpfs(cacheDir);
    if (!unmount) return ctx.skip();
    try {
      fill(cacheDir);
      const err = await pullObjects(new LocalCache(cacheDir), driver, fx.roots).catch(
        (e: unknown) => e,
      );
      expect(err).toMatchObject({
        code: 'DISK_FULL',
        exitCode: 1,
        message: expect.stringContaining(`Cannot write ${cacheDir}: no space left`),
        hint: expect.stringContaining('cache.dir'),
      });
      expect(partialResult(err)).toMatchObject({ transferred: expect.any(Number) });
    } finally {
      unmount();
    }
  });
});

describe('a file system out of inodes (room left, no file can be made)', () => {
  it('(root) is DISK_FULL on pull and REMOTE_FULL on push, saying inodes and `df -i`, not `df -h`', async (ctx) => {
    const { LocalCache } = await import('../../../src/hashing/cache.js');
    const dir = await tempDir();
    const fx = await buildRemoteFixture(dir, { many: 40 });
    const small = join(dir, 'small');
    const unmount = mountSmallTmpfs(small, 'size=8m,nr_inodes=64');
    if (!unmount) return ctx.skip();
    try {
      fillInodes(small);
      const pushed = await pushObjects(fx.cache, new LocalDriver(join(small, 'remote')), fx.roots)
        .then(() => undefined)
        .catch((e: unknown) => e);
      expect(pushed).toMatchObject({
        code: 'REMOTE_FULL',
        message: expect.stringContaining('no free inodes left'),
        hint: expect.stringContaining('df -i '),
      });
      const driver = new LocalDriver(join(dir, 'remote'));
      expect((await pushObjects(fx.cache, driver, fx.roots)).failed).toEqual([]);
      const cacheDir = join(small, 'cache');
      const pulled = await pullObjects(new LocalCache(cacheDir), driver, fx.roots).catch(
        (e: unknown) => e,
      );
      expect(pulled).toMatchObject({
        code: 'DISK_FULL',
        message: expect.stringContaining('no free inodes left on its file system (ENOSPC)'),
        hint: expect.stringContaining(`df -i ${cacheDir}`),
        data: { shortage: 'inodes' },
      });
    } finally {
      unmount();
    }
  });
});

describe('progress', () => {
  it('counts objects that fail before they are sent in the total: never more done than planned', async () => {
    const dir = await tempDir();
    const fx = await buildRemoteFixture(dir, { many: 5 });
    const entries = await fx.cache.readManifest(fx.manyOid);
    rmSync(fx.cache.objectPath(entries[0]!.md5), { force: true });
    const seen: TransferProgress[] = [];
    const r = await pushObjects(fx.cache, new LocalDriver(join(dir, 'remote')), fx.roots, {
      onProgress: (p) => seen.push(p),
    });
    expect(r.failed.map((f) => f.error.code).sort()).toEqual([
      'CACHE_OBJECT_MISSING',
      'DIR_INCOMPLETE',
    ]);
    expect(seen.filter((p) => p.filesDone > p.filesTotal)).toEqual([]);
    const last = seen.at(-1)!;
    expect(last.filesDone).toBe(last.filesTotal);
    expect(last.bytesDone).toBe(r.bytes);
  });
});

describe('local remote interruptions', () => {
  killAndResumeTest('local', (dir) => ({
    name: 'local-storage',
    url: join(dir, 'remote'),
    options: {},
  }));
});

describe('pulling hostile manifests', () => {
  it('refuses a manifest whose relpath leaves the directory, and keeps it out of the cache', async () => {
    const { serializeManifest, manifestHash } = await import('../../../src/hashing/manifest.js');
    const { LocalCache } = await import('../../../src/hashing/cache.js');
    const { objectKey } = await import('../../../src/remotes/driver.js');
    const { pullObjects } = await import('../../../src/remotes/transfer.js');
    const { Readable } = await import('node:stream');
    const dir = await tempDir();
    const driver = new LocalDriver(join(dir, 'remote'));
    const bytes = serializeManifest([
      { md5: 'd41d8cd98f00b204e9800998ecf8427e', relpath: '../../evil' },
    ]);
    const oid = manifestHash(bytes);
    await driver.put(objectKey(oid), { stream: Readable.from([bytes]), size: bytes.length });
    const cache = new LocalCache(join(dir, 'cache'));
    const r = await pullObjects(cache, driver, [oid]);
    expect(r.failed.map((f) => f.error.code)).toEqual(['UNSAFE_RELPATH']);
    expect(await cache.has(oid)).toBe(false);
  });
});
