import { existsSync, mkdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * `mkdir -p` that reports why it failed. Node's recursive mkdir answers ENOENT for a
 * directory it cannot create under an existing parent, whatever the real reason (a read-only
 * file system, no permission): it stats the path after the failed mkdir and reports that
 * stat's error. The true errno comes from a plain mkdir of the first missing directory.
 * Returns what `mkdir(…, { recursive: true })` returns: the first directory made, if any.
 */
export function mkdirpSync(dir: string): string | undefined {
  try {
    return mkdirSync(dir, { recursive: true });
  } catch (err) {
    const cause = trueCause(dir, err);
    if (cause === RETRY) return mkdirSync(dir, { recursive: true });
    throw cause;
  }
}

/** {@link mkdirpSync} for async callers. */
export async function mkdirp(dir: string): Promise<string | undefined> {
  try {
    return await mkdir(dir, { recursive: true });
  } catch (err) {
    const cause = trueCause(dir, err);
    if (cause === RETRY) return mkdir(dir, { recursive: true });
    throw cause;
  }
}

const RETRY = Symbol('retry');

/**
 * For an ENOENT of a recursive mkdir of `dir`: the error a plain mkdir of the first missing
 * directory below the nearest existing one gives (EROFS, EACCES…). If that mkdir succeeds
 * (something changed meanwhile), RETRY; for any other error, `err` itself.
 */
function trueCause(dir: string, err: unknown): unknown {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return err;
  const first = firstMissingDir(dir);
  if (first === undefined) return RETRY;
  try {
    mkdirSync(first);
  } catch (real) {
    return (real as NodeJS.ErrnoException).code === 'EEXIST' ? RETRY : real;
  }
  return RETRY;
}

/**
 * The topmost directory of `dir`'s path that does not exist (its parent does), the first
 * a `mkdir -p` of `dir` would make; undefined when `dir` exists.
 */
export function firstMissingDir(dir: string): string | undefined {
  if (existsSync(dir)) return undefined;
  let first = dir;
  while (!existsSync(dirname(first)) && dirname(first) !== first) first = dirname(first);
  return first;
}
