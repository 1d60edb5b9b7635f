import {
  constants,
  createReadStream,
  createWriteStream,
  existsSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { chmod, copyFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isAccessErrno } from '../errors/access.js';
import { isNoSpaceError, OperationError, writtenPath, type CmfError } from '../errors/index.js';
import { tempPathBeside, trackTemp, untrackTemp } from '../fs/atomic.js';
import { mkdirp } from '../fs/mkdirp.js';
import { sweepStaleTemps } from '../fs/stale-temps.js';
import { readSmallFile } from '../fs/small-read.js';
import {
  asBuffer,
  copyError,
  copyInPool,
  smallCopy,
  type CopyError,
} from '../fs/small-copy-pool.js';
import {
  isObjectDir,
  isTempName,
  type GetTarget,
  type PutSource,
  type RemoteDriver,
  type Spill,
  type StoreInto,
  type TransferOptions,
} from './driver.js';
import {
  missingObject,
  permissionDenied,
  objectIsDirectory,
  remoteFailed,
  remoteFull,
  remoteRootMissing,
} from './errors.js';
import { counting } from './streams.js';

/** Objects on a local remote are read-only, as DVC's LocalHashFileDB leaves them (A3). */
const OBJECT_MODE = 0o444;
/** Below this size an object is copied through memory; above it, with copyFile (reflinks). */
const SMALL = 1 << 20;

/**
 * A directory remote. Uploads copy (reflink where the filesystem can) to `.<random>.tmp`
 * beside the object, chmod 0444, then rename, exactly as DVC writes a local remote.
 */
export class LocalDriver implements RemoteDriver {
  readonly kind = 'local' as const;
  readonly defaultJobs = 8;
  readonly canList = true;
  readonly pooledCopies = true;
  readonly location: string;
  private readonly root: string;
  private readonly madeDirs = new Set<string>();
  /** Directories already rid of stale temp files (see sweepStaleTemps) by this driver. */
  private readonly swept = new Set<string>();

  private readonly notes: readonly string[];

  /** `opts.warnings`: what is odd about this remote, reported by {@link warnings}. */
  constructor(root: string, opts: { warnings?: readonly string[] } = {}) {
    this.root = resolve(root);
    this.location = this.root;
    this.notes = opts.warnings ?? [];
  }

  warnings(): string[] {
    return [...this.notes];
  }

  private path(key: string): string {
    return join(this.root, key);
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(this.path(key))).isFile();
    } catch (err) {
      if (isMissing(err)) return false;
      throw this.failure(`stat ${key}`, err, key);
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    let entries;
    try {
      entries = await readdir(this.path(prefix), { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw this.failure(`list ${prefix}`, err);
    }
    // The listing a push makes anyway also finds the temp files a killed push left in an
    // object directory.
    if (isObjectDir(prefix)) {
      this.sweepOnce(
        this.path(prefix),
        entries.map((e) => e.name),
      );
    }
    for (const e of entries) {
      if (isTempName(e.name)) continue;
      if (e.isDirectory()) yield* this.list(`${prefix}${e.name}/`);
      else yield `${prefix}${e.name}`;
    }
  }

  async put(key: string, source: PutSource, opts: TransferOptions = {}): Promise<void> {
    const target = this.path(key);
    const dir = dirname(target);
    if (!this.madeDirs.has(dir)) {
      try {
        await mkdirp(dir);
      } catch (err) {
        throw this.failure(`upload of ${key}`, err, key);
      }
      this.madeDirs.add(dir);
      this.sweepOnce(dir);
    }
    const tmp = tempPathBeside(target);
    try {
      const size = typeof source === 'string' ? (opts.size ?? (await stat(source)).size) : 0;
      // The copy spans awaits: tracked, so an interrupt removes it.
      trackTemp(tmp);
      if (typeof source === 'string' && size < SMALL) {
        // Small files: one read and one write (created 0444) in the small-copy pool: for
        // files this small the thread-pool round trips of async calls cost more than the I/O
        // (peers.md C.2). A file that grew past SMALL since is copied below.
        const copied = await smallCopy({
          src: source,
          tmp,
          dest: target,
          mode: OBJECT_MODE,
          limit: SMALL,
        });
        if ('done' in copied) {
          opts.onBytes?.(copied.size);
          return;
        }
      }
      if (typeof source === 'string') {
        await copyFile(source, tmp, constants.COPYFILE_FICLONE);
        opts.onBytes?.(size);
      } else {
        await pipeline(source.stream, counting(opts), createWriteStream(tmp));
      }
      await chmod(tmp, OBJECT_MODE);
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      if (isMissing(err) && typeof source === 'string' && (err as CopyError).step !== 'write') {
        throw new OperationError('LOCAL_FILE_MISSING', `Cannot read ${source}`, { cause: err });
      }
      throw this.failure(`upload of ${key}`, err, key);
    } finally {
      untrackTemp(tmp);
    }
  }

  async get(key: string, target: GetTarget, opts: TransferOptions = {}): Promise<void> {
    const src = this.path(key);
    try {
      if (typeof target === 'string' && opts.offset) {
        const size = (await stat(src)).size;
        if (opts.offset < size) {
          await pipeline(
            createReadStream(src, { start: opts.offset }),
            counting(opts),
            createWriteStream(target, { flags: 'a' }),
          );
          return;
        }
        // The file holds as much as the object or more: it is copied whole.
        opts.onRestart?.();
        opts = { ...opts, offset: undefined, size };
      }
      if (typeof target === 'string') {
        const size = opts.size ?? (await stat(src)).size;
        if (size < SMALL) {
          writeFileSync(target, readSmallFile(src, SMALL) ?? readFileSync(src));
        } else {
          await copyFile(src, target, constants.COPYFILE_FICLONE);
          // copyFile copies the 0444 mode; the caller decides the mode of its own file.
          await chmod(target, 0o644);
        }
        opts.onBytes?.(size);
      } else {
        await pipeline(createReadStream(src), counting(opts), target);
      }
    } catch (err) {
      throw this.downloadFailure(key, err);
    }
  }

  async store(
    key: string,
    into: StoreInto,
    limit: number,
  ): Promise<Buffer | { corrupt: string } | undefined> {
    const outcome = await copyInPool({ src: this.path(key), ...into, keep: true, limit });
    if ('failed' in outcome) {
      const err = copyError(outcome.failed);
      throw err.step === 'read' ? this.downloadFailure(key, err) : err;
    }
    if ('large' in outcome) return undefined;
    if ('corrupt' in outcome) return { corrupt: outcome.corrupt };
    return asBuffer(outcome.bytes!);
  }

  async read(key: string, limit: number, spill?: Spill): Promise<Buffer | undefined> {
    const small = this.readSmall(key, limit);
    if (Buffer.isBuffer(small)) return small;
    if (spill) await this.get(key, spill.path, { ...spill.opts, size: small });
    return undefined;
  }

  /**
   * One open, read and close, synchronously (small files: see {@link put}); the bytes are
   * copied out of the shared scratch buffer for the caller to keep. A file of `limit` bytes
   * or more is too large: its size is returned.
   */
  private readSmall(key: string, limit: number): Buffer | number {
    const src = this.path(key);
    try {
      const view = readSmallFile(src, limit);
      return view ? Buffer.from(view) : statSync(src).size;
    } catch (err) {
      throw this.downloadFailure(key, err);
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async close(): Promise<void> {}

  /** Removes the stale temp files of `dir` the first time this driver lists or writes it. */
  private sweepOnce(dir: string, names?: string[]): void {
    if (this.swept.has(dir)) return;
    this.swept.add(dir);
    sweepStaleTemps(dir, names);
  }

  /** A missing object, or a missing remote directory (then every object is: one error). */
  private downloadFailure(key: string, err: unknown): CmfError {
    if (!isMissing(err)) return this.failure(`download of ${key}`, err, key);
    if (!existsSync(this.root)) return remoteRootMissing(this.location, this.root, err);
    return missingObject(this.location, key, err);
  }

  /**
   * Permission and space errors stop the whole transfer with one error: every other object
   * would fail the same way (and they are not worth retrying). Anything else is REMOTE_FAILED.
   */
  private failure(what: string, err: unknown, key?: string): CmfError {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (isNoSpaceError(err)) return remoteFull(this.location, what, this.root, err, false);
    if (isAccessErrno(code)) {
      const write = !what.startsWith('download');
      const readOnly = code === 'EROFS';
      // What refused, not the root: after a step run as root in CI, one object directory the
      // user cannot write is the usual cause. A write is refused by the directory it is in
      // (or, for a mkdir, above); a read by the object or a directory on its way.
      const refused = write
        ? writtenPath(err as NodeJS.ErrnoException)
        : (err as NodeJS.ErrnoException).path;
      const access = {
        path: refused === undefined ? this.root : write ? dirname(refused) : refused,
        user: userInfo().username,
        write,
        onServer: false,
        readOnly,
      };
      return permissionDenied(this.location, what, access, err);
    }
    if (code === 'EISDIR' && key !== undefined) {
      return objectIsDirectory(this.location, what, this.path(key), err);
    }
    return remoteFailed(this.location, what, err);
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
