import { createHash } from 'node:crypto';
import {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeTempsInFlight, tempName, trackTemp, untrackTemp } from '../../../src/fs/atomic.js';
import { STALE_TEMP_MS, sweepStaleTemps } from '../../../src/fs/stale-temps.js';
import { LocalCache } from '../../../src/hashing/cache.js';
import { tempDir } from '../../helpers/tmp.js';

/** A file `name` in `dir`, its mtime two thresholds old when `aged`. */
function file(dir: string, name: string, aged: boolean): string {
  const p = join(dir, name);
  writeFileSync(p, 'x');
  const t = (Date.now() - 2 * STALE_TEMP_MS) / 1000;
  if (aged) utimesSync(p, t, t);
  return p;
}

describe('sweepStaleTemps', () => {
  it('removes old temp files of our naming only; fresh ones, other names and hard links stay', async () => {
    const dir = await tempDir();
    const stale = file(dir, tempName(), true);
    const fresh = file(dir, tempName(), false);
    const other = file(dir, '.notes.tmp', true);
    const object = file(dir, 'object', true);
    // A workspace temp hard-linked to a cache object has the object's old mtime.
    const linked = join(dir, tempName());
    linkSync(object, linked);
    const dangling = join(dir, tempName());
    symlinkSync(join(dir, 'gone'), dangling);
    expect(sweepStaleTemps(dir)).toBe(1);
    expect(lstatSync(dangling).isSymbolicLink()).toBe(true);
    expect(existsSync(stale)).toBe(false);
    for (const p of [fresh, other, object, linked]) expect(existsSync(p), p).toBe(true);
    // A symbolic link counts by its own mtime (just made): it goes only with no grace at all,
    // as the fresh file does; the hard link never.
    expect(sweepStaleTemps(dir, undefined, -1)).toBe(2);
    expect(existsSync(fresh)).toBe(false);
    expect(lstatSync(dangling, { throwIfNoEntry: false })).toBeUndefined();
    expect(existsSync(linked)).toBe(true);
  });

  it('uses the names it is given instead of listing', async () => {
    const dir = await tempDir();
    const stale = file(dir, tempName(), true);
    expect(sweepStaleTemps(dir, [])).toBe(0);
    expect(existsSync(stale)).toBe(true);
  });
});

describe('the local cache', () => {
  it('sweeps the object directories it adds to: a killed add leaves its temp file there', async () => {
    const root = await tempDir();
    const cache = new LocalCache(join(root, 'cache'));
    const content = (text: string) => {
      const md5 = createHash('md5').update(text).digest('hex');
      const dir = join(root, 'cache/files/md5', md5.slice(0, 2));
      mkdirSync(dir, { recursive: true });
      const src = join(root, text);
      writeFileSync(src, text);
      return { md5, src, stale: file(dir, tempName(), true), fresh: file(dir, tempName(), false) };
    };
    const a = content('added as a file');
    await cache.addFile(a.src, a.md5);
    const b = content('added as bytes');
    await cache.addBytes(b.md5, Buffer.from('added as bytes'));
    for (const c of [a, b]) {
      expect(existsSync(c.stale), 'stale temp').toBe(false);
      expect(existsSync(c.fresh), 'a live writer may be filling it').toBe(true);
    }
  });
});

describe('temp files in flight', () => {
  it('are removed by removeTempsInFlight unless renamed or untracked first', async () => {
    const dir = await tempDir();
    const a = trackTemp(join(dir, tempName()));
    const b = trackTemp(join(dir, tempName()));
    trackTemp(join(dir, tempName())); // never created
    writeFileSync(a, 'x');
    writeFileSync(b, 'x');
    untrackTemp(b);
    expect(removeTempsInFlight()).toEqual({ removed: 1, keptBytes: 0 });
    expect(existsSync(a)).toBe(false);
    expect(existsSync(b)).toBe(true);
    expect(removeTempsInFlight()).toEqual({ removed: 0, keptBytes: 0 });
  });

  it('are left to their onStop, which says how many bytes it kept', async () => {
    const dir = await tempDir();
    const kept = trackTemp(join(dir, tempName()), () => 7);
    writeFileSync(kept, 'x');
    trackTemp(join(dir, tempName()), () => 5);
    expect(removeTempsInFlight()).toEqual({ removed: 0, keptBytes: 12 });
    expect(existsSync(kept)).toBe(true);
  });
});
