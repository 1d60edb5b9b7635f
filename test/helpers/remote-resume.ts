import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalCache } from '../../src/hashing/cache.js';
import { objectKey, type RemoteDriver } from '../../src/remotes/driver.js';
import { PARTIAL_DIR } from '../../src/remotes/partials.js';
import { pullObjects, type PullResult } from '../../src/remotes/transfer.js';
import { tempDir } from './tmp.js';

/** Large enough to be kept when cut (PARTIAL_MIN is 8 MiB), small enough to be quick. */
export const OBJECT_BYTES = 12 << 20;
export const HELD = 9 << 20;

/** Drivers for one remote: `up` to push the object, `down()` the one a pull uses. */
export interface ResumeRemote {
  up: RemoteDriver;
  down: () => Promise<RemoteDriver>;
}

/** A cache whose partial download of `oid` holds `bytes`, as an earlier pull left it. */
export function cacheWithPartial(root: string, oid: string, bytes: Buffer): LocalCache {
  const dir = join(root, PARTIAL_DIR);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `.${oid}.partial`), bytes);
  return new LocalCache(root);
}

/**
 * Pushes a fresh object, then pulls it into caches whose partial download of it holds each
 * of `partials` in turn (checking that each pull stores the object whole, verified, and
 * leaves no partial behind); returns the results.
 */
export async function pullWithPartials(
  open: () => Promise<ResumeRemote>,
  partials: (content: Buffer) => Buffer[],
): Promise<PullResult[]> {
  const content = randomBytes(OBJECT_BYTES);
  const oid = createHash('md5').update(content).digest('hex');
  const r = await open();
  const results: PullResult[] = [];
  try {
    const src = join(await tempDir(), 'src');
    writeFileSync(src, content);
    await r.up.put(objectKey(oid), src);
    for (const partial of partials(content)) {
      const root = join(await tempDir(), 'cache');
      const cache = cacheWithPartial(root, oid, partial);
      const down = await r.down();
      try {
        const result = await pullObjects(cache, down, [oid]);
        expect(result.failed).toEqual([]);
        expect(readFileSync(cache.objectPath(oid)).equals(content)).toBe(true);
        // Nothing is left behind once the object is in the cache.
        expect(readdirSync(join(root, PARTIAL_DIR))).toEqual([]);
        results.push(result);
      } finally {
        if (down !== r.up) await down.close();
      }
    }
  } finally {
    await r.up.close();
  }
  return results;
}

/**
 * Byte-level resume of pulls, run against a real server by each driver's test file: a
 * partial download is resumed with only the rest fetched; a bad or over-long one is
 * discarded and the object still arrives whole and verified.
 */
export function resumeTests(name: string, open: () => Promise<ResumeRemote>): void {
  describe(`${name} driver: pulls resume partial downloads`, () => {
    const pulls = (partials: (content: Buffer) => Buffer[]) => pullWithPartials(open, partials);

    it('fetches only the bytes a partial download lacks', async () => {
      const [r] = await pulls((content) => [content.subarray(0, HELD)]);
      expect(r!.transferred).toBe(1);
      expect(r!.resumed).toBe(HELD);
      expect(r!.bytes).toBe(OBJECT_BYTES - HELD);
    });

    it('fetches the object whole again when the partial download is corrupt, or too long', async () => {
      const results = await pulls((content) => {
        const bad = Buffer.from(content.subarray(0, HELD));
        bad[HELD >> 1] = 255 - bad[HELD >> 1]!;
        // As long as the object, and longer: the server has no rest to send.
        return [bad, content, Buffer.concat([content, randomBytes(1 << 20)])];
      });
      for (const r of results) {
        expect(r.resumed).toBe(0);
        expect(r.bytes).toBe(OBJECT_BYTES);
        expect(r.warnings).toEqual([]);
      }
    });
  });
}

/**
 * Puts `file` under `key` with a fresh driver from `open` (as the next push would); resolves
 * with the bytes the driver reported as resumed and as moved.
 */
export async function putCounting(
  open: () => Promise<RemoteDriver>,
  key: string,
  file: string,
): Promise<{ resumed: number; bytes: number }> {
  const d = await open();
  let resumed = 0;
  let bytes = 0;
  try {
    await d.put(key, file, {
      onResumed: (n) => (resumed += n),
      onBytes: (n) => (bytes += n),
    });
  } finally {
    await d.close();
  }
  return { resumed, bytes };
}
