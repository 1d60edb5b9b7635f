/**
 * pushObjects checks what it uploads: a corrupt cache object never reaches the remote (where
 * its content address would make every later push skip it), objects the remote already has
 * are not read, and the hash state spares re-reading unchanged objects.
 */
import { appendFile, chmod, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IntegrityError } from '../../../src/errors/index.js';
import { hashItems } from '../../../src/hashing/hash-paths.js';
import { HashState } from '../../../src/hashing/state.js';
import { objectKey } from '../../../src/remotes/driver.js';
import { LocalDriver } from '../../../src/remotes/local.js';
import { pullObjects, pushObjects } from '../../../src/remotes/transfer.js';
import { LocalCache } from '../../../src/hashing/cache.js';
import { buildRemoteFixture, objectMd5 } from '../../helpers/remote-fixture.js';
import { tempDir } from '../../helpers/tmp.js';

async function corruptObject(cache: LocalCache, oid: string, extra = 'junk'): Promise<string> {
  const path = cache.objectPath(oid);
  await chmod(path, 0o644);
  await appendFile(path, extra);
  await chmod(path, 0o444);
  return path;
}

async function setup(): Promise<{
  dir: string;
  fx: Awaited<ReturnType<typeof buildRemoteFixture>>;
  driver: LocalDriver;
  state: HashState;
}> {
  const dir = await tempDir();
  const fx = await buildRemoteFixture(dir, { many: 20 });
  const driver = new LocalDriver(join(dir, 'remote'));
  const state = HashState.open(join(dir, 'state.db'));
  return { dir, fx, driver, state };
}

describe('pushing a corrupt cache object', () => {
  it('is an IntegrityError naming the object and its cache path, and it is not uploaded', async () => {
    const { fx, driver, state } = await setup();
    const entries = await fx.cache.readManifest(fx.dirOid);
    const bad = entries[0]!.md5;
    const path = await corruptObject(fx.cache, bad);

    const r = await pushObjects(fx.cache, driver, fx.roots, { state });
    const failure = r.failed.find((f) => f.oid === bad)!;
    expect(failure.error).toBeInstanceOf(IntegrityError);
    expect(failure.error.code).toBe('CACHE_OBJECT_CORRUPT');
    expect(failure.error.exitCode).toBe(5);
    expect(failure.error.message).toContain(bad);
    expect(failure.error.message).toContain(path);
    expect(failure.error.hint).toContain(path);
    expect(await driver.exists(objectKey(bad))).toBe(false);
    // Its directory's manifest is held back; everything else went up.
    expect(r.failed.map((f) => f.error.code).sort()).toEqual([
      'CACHE_OBJECT_CORRUPT',
      'DIR_INCOMPLETE',
    ]);
    expect(await driver.exists(objectKey(fx.dirOid))).toBe(false);
    expect(await driver.exists(objectKey(fx.manyOid))).toBe(true);
    state.close();
  });

  it('checks manifests too: a manifest edited into other valid JSON is not uploaded', async () => {
    const { fx, driver, state } = await setup();
    const path = fx.cache.objectPath(fx.dirOid);
    const text = await readFile(path, 'utf8');
    await chmod(path, 0o644);
    // Still a valid manifest, but not the one the oid names.
    await writeFile(path, text.replace('"a.txt"', '"z.txt"'));
    const r = await pushObjects(fx.cache, driver, [fx.dirOid], { state });
    expect(r.failed.map((f) => [f.oid, f.error.code])).toEqual([
      [fx.dirOid, 'CACHE_OBJECT_CORRUPT'],
    ]);
    expect(await driver.exists(objectKey(fx.dirOid))).toBe(false);
    state.close();
  });

  it('after the cache is repaired, a push uploads the good copy', async () => {
    const { fx, driver, state } = await setup();
    const single = fx.roots[2]!;
    const good = await readFile(fx.cache.objectPath(single));
    await corruptObject(fx.cache, single);
    expect((await pushObjects(fx.cache, driver, [single], { state })).failed).toHaveLength(1);
    await rm(fx.cache.objectPath(single), { force: true });
    await fx.cache.addBytes(single, good);
    const r = await pushObjects(fx.cache, driver, [single], { state });
    expect(r.failed).toEqual([]);
    expect(r.transferred).toBe(1);
    const clone = new LocalCache(join(await tempDir(), 'clone'));
    expect((await pullObjects(clone, driver, [single])).failed).toEqual([]);
    expect(await objectMd5(clone, single)).toBe(single);
    state.close();
  });
});

describe('push verification cost', () => {
  it('does not read objects the remote already has', async () => {
    const { fx, driver, state } = await setup();
    expect((await pushObjects(fx.cache, driver, fx.roots, { state })).failed).toEqual([]);
    // Corrupt locally after the upload: a no-op push never looks at the content.
    await corruptObject(fx.cache, fx.roots[2]!);
    const again = await pushObjects(fx.cache, driver, fx.roots, { state });
    expect(again.failed).toEqual([]);
    expect(again.transferred).toBe(0);
    state.close();
  });

  it('records what it hashed in the state, and trusts an entry whose stat still matches', async () => {
    const { fx, driver, state } = await setup();
    const single = fx.roots[2]!;
    const path = fx.cache.objectPath(single);
    expect(state.has(path, 'md5')).toBe(false);
    const first = await pushObjects(fx.cache, driver, [single], { state });
    expect(first.failed).toEqual([]);
    expect(state.lookup(path, 'md5')?.md5).toBe(single);

    // Proof the state is consulted: an entry claiming another md5 for this exact stat makes
    // the (good) object look corrupt, so the push must not have read it.
    await driver.delete(objectKey(single));
    const [h] = await hashItems([{ path }]);
    state.setMany([{ path, hashName: 'md5', ...h!, md5: 'f'.repeat(32) }]);
    const r = await pushObjects(fx.cache, driver, [single], { state });
    expect(r.failed.map((f) => f.error.code)).toEqual(['CACHE_OBJECT_CORRUPT']);
    state.close();
  });
});

describe('pulled objects in the state', () => {
  it('a pull returns state entries for the large objects it stored, matching their files', async () => {
    const dir = await tempDir();
    const fx = await buildRemoteFixture(dir, { many: 3, bigBytes: (1 << 20) + 5 });
    const driver = new LocalDriver(join(dir, 'remote'));
    expect((await pushObjects(fx.cache, driver, fx.roots)).failed).toEqual([]);
    const clone = new LocalCache(join(dir, 'clone'));
    const r = await pullObjects(clone, driver, fx.roots);
    expect(r.failed).toEqual([]);
    // Only the big object: small ones are cheap to hash again when a later check needs them.
    expect(r.stateEntries.map((e) => e.path)).toEqual([clone.objectPath(fx.bigOid!)]);
    const state = HashState.open(join(dir, 'state.db'));
    try {
      state.setMany(r.stateEntries);
      const entry = state.lookup(clone.objectPath(fx.bigOid!), 'md5');
      expect(entry?.md5).toBe(fx.bigOid);
      expect(HashState.matches(entry!, await stat(clone.objectPath(fx.bigOid!)))).toBe(true);
    } finally {
      state.close();
    }
  });
});
