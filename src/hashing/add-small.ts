/**
 * `addMany`'s path for small files: each is read once, and the same bytes are hashed and
 * written into the cache. The general path reads a file to hash it, then copies it (a dozen
 * syscalls: open both, fstat, fchmod, FICLONE attempt, copy_file_range, fchown, utimensat,
 * a stat to check the source did not change, chmod), which for a file of a few hundred
 * bytes costs far more than the data. Here the object cannot disagree with its name: its
 * name is the md5 of exactly the bytes written. A file whose hash the state knows and whose
 * object is in the cache is not read at all.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  fchmodSync,
  fstatSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
  type BigIntStats,
} from 'node:fs';
import { orNoSpace } from '../errors/index.js';
import { tempPathBeside } from '../fs/atomic.js';
import { readSmallFile } from '../fs/small-read.js';
import { CACHE_OBJECT_MODE, type LocalCache } from './cache.js';
import { orReadDenied } from './file-hash.js';
import { stateEntry, type HashState, type StateEntry } from './state.js';

/** Files up to this size take this path (read whole into memory). */
export const SMALL_FILE_MAX = 1 << 20;

export interface SmallFileResult {
  md5: string;
  size: number;
  isexec: boolean;
  /** False when the object was in the cache already. */
  added: boolean;
}

/**
 * Creates `path` read-only (it must not exist), making its directory only when it is
 * missing: the cache's 256 fan-out directories exist after the first few hundred objects,
 * and a `mkdir` per object would be a wasted syscall.
 */
function openCreating(path: string, cache: LocalCache): number {
  try {
    return openSync(path, 'wx', CACHE_OBJECT_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    cache.makeDirForSync(path);
    return openSync(path, 'wx', CACHE_OBJECT_MODE);
  }
}

export class SmallFileAdder {
  private readonly fresh: StateEntry[] = [];

  private readonly cache: LocalCache;
  private readonly state: HashState | undefined;

  constructor(cache: LocalCache, state: HashState | undefined) {
    this.cache = cache;
    this.state = state;
  }

  /** Hashes `path` (through the state) and stores its object unless present. */
  add(path: string, st: BigIntStats): SmallFileResult {
    const isexec = (st.mode & 0o111n) !== 0n;
    const size = Number(st.size);
    const known = this.state?.enabled
      ? this.state.get(path, { ino: st.ino, mtimeNs: st.mtimeNs, size }, 'md5')
      : undefined;
    if (known !== undefined && this.exists(this.cache.objectPath(known))) {
      return { md5: known, size, isexec, added: false };
    }
    // The stat that keys the state entry is taken on the descriptor that is read.
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      throw orReadDenied(err, path);
    }
    let bytes: Buffer;
    let now: BigIntStats;
    try {
      now = fstatSync(fd, { bigint: true });
      // Into the shared scratch buffer: used (hashed, stored) before anything else reads.
      bytes = readSmallFile(fd, Number(now.size) + 1) ?? readFileSync(fd);
    } finally {
      closeSync(fd);
    }
    const md5 = createHash('md5').update(bytes).digest('hex');
    if (known !== md5) {
      this.fresh.push(stateEntry(path, md5, now));
    }
    const target = this.cache.objectPath(md5);
    if (this.exists(target)) return { md5, size: bytes.length, isexec, added: false };
    this.fresh.push(stateEntry(target, md5, this.store(target, bytes)));
    return { md5, size: bytes.length, isexec, added: true };
  }

  /** Records the new hashes (files and the objects made) in the state (one transaction). */
  flush(): void {
    if (this.state && this.fresh.length > 0) this.state.setMany(this.fresh.splice(0));
  }

  private exists(path: string): boolean {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  }

  /**
   * Temp file beside the object, read-only from the start, renamed into place. Returns the
   * object's stat (taken after the last write; the rename keeps inode and mtime), so the
   * state also vouches for the object: a push or checkout need not read it again.
   */
  private store(target: string, bytes: Buffer): BigIntStats {
    const tmp = tempPathBeside(target);
    try {
      const fd = openCreating(tmp, this.cache);
      let st: BigIntStats;
      try {
        for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at);
        // Exactly 0444 whatever the umask: DVC trusts objects with that mode unhashed.
        // As DVC does, a filesystem that refuses modes is not an error.
        try {
          fchmodSync(fd, CACHE_OBJECT_MODE);
        } catch {
          // left with the mode it was created with
        }
        st = fstatSync(fd, { bigint: true });
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, target);
      return st;
    } catch (err) {
      rmSync(tmp, { force: true });
      throw orNoSpace(err, target);
    }
  }
}
