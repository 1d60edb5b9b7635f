import { closeSync, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tempPathBeside } from './atomic.js';

/**
 * Why writes fail, found by trying one: `access(W_OK)` cannot tell, as root passes it on a
 * read-only mount and past an immutable flag. For error paths only (a file is created).
 */

/**
 * The errno of creating a file in `dir` (under a temp name, removed at once), or undefined
 * when one can be created.
 */
export function probeCreate(dir: string): string | undefined {
  const probe = tempPathBeside(join(dir, 'probe'));
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code;
  }
  try {
    unlinkSync(probe);
  } catch {
    // an append-only directory: left for the stale-temp sweeps (the name is a temp name)
  }
  return undefined;
}

/**
 * The errno of opening the existing file `path` for reading (`r`) or writing (`r+`: nothing is
 * written, so it is left as it was), or undefined when it opens.
 */
export function probeOpen(path: string, flags: 'r' | 'r+'): string | undefined {
  try {
    closeSync(openSync(path, flags));
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code;
  }
}
