import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * A temporary name beside `target`, as DVC names its own: `.<random urlsafe>.tmp` in the
 * same directory, so the final rename stays on one filesystem and is atomic.
 */
export function tempPathBeside(target: string): string {
  return join(dirname(target), `.${randomBytes(16).toString('base64url')}.tmp`);
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
  await mkdir(dirname(target), { recursive: true });
  const tmp = tempPathBeside(target);
  try {
    await produce(tmp);
    if (opts.mode !== undefined) await chmod(tmp, opts.mode);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
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
