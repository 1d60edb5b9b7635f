import { randomUUID } from 'node:crypto';
import {
  closeSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { orNoSpace } from '../errors/index.js';

/**
 * Lock files as git and OpenSSH use them: whoever creates `<file>.lock` exclusively holds
 * the lock, everyone else waits. Works across processes and within one.
 */

export interface LockFileOptions {
  /** Give up after this long; `busy()` is the error then. */
  timeoutMs: number;
  busy: () => Error;
  /**
   * A lock file older than this is left over from a killed process and is removed. Only for
   * locks held for a moment (never for git's index lock: git decides about its own).
   */
  staleMs?: number;
  /**
   * For locks cmf must never remove (git's): a lock already older than this when first seen
   * fails at once with `abandoned(ageMs)` instead of being waited for, as it is most likely
   * left over from a killed process. A lock first seen younger is waited for as usual.
   */
  abandonedMs?: number;
  abandoned?: (ageMs: number) => Error;
  /**
   * Whether the lock file in the way (its stat given) is known to be left by a process that
   * no longer runs: then it is removed at once (safely against other waiters, see breakIf).
   */
  orphaned?: (st: Stats) => boolean;
}

/**
 * Creates `lock` exclusively, holding `content`, retrying with a growing pause (2 ms up to
 * 50 ms).
 */
export async function acquireLockFile(
  lock: string,
  opts: LockFileOptions,
  content = '',
): Promise<void> {
  const start = Date.now();
  let first = true;
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    // Synchronous: on a busy machine each thread-pool round trip can wait for a core.
    if (createLockFile(lock, content)) return;
    if (opts.orphaned && breakIf(lock, opts.orphaned, BREAKER_STALE_MS)) continue;
    if (first && opts.abandonedMs !== undefined && opts.abandoned) {
      const age = ageOf(lock);
      if (age !== undefined && age > opts.abandonedMs) throw opts.abandoned(age);
    }
    first = false;
    if (opts.staleMs !== undefined && breakIfStale(lock, opts.staleMs)) continue;
    if (Date.now() - start > opts.timeoutMs) throw opts.busy();
    await sleep(delay);
  }
}

/**
 * Creates `lock` exclusively holding `content`; false when it exists. A lock whose content
 * could not be written (a full disk: DISK_FULL naming `lock`) is removed again: it is ours,
 * and left behind it would block everyone until it goes stale, or, for git's locks, until
 * someone deletes it by hand.
 */
export function createLockFile(lock: string, content = ''): boolean {
  let fd: number;
  try {
    fd = openSync(lock, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    if (content !== '') writeFileSync(fd, content);
  } catch (err) {
    closeSync(fd);
    rmSync(lock, { force: true });
    throw orNoSpace(err, lock);
  }
  closeSync(fd);
  return true;
}

/** Milliseconds since `path` was last written; undefined when it is gone. */
function ageOf(path: string): number | undefined {
  const st = statSync(path, { throwIfNoEntry: false });
  return st && Date.now() - st.mtimeMs;
}

/** Age past which a `.break` file (held for a few system calls) is a killed breaker's. */
const BREAKER_STALE_MS = 10_000;

const isOlderThan = (staleMs: number) => (st: Stats) => Date.now() - st.mtimeMs > staleMs;

function breakIfStale(lock: string, staleMs: number): boolean {
  return breakIf(lock, isOlderThan(staleMs), staleMs);
}

/**
 * Removes `lock` if `isLeftOver` says so of it; true if it did. Two waiters that both saw the
 * same left-over lock must not both remove "it": the second would delete the fresh lock the
 * first has just created, and both would hold the lock. So only the holder of `<lock>.break`
 * (created exclusively, held for a few system calls) removes it, after checking again that
 * the lock is still that file. A `.break` left by a process killed while holding it is
 * removed once older than `breakerStaleMs`.
 */
function breakIf(
  lock: string,
  isLeftOver: (st: Stats) => boolean,
  breakerStaleMs: number,
): boolean {
  const seen = statSync(lock, { throwIfNoEntry: false });
  if (!seen || !isLeftOver(seen)) return false;
  const breaker = `${lock}.break`;
  try {
    writeFileSync(breaker, '', { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const st = statSync(breaker, { throwIfNoEntry: false });
    if (st && isOlderThan(breakerStaleMs)(st)) rmSync(breaker, { force: true });
    return false;
  }
  try {
    const now = statSync(lock, { throwIfNoEntry: false });
    if (!now || now.ino !== seen.ino || now.dev !== seen.dev || !isLeftOver(now)) return false;
    rmSync(lock, { force: true });
    return true;
  } finally {
    rmSync(breaker, { force: true });
  }
}

/**
 * Runs `fn` holding `lock`, and removes the lock afterwards whatever happens — unless it is no
 * longer ours: a holder paused past `staleMs` may have lost it to another process, whose lock
 * it must not delete. The lock file holds an owner token to tell.
 */
export async function withLockFile<T>(
  lock: string,
  opts: LockFileOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const token = `${process.pid} ${randomUUID()}\n`;
  await acquireLockFile(lock, opts, token);
  try {
    return await fn();
  } finally {
    let mine = false;
    try {
      mine = readFileSync(lock, 'utf8') === token;
    } catch {
      // gone already
    }
    if (mine) rmSync(lock, { force: true });
  }
}
