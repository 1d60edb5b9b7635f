import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { orNoSpace } from '../errors/index.js';

let namePool = Buffer.alloc(0);
let namePoolAt = 0;

/**
 * A temporary file name as DVC makes its own: `.<16 random bytes, urlsafe>.tmp`. The random
 * bytes are drawn 256 names at a time: one syscall per name shows when placing thousands of
 * small files.
 */
export function tempName(): string {
  if (namePoolAt + 16 > namePool.length) {
    namePool = randomBytes(16 * 256);
    namePoolAt = 0;
  }
  return `.${namePool.subarray(namePoolAt, (namePoolAt += 16)).toString('base64url')}.tmp`;
}

const OWN_TEMP_NAME = /^\.[A-Za-z0-9_-]{22}\.tmp$/;

/** True for names {@link tempName} makes (DVC's own temp files look the same). */
export function isOwnTempName(name: string): boolean {
  return OWN_TEMP_NAME.test(name);
}

/**
 * A temporary name beside `target`, in the same directory, so the final rename stays on
 * one filesystem and is atomic.
 */
export function tempPathBeside(target: string): string {
  return join(dirname(target), tempName());
}

/**
 * Temp files this process has created (or is about to create) and not yet renamed or removed,
 * built across an `await`. A signal handler runs only between event-loop turns, so a temp
 * file created and renamed in one synchronous stretch is never seen half-way by one; those
 * are not tracked (they still are left by SIGKILL, see {@link sweepStaleTemps}). A file kept
 * across runs (a partial download) has its own synchronous `onStop` instead of removal.
 */
const inFlight = new Map<string, (() => number) | undefined>();

/**
 * Records `tmp` as in flight until {@link untrackTemp}; returns it. `onStop` (instead of
 * removal) returns how many of its bytes it kept.
 */
export function trackTemp(tmp: string, onStop?: () => number): string {
  inFlight.set(tmp, onStop);
  return tmp;
}

/** `tmp` was renamed into place or removed. */
export function untrackTemp(tmp: string): void {
  inFlight.delete(tmp);
}

/**
 * Removes every temp file still in flight (or runs its `onStop`), synchronously (it runs in a
 * signal handler just before the process exits); returns how many were removed, and how many
 * bytes the `onStop`s kept. A rename racing with this either happened first (the file is
 * complete under its final name) or fails.
 */
export function removeTempsInFlight(): { removed: number; keptBytes: number } {
  let removed = 0;
  let keptBytes = 0;
  for (const [tmp, onStop] of inFlight) {
    try {
      if (onStop) keptBytes += onStop();
      else {
        rmSync(tmp);
        removed++;
      }
    } catch {
      // never created, already renamed, or not ours to remove any more
    }
  }
  inFlight.clear();
  return { removed, keptBytes };
}

/**
 * Runs `produce(tmp)` to fill a temp file beside `target`, then renames it over `target`.
 * A crash at any point leaves either the old file or the new one, never a partial one;
 * the temp file is removed on failure.
 */
export async function replaceAtomically(
  target: string,
  produce: (tmpPath: string) => Promise<void>,
  opts: { mode?: number } = {},
): Promise<void> {
  const tmp = trackTemp(tempPathBeside(target));
  try {
    await mkdir(dirname(target), { recursive: true });
    await produce(tmp);
    if (opts.mode !== undefined) await chmod(tmp, opts.mode);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    // The target is the file the caller knows (a write's own error names no path).
    throw orNoSpace(err, target);
  } finally {
    untrackTemp(tmp);
  }
}

/** Writes `data` to `target` atomically (temp file + rename). */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  opts: { mode?: number } = {},
): Promise<void> {
  await replaceAtomically(target, (tmp) => writeFile(tmp, data), opts);
}
