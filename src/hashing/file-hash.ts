import { createHash, hash as oneShotHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { CmfError, NotFoundError, OperationError, UsageError } from '../errors/index.js';
import { pathTooLongError } from '../errors/path-length.js';
import { CHUNK_SIZE, isTextChunk, updateChunk, type HashedFile } from './hash-core.js';
import type { FileHash, HashName } from './types.js';

export { CHUNK_SIZE, isTextChunk, type HashedFile };

export interface HashFileOptions {
  /** `md5` (DVC 3, the default) or the legacy `md5-dos2unix` (DVC 2.x outputs). */
  hashName?: HashName;
}

/** MD5 of `data` as 32 lowercase hex characters (strings are hashed as UTF-8). */
export function md5Hex(data: Uint8Array | string): string {
  return oneShotHash('md5', data, 'hex');
}

/** Hashes in-memory bytes exactly as a file with that content would be hashed. */
export function hashBuffer(data: Uint8Array, opts: HashFileOptions = {}): string {
  const hashName = opts.hashName ?? 'md5';
  if (hashName === 'md5') return md5Hex(data);
  const h = createHash('md5');
  for (let off = 0; off < data.length; off += CHUNK_SIZE) {
    updateChunk(h, data.subarray(off, off + CHUNK_SIZE), hashName);
  }
  return h.digest('hex');
}

/** Turns a Node fs error about `path` into the cmf error a user can act on. */
export function fsErrorToCmf(err: unknown, path: string): CmfError {
  if (err instanceof CmfError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const data = { path, ...(code ? { errno: code } : {}) };
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new NotFoundError('FILE_NOT_FOUND', `No such file: ${path}`, { data, cause: err });
  }
  if (code === 'ENAMETOOLONG') return pathTooLongError(path, err);
  if (code === 'EISDIR') {
    return new UsageError('IS_A_DIRECTORY', `Expected a file but found a directory: ${path}`, {
      data,
      cause: err,
    });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new OperationError('PERMISSION_DENIED', `Cannot read ${path}: permission denied`, {
      data,
      cause: err,
      hint: `Check that you may read ${path} (\`ls -ld ${path}\` shows its owner and mode), then run the command again.`,
    });
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new OperationError('READ_FAILED', `Cannot read ${path}: ${msg}`, { data, cause: err });
}

/**
 * `err` as {@link fsErrorToCmf}'s `PERMISSION_DENIED` ("Cannot read") when it refused a read
 * of `path`, or its PATH_TOO_LONG, else unchanged: said before a caller's mapping of refused
 * writes could take a refused open for reading as one.
 */
export function orReadDenied(err: unknown, path: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EACCES' || code === 'EPERM' || code === 'ENAMETOOLONG'
    ? fsErrorToCmf(err, path)
    : err;
}

async function readFull(fh: FileHandle, buf: Buffer, position: number): Promise<number> {
  let filled = 0;
  while (filled < buf.length) {
    const { bytesRead } = await fh.read(buf, filled, buf.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

/**
 * Hashes a file without blocking the event loop, also returning the stat fields of the
 * opened file. Two 1 MiB buffers alternate so the next read runs in the thread pool while
 * the current chunk is hashed: throughput is that of MD5 alone, not MD5 plus I/O.
 */
export async function hashFileDetailed(
  path: string,
  opts: HashFileOptions = {},
): Promise<HashedFile> {
  const hashName = opts.hashName ?? 'md5';
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    const st = await fh.stat({ bigint: true });
    const size = Number(st.size);
    const meta = { size, isexec: (st.mode & 0o111n) !== 0n, ino: st.ino, mtimeNs: st.mtimeNs };
    const first = Buffer.allocUnsafe(Math.min(CHUNK_SIZE, Math.max(size + 1, 4096)));
    let n = await readFull(fh, first, 0);
    if (n < first.length && hashName === 'md5') {
      return { md5: md5Hex(first.subarray(0, n)), ...meta };
    }
    const h = createHash('md5');
    if (n < first.length) {
      updateChunk(h, first.subarray(0, n), hashName);
      return { md5: h.digest('hex'), ...meta };
    }
    // The file is larger than it claimed or at least one full chunk: stream it.
    const bufs = [first.length === CHUNK_SIZE ? first : Buffer.allocUnsafe(CHUNK_SIZE)];
    bufs.push(Buffer.allocUnsafe(CHUNK_SIZE));
    let position = 0;
    let cur = 0;
    let pending: Promise<number> | null;
    if (first.length === CHUNK_SIZE) {
      pending = Promise.resolve(n);
    } else {
      // Size grew past the hint: re-read from the start with full-size chunks.
      pending = readFull(fh, bufs[0]!, 0);
    }
    while (pending) {
      n = await pending;
      if (n === 0) break;
      const buf = bufs[cur]!;
      position += n;
      cur ^= 1;
      pending = n === CHUNK_SIZE ? readFull(fh, bufs[cur]!, position) : null;
      updateChunk(h, buf.subarray(0, n), hashName);
    }
    return { md5: h.digest('hex'), ...meta };
  } catch (err) {
    throw fsErrorToCmf(err, path);
  } finally {
    await fh?.close();
  }
}

/**
 * MD5 of a file's raw bytes (DVC 3 `hash: md5`), or DVC 2.x's md5-dos2unix with DVC 3.51's
 * per-1 MiB-chunk text rule. Reads 1 MiB at a time into reused buffers.
 */
export async function hashFile(path: string, opts: HashFileOptions = {}): Promise<FileHash> {
  const { md5, size, isexec } = await hashFileDetailed(path, opts);
  return { md5, size, isexec };
}
