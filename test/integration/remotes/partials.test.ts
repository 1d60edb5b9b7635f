/**
 * Who may resume a partial download (remotes/partials.ts), through real pulls from a local
 * remote: claims of live pulls are left alone, those of dead ones are taken over, two pulls
 * at once never share one, and leftovers do not pile up.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalCache } from '../../../src/hashing/cache.js';
import { objectKey } from '../../../src/remotes/driver.js';
import { LocalDriver } from '../../../src/remotes/local.js';
import { CLAIM_HOST, PARTIAL_DIR, PARTIAL_MAX_AGE_MS } from '../../../src/remotes/partials.js';
import { pullObjects } from '../../../src/remotes/transfer.js';
import { cacheWithPartial, HELD, OBJECT_BYTES } from '../../helpers/remote-resume.js';
import { tempDir } from '../../helpers/tmp.js';

/** A local remote holding one fresh large object. */
async function remoteWithObject() {
  const dir = await tempDir();
  const content = randomBytes(OBJECT_BYTES);
  const oid = createHash('md5').update(content).digest('hex');
  const driver = new LocalDriver(join(dir, 'remote'));
  writeFileSync(join(dir, 'src'), content);
  await driver.put(objectKey(oid), join(dir, 'src'));
  return { dir, content, oid, driver };
}

/** `name` in the partial dir of the cache at `root`: the object's first HELD bytes. */
function cacheWithFile(root: string, name: string, content: Buffer, ageMs = 0): string {
  mkdirSync(join(root, PARTIAL_DIR), { recursive: true });
  const p = join(root, PARTIAL_DIR, name);
  writeFileSync(p, content.subarray(0, HELD));
  const t = (Date.now() - ageMs) / 1000;
  utimesSync(p, t, t);
  return p;
}

const deadPid = (): number => spawnSync('true').pid!;
const HOUR = 3600_000;

describe('partial downloads and their claims', () => {
  it('takes over the claim of a process that is gone, or of another host gone quiet', async () => {
    const { dir, content, oid, driver } = await remoteWithObject();
    for (const [i, name] of [
      `.${oid}.${CLAIM_HOST}.${deadPid()}.1.claim`,
      `.${oid}.elsewhere.${process.ppid}.3.claim`,
    ].entries()) {
      const root = join(dir, `cache${i}`);
      cacheWithFile(root, name, content, i === 1 ? 2 * HOUR : 0);
      const cache = new LocalCache(root);
      const r = await pullObjects(cache, driver, [oid]);
      expect(r.failed).toEqual([]);
      expect(r.resumed, name).toBe(HELD);
      expect(readFileSync(cache.objectPath(oid)).equals(content)).toBe(true);
      expect(readdirSync(join(root, PARTIAL_DIR))).toEqual([]);
    }
  });

  it('leaves alone the claim of a live process (this host, or another written lately)', async () => {
    const { dir, content, oid, driver } = await remoteWithObject();
    for (const [i, name] of [
      `.${oid}.${CLAIM_HOST}.${process.ppid}.1.claim`,
      `.${oid}.elsewhere.${process.ppid}.3.claim`,
    ].entries()) {
      const root = join(dir, `cache${i}`);
      const claim = cacheWithFile(root, name, content);
      const cache = new LocalCache(root);
      const r = await pullObjects(cache, driver, [oid]);
      expect(r.failed).toEqual([]);
      expect(r.resumed, name).toBe(0);
      expect(readFileSync(cache.objectPath(oid)).equals(content)).toBe(true);
      // Another pull's to finish or give up.
      expect(readFileSync(claim).equals(content.subarray(0, HELD))).toBe(true);
    }
  });

  it('resumes legacy objects (DVC 2.x layout) from partials of their own', async () => {
    const { dir, content, oid, driver } = await remoteWithObject();
    await driver.put(objectKey(oid, { legacy: true }), join(dir, 'src'));
    const root = join(dir, 'cache');
    // The DVC 3 object's partial is not the legacy one's (the same id may name other bytes).
    cacheWithFile(root, `.${oid}.partial`, Buffer.alloc(HELD));
    cacheWithFile(root, `.${oid}.legacy.partial`, content);
    const cache = new LocalCache(root);
    const r = await pullObjects(cache, driver, [], { legacy: [oid] });
    expect(r.failed).toEqual([]);
    expect(r.resumed).toBe(HELD);
    expect(readFileSync(cache.objectPath(oid, { legacy: true })).equals(content)).toBe(true);
    expect(readdirSync(join(root, PARTIAL_DIR))).toEqual([`.${oid}.partial`]);
  });

  it('gives one partial to one of two pulls at once', async () => {
    const { dir, content, oid, driver } = await remoteWithObject();
    const root = join(dir, 'cache');
    cacheWithPartial(root, oid, content.subarray(0, HELD));
    const [a, b] = await Promise.all([
      pullObjects(new LocalCache(root), driver, [oid]),
      pullObjects(new LocalCache(root), driver, [oid]),
    ]);
    expect([...a!.failed, ...b!.failed]).toEqual([]);
    expect([a!.resumed, b!.resumed].sort()).toEqual([0, HELD]);
    expect(readFileSync(new LocalCache(root).objectPath(oid)).equals(content)).toBe(true);
    expect(readdirSync(join(root, PARTIAL_DIR))).toEqual([]);
  });

  it('downloads as before resume when the partial directory cannot be used', async () => {
    const { dir, content, oid, driver } = await remoteWithObject();
    const root = join(dir, 'cache');
    mkdirSync(root);
    // Not a directory (a cache another user set up, whose directory this user cannot write,
    // is the likelier case; as root no permission stops a write).
    writeFileSync(join(root, PARTIAL_DIR), 'in the way');
    const cache = new LocalCache(root);
    const r = await pullObjects(cache, driver, [oid]);
    expect(r.failed).toEqual([]);
    expect(r.resumed).toBe(0);
    expect(readFileSync(cache.objectPath(oid)).equals(content)).toBe(true);
  });

  it('removes leftovers not written for a week, whichever object they are for', async () => {
    const { dir, content, oid, driver } = await remoteWithObject();
    const root = join(dir, 'cache');
    const other = createHash('md5').update('other').digest('hex');
    const old = cacheWithFile(root, `.${other}.partial`, content, PARTIAL_MAX_AGE_MS + HOUR);
    const recent = join(root, PARTIAL_DIR, `.${'f'.repeat(32)}.partial`);
    writeFileSync(recent, 'recent');
    const r = await pullObjects(new LocalCache(root), driver, [oid]);
    expect(r.failed).toEqual([]);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
  });
});
