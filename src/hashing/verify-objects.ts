import { CmfError, IntegrityError } from '../errors/index.js';
import { statSync } from 'node:fs';
import { hashItemsSettled } from './hash-paths.js';
import { HashState, type FileIdentity } from './state.js';
import type { HashName } from './types.js';

/** A cache object to check against its id. */
export interface ObjectToVerify {
  oid: string;
  /** Where the object's file is (the cache path found for it). */
  path: string;
  size?: number;
  /** How the object's name was computed; `md5` unless it is a legacy (DVC 2.x) object. */
  hashName?: HashName;
  /** A stat of `path` the caller has just taken (saves taking another). */
  stat?: FileIdentity;
}

export interface VerifyObjectsOptions {
  /**
   * The hash state: an object whose (inode, mtime, size) matches its entry is not read
   * again, and the objects read are recorded, so only new or changed objects cost a read.
   */
  state?: HashState;
  jobs?: number;
}

/** The error for a cache object whose content does not hash to its id. */
export function corruptCacheObject(oid: string, path: string, actual: string): IntegrityError {
  return new IntegrityError(
    'CACHE_OBJECT_CORRUPT',
    `Cache object ${oid} (${path}) is corrupt: its content hashes to ${actual}`,
    {
      hint: `Delete ${path} and add or pull the file again.`,
      data: { oid, path, actual },
    },
  );
}

/**
 * Checks that each object's content hashes to its id (for a `.dir` manifest: the md5 of its
 * bytes). Returns the objects that failed, by oid: IntegrityError for corrupt content, the
 * read error for an object that could not be read. The others are good.
 */
export async function findBadObjects(
  objects: readonly ObjectToVerify[],
  opts: VerifyObjectsOptions = {},
): Promise<Map<string, CmfError>> {
  const bad = new Map<string, CmfError>();
  const byHash = new Map<HashName, ObjectToVerify[]>();
  for (const o of objects) {
    const h = o.hashName ?? 'md5';
    const group = byHash.get(h);
    if (group) group.push(o);
    else byHash.set(h, [o]);
  }
  const state = opts.state?.enabled ? opts.state : undefined;
  for (const [hashName, all] of byHash) {
    state?.prepare(hashName, all.length);
    // State hits are settled here with one synchronous stat each: handing thousands of
    // unchanged objects to the hasher would start its worker pool just to stat them.
    const group = state ? all.filter((o) => !stateHit(o, hashName, state, bad)) : all;
    if (group.length === 0) continue;
    const hashed = await hashItemsSettled(
      group.map((o) => ({ path: o.path, size: o.size })),
      { hashName, state: opts.state, jobs: opts.jobs },
    );
    group.forEach((o, i) => {
      const got = hashed[i]!;
      if (got instanceof CmfError) bad.set(o.oid, got);
      else if (got.md5 !== o.oid.slice(0, 32)) {
        bad.set(o.oid, corruptCacheObject(o.oid, o.path, got.md5));
      }
    });
  }
  return bad;
}

/**
 * True when the state settles `o`: its entry matches the object's stat. A corrupt object
 * (the entry's md5 is not the id) is recorded in `bad`.
 */
function stateHit(
  o: ObjectToVerify,
  hashName: HashName,
  state: HashState,
  bad: Map<string, CmfError>,
): boolean {
  const cached = state.lookup(o.path, hashName);
  if (!cached) return false;
  const st = o.stat ?? statSync(o.path, { throwIfNoEntry: false });
  if (!st || !HashState.matches(cached, st)) return false;
  if (cached.md5 !== o.oid.slice(0, 32))
    bad.set(o.oid, corruptCacheObject(o.oid, o.path, cached.md5));
  return true;
}
