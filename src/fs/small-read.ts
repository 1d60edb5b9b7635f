import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Synchronous whole-file reads of small files into one process-wide scratch buffer. On the
 * CI VM the first touch of a page of memory costs about 11 µs, more than copying the 4 KB in
 * it, so reading thousands of small files into fresh buffers (readFileSync) cost more than
 * the reads themselves. Callers use the bytes before they next yield: one synchronous
 * stretch of code at a time can hold the buffer. The copy worker (small-copy-worker.ts)
 * loads this module directly, so it imports only `node:` modules.
 */
let scratch = Buffer.allocUnsafe(0);

/**
 * The whole file (a path, or a descriptor read from offset 0) as a view of the scratch
 * buffer, valid until the next call; undefined when the file has `limit` bytes or more.
 */
export function readSmallFile(file: string | number, limit: number): Buffer | undefined {
  if (scratch.length < limit) scratch = Buffer.allocUnsafe(Math.max(limit, 64 << 10));
  const fd = typeof file === 'number' ? file : openSync(file, 'r');
  try {
    // One read asking for `limit` bytes: a short read of a regular file is its end, so
    // neither an fstat nor a second read is needed (each syscall counts, thousands of times).
    const n = readSync(fd, scratch, 0, limit, 0);
    return n < limit ? scratch.subarray(0, n) : undefined;
  } finally {
    if (typeof file !== 'number') closeSync(fd);
  }
}
