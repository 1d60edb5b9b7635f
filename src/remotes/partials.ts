import {
  accessSync,
  constants,
  lstatSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { STALE_TEMP_MS } from '../fs/stale-temps.js';
import type { LocalCache } from '../hashing/cache.js';
import { isPid, isRunning } from '../util/process-owner.js';

/**
 * Partial downloads kept for the next pull (byte-level resume). They live in
 * `<cache>/.cmf-partial/`: on the cache's file system, so a finished one is renamed into
 * place atomically, and in a directory DVC skips when it lists the cache (it takes only
 * `<2 chars>/<rest>` paths, spec/formats.md A3). Each object has at most one free partial,
 * `.<oid>.partial`; a pull that resumes it first renames it to a name of its own (the claim,
 * `.<oid>.<host>.<pid>.<n>.claim`) and appends only to that, so two pulls into one cache never
 * write the same file. A claim whose process is gone (same host, pid not alive) or that has
 * not been written for an hour (another host) is stale and taken over the same way.
 */

/**
 * A download cut after at least this many bytes keeps them. Below it, fetching the bytes
 * again takes about a second on a slow (100 Mbit/s) link, less than a partial costs to keep
 * (a file, a claim, a hash pass over it); above it, the waste grows with the object. It is
 * also well above the 1 MiB under which objects come into memory whole, which keeps the
 * small-object fast paths untouched.
 */
export const PARTIAL_MIN = 8 << 20;

/** Leftovers not written for this long (objects never pulled again) are removed. */
export const PARTIAL_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

export const PARTIAL_DIR = '.cmf-partial';

const NAME = /^\.([0-9a-f]{32}(?:\.dir)?(?:\.legacy)?)\.(?:partial|(.+)\.(\d+)\.(\d+)\.claim)$/;

/** This host, as it appears in the names of its claims. */
export const CLAIM_HOST = hostname().replace(/[^A-Za-z0-9-]/g, '_') || 'host';

/** Claims made by this process: with its pid, a name no other claim has. */
let claims = 0;

/** A partial download this process holds: it alone writes `path`. */
export interface Claim {
  /** Which object: its oid, `.legacy` added for the legacy layout (whose bytes may differ). */
  base: string;
  /** The claim's file: created by the download when `held` is 0. */
  path: string;
  /** Bytes the file held when claimed (an earlier pull's): the download resumes after them. */
  held: number;
  /** False for the caller's own temp file (see {@link Partials.claim}): never kept. */
  keep: boolean;
}

/** The partials of one cache, for one pull. Best effort: no file error here fails a pull. */
export class Partials {
  readonly dir: string;
  private readonly cache: LocalCache;
  /** Partial and claim names per object, found when first asked (see {@link load}). */
  private found: Map<string, string[]> | undefined;
  /** Whether the directory is there and this user may write it (see {@link ready}). */
  private usable: boolean | undefined;

  constructor(cache: LocalCache) {
    this.cache = cache;
    this.dir = join(cache.root, PARTIAL_DIR);
  }

  /**
   * Lists the directory once: other pulls' partials made after this are not resumed by this
   * one (it downloads into a claim of its own). Leftovers older than PARTIAL_MAX_AGE_MS go.
   */
  private load(): Map<string, string[]> {
    const found = new Map<string, string[]>();
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return found;
    }
    const now = Date.now();
    for (const name of names) {
      const m = NAME.exec(name);
      if (!m) continue;
      try {
        const st = lstatSync(join(this.dir, name));
        if (now - st.mtimeMs > PARTIAL_MAX_AGE_MS) {
          rmSync(join(this.dir, name), { force: true });
          continue;
        }
      } catch {
        continue;
      }
      const list = found.get(m[1]!);
      if (list) list.push(name);
      else found.set(m[1]!, [name]);
    }
    // Free partials first: taking one needs no check.
    for (const list of found.values())
      list.sort((a, b) => +b.endsWith('.partial') - +a.endsWith('.partial'));
    return found;
  }

  /** True for a free partial, or a claim whose writer is gone. */
  private isFree(name: string): boolean {
    const m = NAME.exec(name);
    if (!m) return false;
    if (m[2] === undefined) return true;
    const pid = Number(m[3]);
    if (m[2] === CLAIM_HOST) return pid === process.pid || !(isPid(pid) && isRunning(pid));
    try {
      return Date.now() - lstatSync(join(this.dir, name)).mtimeMs > STALE_TEMP_MS;
    } catch {
      return false;
    }
  }

  /** Makes the directory (once); false when it cannot be made or written by this user. */
  private ready(): boolean {
    if (this.usable === undefined) {
      try {
        this.cache.makeDirForSync(join(this.dir, 'x'));
        accessSync(this.dir, constants.W_OK);
        this.usable = true;
      } catch {
        this.usable = false;
      }
    }
    return this.usable;
  }

  /**
   * A claim for `base`'s download: an earlier pull's bytes when some are free to take (renamed
   * to this process's own name, so no other pull appends to them), else an empty one. Where
   * the directory cannot be written (a cache another user set up), `fallback`, a temp file
   * beside the object: the download then works as it did before resume, and is never kept.
   */
  claim(base: string, fallback: string): Claim {
    if (!this.ready()) return { base, path: fallback, held: 0, keep: false };
    const found = (this.found ??= this.load());
    const path = join(this.dir, `.${base}.${CLAIM_HOST}.${process.pid}.${++claims}.claim`);
    for (const name of found.get(base) ?? []) {
      if (!this.isFree(name)) continue;
      try {
        renameSync(join(this.dir, name), path);
      } catch {
        continue; // another pull took it first
      }
      this.forget(base, name);
      try {
        const st = statSync(path);
        if (st.isFile()) return { base, path, held: st.size, keep: true };
      } catch {
        // gone, or not ours to read: start over
      }
      rmSync(path, { force: true, recursive: true });
    }
    return { base, path, held: 0, keep: true };
  }

  /**
   * The download stopped (failed, or the process is stopping): a claim holding PARTIAL_MIN
   * bytes or more becomes the object's free partial, a smaller one is removed. Synchronous:
   * it runs in signal handlers. Nothing happens when the claim's file is gone (renamed into
   * the cache). Returns how many bytes were kept.
   */
  release(claim: Claim): number {
    try {
      const st = statSync(claim.path);
      if (claim.keep && st.isFile() && st.size >= PARTIAL_MIN) {
        const name = `.${claim.base}.partial`;
        renameSync(claim.path, join(this.dir, name));
        // A retry in this pull resumes it.
        const list = this.found?.get(claim.base);
        if (!list) this.found?.set(claim.base, [name]);
        else if (!list.includes(name)) list.unshift(name);
        return st.size;
      }
      rmSync(claim.path, { force: true });
    } catch {
      // gone already
    }
    return 0;
  }

  /** The object is in the cache: the other leftovers for it that are free go too. */
  landed(base: string): void {
    for (const name of this.found?.get(base) ?? []) {
      try {
        if (this.isFree(name)) rmSync(join(this.dir, name), { force: true });
      } catch {
        // not ours to remove
      }
    }
    this.found?.delete(base);
  }

  private forget(base: string, name: string): void {
    const list = this.found?.get(base);
    if (list) list.splice(list.indexOf(name), 1);
  }
}
