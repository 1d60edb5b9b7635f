/**
 * The synchronous hashing kernel shared by the main thread and the hash workers.
 *
 * This module is loaded directly by Node inside `hash-worker` (as `.js` from dist, or as
 * `.ts` through Node's type stripping when running from sources), so it must stay
 * "erasable" TypeScript: only `node:` imports, only `import type` for our own modules,
 * no enums, namespaces or parameter properties.
 */
import { createHash, hash as oneShotHash, type Hash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { HashName } from './types.js';

/** DVC reads files in 1 MiB chunks; for md5-dos2unix the chunk boundaries change the hash. */
export const CHUNK_SIZE = 1 << 20;

/** How many leading bytes of a chunk DVC's text heuristic looks at (`istextfile.py`). */
export const TEXT_SAMPLE_SIZE = 512;

/** A hashed file plus the stat fields the state cache keys on, taken from the open file. */
export interface HashedFile {
  md5: string;
  size: number;
  isexec: boolean;
  ino: bigint;
  mtimeNs: bigint;
}

// Bytes DVC counts as "text": 0x20..0x7E plus \n \r \t \f \b.
const TEXT_BYTE = new Uint8Array(256);
for (let b = 0x20; b < 0x7f; b++) TEXT_BYTE[b] = 1;
for (const b of [0x0a, 0x0d, 0x09, 0x0c, 0x08]) TEXT_BYTE[b] = 1;

/**
 * DVC's text test (`istextblock`) on the first 512 bytes of `chunk`: empty is text, any NUL
 * is binary, otherwise binary when more than 30% of the bytes are outside the text set.
 */
export function isTextChunk(chunk: Uint8Array): boolean {
  const n = Math.min(chunk.length, TEXT_SAMPLE_SIZE);
  if (n === 0) return true;
  let nontext = 0;
  for (let i = 0; i < n; i++) {
    const b = chunk[i]!;
    if (b === 0) return false;
    if (TEXT_BYTE[b] === 0) nontext++;
  }
  return nontext / n <= 0.3;
}

/** Feeds `chunk` to `h` with every CRLF turned into LF, without building a copy. */
function updateDos2unix(h: Hash, chunk: Uint8Array): void {
  let start = 0;
  let from = 0;
  for (;;) {
    const cr = chunk.indexOf(0x0d, from);
    // A \r as the chunk's last byte stays: DVC never joins a CRLF split across chunks.
    if (cr < 0 || cr === chunk.length - 1) break;
    if (chunk[cr + 1] === 0x0a) {
      h.update(chunk.subarray(start, cr));
      start = cr + 1; // keep the \n, drop the \r
    }
    from = cr + 1;
  }
  h.update(chunk.subarray(start));
}

/** Hashes one chunk the way DVC's stream does for `hashName` (md5: raw; dos2unix: per chunk). */
export function updateChunk(h: Hash, chunk: Uint8Array, hashName: HashName): void {
  if (hashName === 'md5-dos2unix' && isTextChunk(chunk)) updateDos2unix(h, chunk);
  else h.update(chunk);
}

/** Reads until `buf` is full or EOF, so chunk boundaries fall at exact multiples of its size. */
function readFullSync(fd: number, buf: Buffer, position: number): number {
  let filled = 0;
  while (filled < buf.length) {
    const n = readSync(fd, buf, filled, buf.length - filled, position + filled);
    if (n === 0) break;
    filled += n;
  }
  return filled;
}

/**
 * Hashes an open file descriptor with synchronous reads into the reused `buf` (whose length
 * must be CHUNK_SIZE). `sizeHint` (from fstat) lets a small file finish in one read.
 */
export function hashFdSync(fd: number, buf: Buffer, hashName: HashName, sizeHint: number): string {
  let n = readSync(fd, buf, 0, buf.length, 0);
  if (n === sizeHint && n < buf.length) {
    // All of it, as fstat said: skip the read that would only return EOF (one syscall less
    // per small file is ~10% when hashing thousands of them).
    if (hashName === 'md5') return oneShotHash('md5', buf.subarray(0, n), 'hex');
  } else if (n > 0 && n < buf.length) {
    // A short read: complete the chunk so its boundary falls where DVC's does.
    const more = readFullSync(fd, buf.subarray(n), n);
    n += more;
  }
  const h = createHash('md5');
  let position = 0;
  while (n > 0) {
    updateChunk(h, buf.subarray(0, n), hashName);
    position += n;
    if (n < buf.length) break; // readFullSync only returns short at EOF
    n = readFullSync(fd, buf, position);
  }
  return h.digest('hex');
}

/** Opens, fstats and hashes one file synchronously; the stat describes the bytes hashed. */
export function hashFileSync(path: string, buf: Buffer, hashName: HashName): HashedFile {
  const fd = openSync(path, 'r');
  try {
    const st = fstatSync(fd, { bigint: true });
    const size = Number(st.size);
    const md5 = hashFdSync(fd, buf, hashName, size);
    return { md5, size, isexec: (st.mode & 0o111n) !== 0n, ino: st.ino, mtimeNs: st.mtimeNs };
  } finally {
    closeSync(fd);
  }
}
