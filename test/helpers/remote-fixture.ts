import { createHash, randomBytes } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalCache } from '../../src/hashing/cache.js';
import { manifestHash, serializeManifest } from '../../src/hashing/manifest.js';
import type { ManifestEntry } from '../../src/hashing/types.js';

/**
 * A cache filled with what the remote tests push: a directory with nested and non-ASCII
 * names, many small files (so existence checks take the listing path), and optionally one
 * big file (multipart on S3).
 */
export interface RemoteFixture {
  cache: LocalCache;
  /** The oids a push is asked for: the directory manifests and standalone files. */
  roots: string[];
  /** Every object (roots, and the files the manifests list) → its size. */
  objects: Map<string, number>;
  dirOid: string;
  manyOid: string;
  bigOid?: string;
}

export const NAMES = [
  'a.txt',
  'sub/b.txt',
  'sub/deep/c.bin',
  'ünïcödé/файл.txt',
  '日本/データ.csv',
  'space name.txt',
  'emoji-😀.txt',
];

function md5(b: Uint8Array): string {
  return createHash('md5').update(b).digest('hex');
}

async function addDir(
  cache: LocalCache,
  files: Array<[string, Buffer]>,
  objects: Map<string, number>,
): Promise<string> {
  const entries: ManifestEntry[] = [];
  for (const [relpath, content] of files) {
    const oid = md5(content);
    await cache.addBytes(oid, content);
    objects.set(oid, content.length);
    entries.push({ md5: oid, relpath });
  }
  const manifest = serializeManifest(entries);
  const oid = manifestHash(manifest);
  await cache.addBytes(oid, manifest);
  objects.set(oid, manifest.length);
  return oid;
}

export async function buildRemoteFixture(
  root: string,
  opts: { many?: number; bigBytes?: number } = {},
): Promise<RemoteFixture> {
  const cache = new LocalCache(join(root, 'cache'));
  const objects = new Map<string, number>();
  const dirOid = await addDir(
    cache,
    NAMES.map((n, i) => [n, Buffer.from(`${n} #${i} ${randomBytes(8).toString('hex')}\n`)]),
    objects,
  );
  const manyOid = await addDir(
    cache,
    Array.from({ length: opts.many ?? 300 }, (_, i) => [
      `many/f${String(i).padStart(4, '0')}.bin`,
      randomBytes(1024 + (i % 7) * 512),
    ]),
    objects,
  );
  const roots = [dirOid, manyOid];
  const single = Buffer.from(`single file ${randomBytes(8).toString('hex')}\n`);
  const singleOid = md5(single);
  await cache.addBytes(singleOid, single);
  objects.set(singleOid, single.length);
  roots.push(singleOid);

  let bigOid: string | undefined;
  if (opts.bigBytes) {
    const path = join(root, 'big.bin');
    const h = createHash('md5');
    const fh = await open(path, 'w');
    const block = randomBytes(1 << 20);
    for (let i = 0; i < Math.ceil(opts.bigBytes / block.length); i++) {
      block.writeUInt32LE(i, 0);
      const part = block.subarray(0, Math.min(block.length, opts.bigBytes - i * block.length));
      h.update(part);
      await fh.write(part);
    }
    await fh.close();
    bigOid = h.digest('hex');
    await cache.addFile(path, bigOid);
    objects.set(bigOid, opts.bigBytes);
    roots.push(bigOid);
  }
  return { cache, roots, objects, dirOid, manyOid, bigOid };
}

/** MD5 of a cache object's bytes. */
export async function objectMd5(cache: LocalCache, oid: string): Promise<string> {
  return md5(await readFile(cache.objectPath(oid)));
}
