import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

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
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    try {
      // Synchronous: on a busy machine each thread-pool round trip can wait for a core.
      writeFileSync(lock, content, { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (opts.staleMs !== undefined) {
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > opts.staleMs) {
        rmSync(lock, { force: true });
        continue;
      }
    }
    if (Date.now() - start > opts.timeoutMs) throw opts.busy();
    await sleep(delay);
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
