import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

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

/**
 * A temporary name beside `target`, in the same directory, so the final rename stays on
 * one filesystem and is atomic.
 */
export function tempPathBeside(target: string): string {
  return join(dirname(target), tempName());
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
