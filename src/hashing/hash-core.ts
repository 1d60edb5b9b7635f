/**
 * The synchronous hashing kernel shared by the main thread and the hash workers.
 *
 * This module is loaded directly by Node inside `hash-worker` (as `.js` from dist, or as
 * `.ts` through Node's type stripping when running from sources), so it imports only `node:`
 * modules, and our own with `import type` only. (Erasable syntax, which type stripping needs,
 * is the rule everywhere: tsconfig's `erasableSyntaxOnly`.)
 */
import type * as Crypto from 'node:crypto';
import type { Hash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { HashName } from './types.js';

let crypto: typeof Crypto | undefined;
/**
 * node:crypto on first use: a hash worker that only stats files (state hits) never pays
 * its set-up (~10 ms of a worker's ~60 ms boot here).
 */
function lazyCrypto(): typeof Crypto {
  return (crypto ??= process.getBuiltinModule('node:crypto'));
}

/** DVC reads files in 1 MiB chunks; for md5-dos2unix the chunk boundaries change the hash. */
export const CHUNK_SIZE = 1 << 20;

/** How many leading bytes of a chunk DVC's text heuristic looks at (`istextfile.py`). */
export const TEXT_SAMPLE_SIZE = 512;

/** What a directory manifest needs of a file: its hash and the number of bytes hashed. */
export interface HashedContent {
  md5: string;
  size: number;
}

/** A hashed file plus the stat fields the state cache keys on, taken from the open file. */
export interface HashedFile extends HashedContent {
  isexec: boolean;
  ino: bigint;
  mtimeNs: bigint;
}

/**
 * A state entry as sent to a hash worker: `ino` as a JS number (exact below 2^53),
 * `mtimeMs` as Node computes `Stats.mtimeMs`, and the exact `mtime_ns` as decimal text.
 */
export type CachedTuple = [
  ino: number,
  mtimeMs: number,
  size: number,
  md5: string,
  mtimeNs: string,
];

/**
 * What a stat says of a file that has a state entry, as a small number (cheap to send
 * between threads): unchanged and not executable, unchanged and executable, or an inode
 * number too large for a plain stat (compare exactly on the main thread). A changed file
 * has no verdict: it is read.
 */
export const HIT = 1;
export const HIT_EXEC = 2;
export const RECHECK = 3;
export type CacheVerdict = typeof HIT | typeof HIT_EXEC | typeof RECHECK;

/**
 * Whether a plain stat still matches a state entry given as `keys[at..at+2]` = inode,
 * mtimeMs, size. Inode numbers above 2^53 never match (a double cannot hold them exactly).
 */
export function statMatches(
  keys: ArrayLike<number>,
  at: number,
  st: { ino: number; mtimeMs: number; size: number },
): boolean {
  return (
    st.ino <= Number.MAX_SAFE_INTEGER &&
    st.ino === keys[at] &&
    st.mtimeMs === keys[at + 1] &&
    st.size === keys[at + 2]
  );
}

/**
 * Stats a file that has a state entry, given as `keys[at..at+2]` = inode, mtimeMs, size
 * (NaN inode: no entry). A plain stat: over 20,000 files a bigint one costs ~60% more
 * (BigInt allocation, GC). Undefined when the file must be read.
 */
export function checkCached(
  path: string,
  keys: ArrayLike<number>,
  at: number,
): CacheVerdict | undefined {
  if (Number.isNaN(keys[at])) return undefined;
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st?.isFile()) return undefined;
  if (st.ino > Number.MAX_SAFE_INTEGER) return RECHECK;
  if (!statMatches(keys, at, st)) return undefined;
  return (st.mode & 0o111) !== 0 ? HIT_EXEC : HIT;
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
    if (hashName === 'md5') return lazyCrypto().hash('md5', buf.subarray(0, n), 'hex');
  } else if (n > 0 && n < buf.length) {
    // A short read: complete the chunk so its boundary falls where DVC's does.
    const more = readFullSync(fd, buf.subarray(n), n);
    n += more;
  }
  return hashChunksSync(fd, buf, hashName, n).md5;
}

/**
 * Hashes the file chunk by chunk, starting from a first chunk of `n` bytes already in `buf`
 * (read from offset 0) and reading the rest with full 1 MiB reads.
 */
function hashChunksSync(fd: number, buf: Buffer, hashName: HashName, n: number): HashedContent {
  const h = lazyCrypto().createHash('md5');
  let size = 0;
  while (n > 0) {
    updateChunk(h, buf.subarray(0, n), hashName);
    size += n;
    if (n < buf.length) break; // readFullSync only returns short at EOF
    n = readFullSync(fd, buf, size);
  }
  return { md5: h.digest('hex'), size };
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

/**
 * Hashes a file's bytes without a stat: the size is what the reads return (one more read
 * confirms EOF). For hashing without a state cache, where only md5 and size are needed.
 */
export function hashContentSync(path: string, buf: Buffer, hashName: HashName): HashedContent {
  const fd = openSync(path, 'r');
  try {
    const n = readFullSync(fd, buf, 0);
    if (n < buf.length && hashName === 'md5') {
      return { md5: lazyCrypto().hash('md5', buf.subarray(0, n), 'hex'), size: n };
    }
    return hashChunksSync(fd, buf, hashName, n);
  } finally {
    closeSync(fd);
  }
}
