/**
 * The synchronous kernel of a small-file copy, run on the main thread or in a copy worker
 * (fs/small-copy-pool.ts): read a small file (or take given bytes), optionally check its MD5,
 * create a temp file beside the destination with the final mode, and rename it into place.
 *
 * Loaded directly by Node inside the worker (`.js` from dist, `.ts` through type stripping
 * under vitest), so it imports only `node:` modules, and our own with `import type` only.
 */
import type * as Crypto from 'node:crypto';
import { chmodSync, closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

/** One file to place: the bytes of `src` (or `data`) end up at `dest`, by way of `tmp`. */
export interface SmallCopy {
  /** The file to read; unused when `data` is given. */
  src?: string;
  data?: Uint8Array;
  /** A fresh temp name beside `dest` (same directory, so the rename is atomic). */
  tmp: string;
  dest: string;
  /** Mode `tmp` is created with (the umask applies). */
  mode: number;
  /** Set after creation, for a mode the umask would spoil. */
  chmod?: number;
  /** Copy only if the bytes read hash to this MD5 (hex); else nothing is written. */
  md5?: string;
  /** Return the bytes read from `src` (to keep them in memory). */
  keep?: boolean;
  /** Read at most this many bytes: a larger `src` is not copied (`large`). */
  limit: number;
}

/** Where a copy failed: reading the source, or writing the temp file and renaming it. */
export type CopyStep = 'read' | 'write';

/** An errno error as plain data, to cross from a worker (Error objects lose their fields). */
export interface CopyFailure {
  step: CopyStep;
  message: string;
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
  dest?: string;
}

export type CopyOutcome =
  | { done: true; size: number; bytes?: Uint8Array }
  /** The source hashed to `md5`, not the expected value: nothing was written. */
  | { corrupt: string; size: number }
  /** The source has `limit` bytes or more: nothing was written. */
  | { large: true }
  | { failed: CopyFailure };

let crypto: typeof Crypto | undefined;

/**
 * fs/small-read.ts's readSmallFile, handed in by the caller: this module cannot import it
 * (under type stripping the worker would look for `small-read.js` beside `small-copy-core.ts`).
 */
export type ReadSmall = (path: string, limit: number) => Buffer | undefined;

function failure(step: CopyStep, err: unknown): { failed: CopyFailure } {
  const e = err as NodeJS.ErrnoException & { dest?: string };
  return {
    failed: {
      step,
      message: e.message,
      code: e.code,
      errno: e.errno,
      syscall: e.syscall,
      path: e.path,
      dest: e.dest,
    },
  };
}

/**
 * Does one copy. Never throws: a failure comes back as data, naming its step. `readSmall`
 * reads into a scratch buffer: kept bytes are copied out of it.
 */
export function copySmallSync(task: SmallCopy, readSmall: ReadSmall): CopyOutcome {
  let bytes: Uint8Array;
  if (task.data) bytes = task.data;
  else {
    try {
      const read = readSmall(task.src!, task.limit);
      if (!read) return { large: true };
      bytes = read;
    } catch (err) {
      return failure('read', err);
    }
  }
  if (task.md5 !== undefined) {
    crypto ??= process.getBuiltinModule('node:crypto');
    const md5 = crypto.createHash('md5').update(bytes).digest('hex');
    if (md5 !== task.md5) return { corrupt: md5, size: bytes.length };
  }
  try {
    const fd = openSync(task.tmp, 'wx', task.mode);
    try {
      for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at);
    } finally {
      closeSync(fd);
    }
    if (task.chmod !== undefined) chmodSync(task.tmp, task.chmod);
    renameSync(task.tmp, task.dest);
  } catch (err) {
    rmSync(task.tmp, { force: true });
    return failure('write', err);
  }
  // Bytes read into the scratch buffer are copied out: the next call overwrites it.
  const kept = task.keep && !task.data ? Uint8Array.prototype.slice.call(bytes) : undefined;
  return { done: true, size: bytes.length, bytes: kept };
}
