import { lstatSync, readdirSync, rmSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { isOwnTempName } from './atomic.js';

/**
 * Temp files left by a killed writer (SIGKILL, power loss) are removed the next time cmf
 * writes into their directory. Only names of our own pattern (`.<22 chars>.tmp`, as DVC
 * makes them too) whose mtime is older than this: a live writer, in this process or
 * another, keeps the mtime of its temp file fresh while it fills it.
 */
export const STALE_TEMP_MS = 60 * 60 * 1000;

/**
 * The rule for any directory, local or remote: a name of our temp pattern, last written over
 * `staleMs` before `now` (both by one clock: the file system's).
 */
export function isStaleTempName(
  name: string,
  mtimeMs: number,
  now: number,
  staleMs = STALE_TEMP_MS,
): boolean {
  return isOwnTempName(name) && now - mtimeMs > staleMs;
}

/**
 * Whether a temp file is a leftover. A hard link (nlink > 1) is never one we remove: a
 * workspace temp made by hard-linking a cache object carries the object's old mtime while
 * another process is about to rename it, and it takes no space of its own anyway.
 */
function isStale(name: string, st: Stats, now: number, staleMs: number): boolean {
  const old = isStaleTempName(name, st.mtimeMs, now, staleMs);
  return old && (st.isSymbolicLink() || (st.isFile() && st.nlink === 1));
}

/**
 * Removes stale temp files from `dir`; `names` are its entries when the caller has just
 * listed it (no second listing then). Synchronous: it runs once per directory a command
 * writes into, usually finds no temp name at all, and then costs one listing. Best effort:
 * any error leaves the file alone. Returns how many were removed.
 */
export function sweepStaleTemps(
  dir: string,
  names?: Iterable<string>,
  staleMs = STALE_TEMP_MS,
): number {
  let list = names;
  if (list === undefined) {
    try {
      list = readdirSync(dir);
    } catch {
      return 0;
    }
  }
  const now = Date.now();
  let removed = 0;
  for (const name of list) {
    if (!isOwnTempName(name)) continue;
    const path = join(dir, name);
    try {
      const st = lstatSync(path, { throwIfNoEntry: false });
      if (!st || !isStale(name, st, now, staleMs)) continue;
      rmSync(path);
      removed++;
    } catch {
      // gone already (another sweeper, or its writer renamed it) or not ours to remove
    }
  }
  return removed;
}
