import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CmfError, IntegrityError, NotFoundError } from '../../src/errors/index.js';
import { LocalCache } from '../../src/hashing/cache.js';
import { objectKey, oidFromKey, type RemoteDriver } from '../../src/remotes/driver.js';
import { pullObjects, pushObjects } from '../../src/remotes/transfer.js';
import { mountSmallTmpfs } from './full-fs.js';
import { buildRemoteFixture } from './remote-fixture.js';
import { tempDir } from './tmp.js';

/**
 * The behaviour every driver must show, run against a real server by each driver's test
 * file. `open()` gives a driver on a fresh, empty remote root.
 */
export function remoteContract(
  name: string,
  open: () => Promise<RemoteDriver>,
  opts: {
    bigBytes?: number;
    /**
     * Stores `bytes` under `key` on the driver's remote behind its back: for drivers whose
     * put refuses content that does not match the object's name (S3 sends Content-MD5).
     */
    plant?: (key: string, bytes: Buffer) => Promise<void>;
  } = {},
) {
  const withDriver = async <T>(fn: (d: RemoteDriver) => Promise<T>): Promise<T> => {
    const d = await open();
    try {
      return await fn(d);
    } finally {
      await d.close();
    }
  };

  describe(`${name} driver contract`, () => {
    it('puts, lists, gets, checks and deletes objects (files and streams)', async () => {
      await withDriver(async (d) => {
        const dir = await tempDir();
        const content = randomBytes(100_000);
        const oid = createHash('md5').update(content).digest('hex');
        const key = objectKey(oid);
        const src = join(dir, 'src');
        await writeFile(src, content);
        expect(await d.exists(key)).toBe(false);
        let sent = 0;
        await d.put(key, src, { onBytes: (n) => (sent += n) });
        expect(sent).toBe(content.length);
        expect(await d.exists(key)).toBe(true);

        const streamed = Buffer.from('streamed object\n');
        const key2 = objectKey(createHash('md5').update(streamed).digest('hex'));
        await d.put(key2, { stream: Readable.from([streamed]), size: streamed.length });

        const listed: string[] = [];
        for await (const k of d.list('files/md5/')) listed.push(k);
        expect(listed.sort()).toEqual([key, key2].sort());
        const one: string[] = [];
        for await (const k of d.list(`files/md5/${oid.slice(0, 2)}/`)) one.push(k);
        expect(one).toContain(key);
        for await (const k of d.list('files/md5/zz/')) throw new Error(`unexpected ${k}`);

        const dest = join(dir, 'dest');
        await d.get(key, dest);
        expect(Buffer.compare(await readFile(dest), content)).toBe(0);
        const chunks: Buffer[] = [];
        await d.get(
          key2,
          new Writable({
            write(c: Buffer, _e, cb) {
              chunks.push(c);
              cb();
            },
          }),
        );
        expect(Buffer.concat(chunks).toString()).toBe('streamed object\n');
        if (d.read) {
          // The small-object fast path: whole below the limit, nothing at or above it.
          expect(Buffer.compare((await d.read(key, content.length + 1))!, content)).toBe(0);
          expect(await d.read(key, content.length)).toBeUndefined();
          // With a spill file, a larger object arrives there in the same call, bytes counted.
          const spilled = join(dir, 'spilled');
          let counted = 0;
          const opts = { onBytes: (n: number) => (counted += n) };
          expect(await d.read(key, 1000, { path: spilled, opts })).toBeUndefined();
          expect(Buffer.compare(await readFile(spilled), content)).toBe(0);
          expect(counted).toBe(content.length);
          // Small objects still come back in memory, and nothing is written.
          const unused = join(dir, 'unused');
          expect((await d.read(key2, 1 << 20, { path: unused }))!.toString()).toBe(
            'streamed object\n',
          );
          expect(existsSync(unused)).toBe(false);
          expect((await d.read(key2, 1 << 20))!.toString()).toBe('streamed object\n');
          const emptyKey = objectKey(createHash('md5').update('').digest('hex'));
          await d.put(emptyKey, { stream: Readable.from([]), size: 0 });
          expect((await d.read(emptyKey, 1 << 20))!.length).toBe(0);
          await d.delete(emptyKey);
        }

        await d.delete(key);
        await d.delete(key2);
        await d.delete(key); // deleting a missing object is fine
        expect(await d.exists(key)).toBe(false);
        const err = await d.get(key, join(dir, 'missing')).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(NotFoundError);
        expect((err as CmfError).code).toBe('REMOTE_OBJECT_MISSING');
        expect((err as CmfError).message).toContain(oid.slice(2));
        if (d.read) {
          const gone = await d.read(key, 1 << 20).catch((e: unknown) => e);
          expect((gone as CmfError).code).toBe('REMOTE_OBJECT_MISSING');
        }
      });
    });

    it('pushes a cache, then does nothing on a second push, and pulls it all into an empty cache', async () => {
      await withDriver(async (d) => {
        const dir = await tempDir();
        const fx = await buildRemoteFixture(dir, { bigBytes: opts.bigBytes });
        const progress: number[] = [];
        const first = await pushObjects(fx.cache, d, fx.roots, {
          onProgress: (p) => progress.push(p.filesDone),
        });
        expect(first.failed).toEqual([]);
        expect(first.transferred).toBe(fx.objects.size);
        expect(progress.at(-1)).toBe(fx.objects.size);

        // The remote holds exactly the objects, under DVC 3 keys, and nothing else.
        const keys: string[] = [];
        for await (const k of d.list('files/')) keys.push(k);
        expect(keys.map((k) => oidFromKey(k)).sort()).toEqual([...fx.objects.keys()].sort());

        const again = await pushObjects(fx.cache, d, fx.roots);
        expect(again).toMatchObject({ transferred: 0, failed: [] });
        expect(again.present).toBe(fx.objects.size);

        const clone = new LocalCache(join(dir, 'clone-cache'));
        const pulled = await pullObjects(clone, d, fx.roots);
        expect(pulled.failed).toEqual([]);
        expect(pulled.transferred).toBe(fx.objects.size);
        for (const oid of fx.objects.keys()) {
          const a = await readFile(fx.cache.objectPath(oid));
          const b = await readFile(clone.objectPath(oid));
          expect(Buffer.compare(a, b), oid).toBe(0);
          expect((await stat(clone.objectPath(oid))).mode & 0o777).toBe(0o444);
        }
        const entries = await clone.readManifest(fx.dirOid);
        expect(entries.map((e) => e.relpath)).toContain('ünïcödé/файл.txt');
        const again2 = await pullObjects(clone, d, fx.roots);
        expect(again2).toMatchObject({ transferred: 0, failed: [] });
      });
    });

    it('refuses a corrupted remote object: IntegrityError naming it, and nothing enters the cache', async () => {
      await withDriver(async (d) => {
        const dir = await tempDir();
        const fx = await buildRemoteFixture(dir, { many: 3 });
        expect((await pushObjects(fx.cache, d, fx.roots)).failed).toEqual([]);
        const victim = fx.roots[2]!; // the standalone file
        const bad = Buffer.from('not what was pushed');
        if (opts.plant) await opts.plant(objectKey(victim), bad);
        else await d.put(objectKey(victim), { stream: Readable.from([bad]), size: bad.length });

        const clone = new LocalCache(join(dir, 'clone'));
        const r = await pullObjects(clone, d, fx.roots);
        expect(r.failed).toHaveLength(1);
        expect(r.failed[0]!.oid).toBe(victim);
        expect(r.failed[0]!.error).toBeInstanceOf(IntegrityError);
        expect(r.failed[0]!.error.message).toContain(victim);
        expect(await clone.has(victim)).toBe(false);
        const leftovers = await readdir(join(clone.root, 'files', 'md5', victim.slice(0, 2))).catch(
          () => [] as string[],
        );
        expect(leftovers.filter((f) => f.startsWith('.') || victim.endsWith(f))).toEqual([]);
        // Everything else arrived.
        expect(r.transferred).toBe(fx.objects.size - 1);
      });
    });

    it('refuses a corrupted object too large for memory (checked as it streams in, or after)', async () => {
      await withDriver(async (d) => {
        const dir = await tempDir();
        const good = randomBytes(1_500_000);
        const oid = createHash('md5').update(good).digest('hex');
        const bad = Buffer.from(good);
        bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 0xff, bad.length - 1); // same size, last byte differs
        if (opts.plant) await opts.plant(objectKey(oid), bad);
        else await d.put(objectKey(oid), { stream: Readable.from([bad]), size: bad.length });

        const clone = new LocalCache(join(dir, 'clone'));
        const r = await pullObjects(clone, d, [oid]);
        expect(r.failed).toHaveLength(1);
        expect(r.failed[0]!.error).toBeInstanceOf(IntegrityError);
        expect(r.failed[0]!.error.code).toBe('REMOTE_OBJECT_CORRUPT');
        expect(await clone.has(oid)).toBe(false);
        const left = await readdir(join(clone.root, 'files', 'md5', oid.slice(0, 2))).catch(
          () => [] as string[],
        );
        expect(left).toEqual([]);

        // The sound object, same size, arrives.
        if (opts.plant) await opts.plant(objectKey(oid), good);
        else await d.put(objectKey(oid), { stream: Readable.from([good]), size: good.length });
        expect((await pullObjects(clone, d, [oid])).failed).toEqual([]);
        expect(Buffer.compare(await readFile(clone.objectPath(oid)), good)).toBe(0);
      });
    });

    it('(root) a pulled object with no room in the cache is DISK_FULL about the cache, not the remote', async (ctx) => {
      await withDriver(async (d) => {
        const dir = await tempDir();
        // 2 MiB, too large for memory: the driver writes it (a copy, a stream, SFTP's
        // parallel download), not pullObjects, and it does not fit in the 1 MiB cache.
        const fx = await buildRemoteFixture(dir, { many: 1, bigBytes: 2 << 20 });
        expect((await pushObjects(fx.cache, d, [fx.bigOid!])).failed).toEqual([]);
        const cacheDir = join(dir, 'small-cache');
        const unmount = mountSmallTmpfs(cacheDir);
        if (!unmount) return ctx.skip();
        try {
          const err = await pullObjects(new LocalCache(cacheDir), d, [fx.bigOid!]).catch(
            (e: unknown) => e,
          );
          expect(err).toMatchObject({
            code: 'DISK_FULL',
            message: expect.stringContaining(`Cannot write ${cacheDir}`),
            hint: expect.stringContaining('cache.dir'),
          });
        } finally {
          unmount();
        }
      });
    });

    it('reports objects missing on the remote, and never uploads a manifest before its files', async () => {
      await withDriver(async (d) => {
        const dir = await tempDir();
        const fx = await buildRemoteFixture(dir, { many: 3 });
        const clone = new LocalCache(join(dir, 'clone'));
        // The remote exists (a local one whose directory is missing fails as a whole).
        await pushObjects(fx.cache, d, [fx.roots[1]!]);
        const r = await pullObjects(clone, d, [fx.roots[2]!]);
        expect(r.failed[0]!.error).toBeInstanceOf(NotFoundError);

        // A manifest whose file is missing from the local cache is held back.
        const entries = await fx.cache.readManifest(fx.dirOid);
        const { rm } = await import('node:fs/promises');
        await rm(fx.cache.objectPath(entries[0]!.md5), { force: true });
        const p = await pushObjects(fx.cache, d, [fx.dirOid]);
        expect(p.failed.map((f) => f.error.code).sort()).toEqual([
          'CACHE_OBJECT_MISSING',
          'DIR_INCOMPLETE',
        ]);
        expect(await d.exists(objectKey(fx.dirOid))).toBe(false);
        expect(await d.exists(objectKey(entries[1]!.md5))).toBe(true);
      });
    });
  });
}
