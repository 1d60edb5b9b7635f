import {
  accessSync,
  chmodSync,
  constants as fsConstants,
  createReadStream,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { chmod, rename, rm } from 'node:fs/promises';
import { createHash, type Hash } from 'node:crypto';
import { dirname } from 'node:path';
import {
  CmfError,
  IntegrityError,
  OperationError,
  errorInChain,
  isNoSpaceError,
  noSpaceError,
  toCmfError,
} from '../errors/index.js';
import { isAccessErrno, refusal, writeAccessAdvice } from '../errors/access.js';
import { dfCommand } from '../errors/no-room.js';
import { probeCreate } from '../fs/probe-write.js';
import { tempPathBeside, trackTemp, untrackTemp } from '../fs/atomic.js';
import { CACHE_OBJECT_MODE, isDirOid, type LocalCache } from '../hashing/cache.js';
import { hashBuffer, hashFile } from '../hashing/file-hash.js';
import { assertSafeRelpath, parseManifest } from '../hashing/manifest.js';
import { stateEntry, type HashState, type StateEntry } from '../hashing/state.js';
import type { HashName, ManifestEntry } from '../hashing/types.js';
import { findBadObjects, type ObjectToVerify } from '../hashing/verify-objects.js';
import {
  objectKey,
  type LayoutOptions,
  type RemoteDriver,
  type TransferOptions,
} from './driver.js';
import { isFatalRemoteError, tooManyOpenFiles } from './errors.js';
import { isOutOfFiles, jobsWithinOpenFileLimit } from '../util/open-files.js';
import { withRetry } from './retry.js';
import { mapLimit } from '../util/map-limit.js';
import { remotePresent } from './status.js';
import { transferBegun } from './latest-transfer.js';
import { Partials } from './partials.js';

/**
 * The transfer engine: moves cache objects between the local cache and a remote. It knows
 * objects, not artifacts: callers (cmf artifact push/pull) turn artifacts into oids.
 */

export interface TransferProgress {
  /** Objects transferred (or failed) so far, of `filesTotal` to transfer. */
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  /** Known for pushes (cache sizes); undefined for pulls until the objects arrive. */
  bytesTotal?: number;
}

export interface TransferEngineOptions {
  /** Parallel transfers; default: the driver's `defaultJobs`. */
  jobs?: number;
  onProgress?: (p: TransferProgress) => void;
  /**
   * Oids of legacy (DVC 2.x, md5-dos2unix) outputs, moved as well as `oids`: they, and the
   * files a legacy `.dir` lists, live in the legacy layouts (`<cache>/ab/…`, remote `ab/…`;
   * spec/formats.md A3, A4.1) and are checked with md5-dos2unix. DVC 3 oids cost nothing
   * more for them: each layout has its own existence checks, made only when it has objects.
   */
  legacy?: readonly string[];
}

export interface PushEngineOptions extends TransferEngineOptions {
  /**
   * The hash state, through which objects about to be uploaded are verified: one whose
   * (inode, mtime, size) matches its entry is not read again. Without it each is re-read.
   */
  state?: HashState;
}

export interface PullEngineOptions extends TransferEngineOptions {
  /**
   * Keep the verified bytes of small downloaded objects in memory, up to this many bytes in
   * all, and return them in {@link PullResult.fetched}: a checkout that follows then writes
   * the workspace copies from memory instead of reading every object back from the cache.
   */
  keepBytes?: number;
  /**
   * Fetch the given objects even when the cache has them (they were found corrupt there):
   * each verified download replaces the cache file atomically. Files listed by a fetched
   * manifest are still fetched only when missing.
   */
  replace?: boolean;
}

export interface PullResult extends TransferResult {
  /**
   * Verified contents of small DVC 3 objects this pull stored in the cache (see keepBytes).
   * Legacy objects are not kept: the content of a legacy id may differ from that of the
   * same DVC 3 id (CRLF text).
   */
  fetched: Map<string, Buffer>;
  /** Every DVC 3 object this pull stored in the cache, each verified against its id. */
  stored: Set<string>;
  /** The same for legacy objects (stored in the legacy cache layout). */
  storedLegacy: Set<string>;
  /**
   * Hash state entries for the large objects among them (1 MiB and up): recorded, they
   * spare later checkouts and pushes reading those objects again to check them.
   */
  stateEntries: StateEntry[];
  /** Not failures, for the user: objects a secondary copy (OSDF cache) served corrupt. */
  warnings: string[];
}

export interface TransferFailure {
  oid: string;
  error: CmfError;
}

export interface TransferResult {
  /** Objects moved by this call. */
  transferred: number;
  /** Objects that were already at the destination. */
  present: number;
  bytes: number;
  /**
   * Bytes an earlier, interrupted transfer had already moved, checked and kept rather than
   * moved again (a resumed upload; for pulls, a partial download, see partials.ts). Not in
   * `bytes`, which counts what this transfer moved.
   */
  resumed: number;
  failed: TransferFailure[];
}

/** What a transfer stopped by an error had done: see {@link partialResult}. */
const partialResults = new WeakMap<CmfError, TransferResult>();

/**
 * For an error that stopped a transfer (an unreachable or full remote…): the counts and
 * failures up to then, so the caller can report them with the error.
 */
export function partialResult(err: unknown): TransferResult | undefined {
  return err instanceof CmfError ? partialResults.get(err) : undefined;
}

/** Objects below this size are verified with a synchronous read. */
const SYNC_HASH_LIMIT = 1 << 20;

/** Makes `t` the transfer a stop signal reports (see latestTransferCounts). */
function begun(t: Tracker): Tracker {
  transferBegun(() => {
    const r = t.result();
    return {
      transferred: r.transferred,
      present: r.present,
      bytes: r.bytes,
      resumed: r.resumed,
      failed: r.failed.length,
    };
  });
  return t;
}

class Tracker {
  readonly failed: TransferFailure[] = [];
  transferred = 0;
  present = 0;
  resumed = 0;
  private progress: TransferProgress = { filesDone: 0, filesTotal: 0, bytesDone: 0 };
  private readonly onProgress?: (p: TransferProgress) => void;
  constructor(onProgress?: (p: TransferProgress) => void) {
    this.onProgress = onProgress;
  }

  plan(files: number, bytes?: number): void {
    this.progress.filesTotal += files;
    if (bytes !== undefined) this.progress.bytesTotal = (this.progress.bytesTotal ?? 0) + bytes;
    this.emit();
  }
  bytes = (n: number): void => {
    this.progress.bytesDone += n;
    this.emit();
  };
  /** A planned object has been transferred, or has failed (then its bytes were taken back). */
  done(ok: boolean, oid: string, err?: unknown): void {
    this.progress.filesDone++;
    if (ok) this.transferred++;
    else this.failed.push({ oid, error: toCmfError(err) });
    this.emit();
  }
  /** An object that failed before it was planned (missing, corrupt): counted in both totals. */
  fail(oid: string, err: unknown): void {
    this.progress.filesTotal++;
    this.done(false, oid, err);
  }
  private emit(): void {
    this.onProgress?.({ ...this.progress });
  }
  /** `err`, which stopped the transfer, remembered with what was done until then. */
  stoppedBy(err: unknown): unknown {
    if (err instanceof CmfError) partialResults.set(err, this.result());
    return err;
  }
  result(): TransferResult {
    return {
      transferred: this.transferred,
      present: this.present,
      // Progress counts resumed bytes (they are part of the planned total); the result not.
      bytes: this.progress.bytesDone - this.resumed,
      resumed: this.resumed,
      failed: this.failed,
    };
  }
}

/** How many transfers to have under way: more than `jobs` when the copies are pooled. */
function queued(driver: RemoteDriver, jobs: number): number {
  return driver.pooledCopies ? jobs * 4 : jobs;
}

/**
 * Runs `fn` per item in parallel; an item's error is recorded against its oid, except errors
 * that doom every other request (bad credentials, server down), which stop the transfer and
 * are thrown.
 */
async function each<T>(
  items: readonly T[],
  jobs: number,
  oidOf: (item: T) => string,
  fn: (item: T, onBytes: (n: number) => void, onResumed: (n: number) => void) => Promise<void>,
  tracker: Tracker,
): Promise<void> {
  // The bytes of an attempt that fails are taken back: progress shows the bytes of transfers
  // under way or done, and the result counts only those that completed, each once.
  const attempt = async (item: T): Promise<void> => {
    let moved = 0;
    let resumed = 0;
    try {
      await fn(
        item,
        (n) => {
          moved += n;
          tracker.bytes(n);
        },
        (n) => {
          resumed += n;
          tracker.resumed += n;
        },
      );
    } catch (err) {
      if (moved > 0) tracker.bytes(-moved);
      tracker.resumed -= resumed;
      throw isOutOfFiles(err) ? tooManyOpenFiles(jobs, err) : err;
    }
  };
  await mapLimit(items, jobs, async (item) => {
    try {
      await withRetry(() => attempt(item));
      tracker.done(true, oidOf(item));
    } catch (err) {
      if (isFatalRemoteError(err)) throw err;
      tracker.done(false, oidOf(item), err);
    }
  });
}

function splitOids(oids: readonly string[]): { dirs: string[]; files: string[] } {
  const unique = [...new Set(oids)];
  return { dirs: unique.filter(isDirOid), files: unique.filter((o) => !isDirOid(o)) };
}

/** The hash an object's name is checked with in a layout (what DVC checks there). */
function hashNameOf(layout: LayoutOptions): HashName {
  return layout.legacy ? 'md5-dos2unix' : 'md5';
}

/** The engine's work per layout: DVC 3 objects, then (if any) the legacy ones. */
function layouts(
  oids: readonly string[],
  legacy: readonly string[] | undefined,
): Array<[readonly string[], LayoutOptions]> {
  const all: Array<[readonly string[], LayoutOptions]> = [[oids, {}]];
  if (legacy && legacy.length > 0) all.push([legacy, { legacy: true }]);
  return all;
}

/**
 * Uploads the objects the remote lacks. `.dir` oids stand for the manifest and every file
 * it lists. A `.dir` already on the remote is proof that its files are there (DVC's rule);
 * a `.dir` is uploaded last, and only once all of its files are on the remote. Every object
 * about to be uploaded is first checked against its id (through the hash state, so an
 * unchanged object costs a stat): a corrupt one is a failure and is not uploaded, since the
 * remote would keep it under its content address and no later push would replace it.
 * Objects the remote already has are not read at all.
 */
export async function pushObjects(
  cache: LocalCache,
  driver: RemoteDriver,
  oids: readonly string[],
  opts: PushEngineOptions = {},
): Promise<TransferResult> {
  const t = begun(new Tracker(opts.onProgress));
  try {
    for (const [some, layout] of layouts(oids, opts.legacy))
      await pushLayout(cache, driver, some, layout, t, opts);
  } catch (err) {
    throw t.stoppedBy(err);
  }
  return t.result();
}

/**
 * {@link pushObjects} for the objects of one layout. A legacy object is checked with
 * md5-dos2unix wherever the cache holds it, since that is how DVC checks the legacy layout it
 * goes to.
 */
async function pushLayout(
  cache: LocalCache,
  driver: RemoteDriver,
  oids: readonly string[],
  layout: LayoutOptions,
  t: Tracker,
  opts: PushEngineOptions,
): Promise<void> {
  const jobs = jobsWithinOpenFileLimit(opts.jobs ?? driver.defaultJobs);
  const { dirs, files } = splitOids(oids);
  const hashName = hashNameOf(layout);
  const verify = (objects: ObjectToVerify[]): Promise<Map<string, CmfError>> =>
    findBadObjects(objects, { state: opts.state, jobs });

  const dirsOnRemote = await remotePresent(driver, dirs, jobs, layout);
  const localDirs: ObjectToVerify[] = [];
  for (const dir of dirs) {
    if (dirsOnRemote.has(dir)) continue;
    const loc = cache.locateSync(dir, layout);
    if (loc === undefined) t.fail(dir, missingLocally(cache, dir, layout));
    else localDirs.push({ oid: dir, path: loc.path, size: loc.size, stat: loc.stat, hashName });
  }
  // Where each manifest was found (a legacy one may be under files/md5): it goes up from there.
  const dirPaths = new Map(localDirs.map((d) => [d.oid, d.path]));
  // A manifest is checked before its list is trusted: it decides which files go up.
  const badDirs = await verify(localDirs);
  const manifests = new Map<string, ManifestEntry[]>();
  for (const { oid: dir } of localDirs) {
    try {
      const bad = badDirs.get(dir);
      if (bad) throw bad;
      manifests.set(dir, await cache.readManifest(dir, layout));
    } catch (err) {
      t.fail(dir, err);
    }
  }
  const needed = new Set(files);
  for (const entries of manifests.values()) for (const e of entries) needed.add(e.md5);
  const covered = new Set<string>();
  for (const dir of dirsOnRemote) {
    t.present++;
    // The remote's copy is the proof; read our copy only to count what it covers.
    const entries = await cache.readManifest(dir, layout).catch(() => []);
    for (const e of entries) if (!needed.has(e.md5)) covered.add(e.md5);
  }
  t.present += covered.size;

  const onRemote = await remotePresent(driver, [...needed], jobs, layout);
  t.present += onRemote.size;
  const found: Array<ObjectToVerify & { size: number }> = [];
  const bad = new Set<string>();
  const absent = [...needed].filter((oid) => !onRemote.has(oid));
  for (const oid of absent) {
    const loc = cache.locateSync(oid, layout);
    if (loc === undefined) {
      bad.add(oid);
      t.fail(oid, missingLocally(cache, oid, layout));
    } else found.push({ oid, path: loc.path, size: loc.size, stat: loc.stat, hashName });
  }
  const corrupt = await verify(found);
  for (const [oid, err] of corrupt) {
    bad.add(oid);
    t.fail(oid, err);
  }
  const toSend = found.filter((o) => !corrupt.has(o.oid));
  // Big files first: they overlap with the many small ones instead of trailing alone.
  toSend.sort((a, b) => b.size - a.size);
  const manifestBytes = localDirs.reduce(
    (s, d) => s + (manifests.has(d.oid) ? (d.size ?? 0) : 0),
    0,
  );
  t.plan(
    toSend.length + manifests.size,
    toSend.reduce((s, o) => s + o.size, manifestBytes),
  );
  const upload = async (
    o: { oid: string; path: string; size?: number },
    onBytes: (n: number) => void,
    onResumed: (n: number) => void,
  ): Promise<void> => {
    await driver.put(objectKey(o.oid, layout), o.path, { onBytes, onResumed, size: o.size });
  };
  const failedBefore = t.failed.length;
  await each(toSend, queued(driver, jobs), (o) => o.oid, upload, t);
  // Failed for good: an attempt that failed and was then made again successfully is not.
  for (const f of t.failed.slice(failedBefore)) bad.add(f.oid);

  const readyDirs: Array<{ oid: string; path: string; size?: number }> = [];
  for (const [dir, entries] of manifests) {
    const missing = entries.filter((e) => bad.has(e.md5)).length;
    if (missing > 0) {
      t.done(
        false,
        dir,
        new OperationError(
          'DIR_INCOMPLETE',
          `Directory ${dir} was not pushed: ${missing} of its ${entries.length} files failed`,
          {
            hint: 'Fix the failures listed above and push again; the manifest goes up last.',
            data: { oid: dir, missing },
          },
        ),
      );
    } else readyDirs.push({ oid: dir, path: dirPaths.get(dir)! });
  }
  await each(readyDirs, jobs, (o) => o.oid, upload, t);
}

function missingLocally(cache: LocalCache, oid: string, layout: LayoutOptions): CmfError {
  return new OperationError('CACHE_OBJECT_MISSING', `Object ${oid} is not in the local cache`, {
    hint: 'Add or pull the file again so its object is in the cache, then push.',
    data: { oid, path: cache.objectPath(oid, layout) },
  });
}

/**
 * Downloads the objects the local cache lacks. Manifests come first (strict JSON, every
 * relpath checked); each object lands in a temp file (beside its cache path, or a partial
 * download in the cache's `.cmf-partial/`) and is renamed into place only once its MD5
 * matches, so nothing corrupt ever enters the cache. An interrupted pull resumes where it
 * stopped: objects in the cache are not fetched again, and a download cut after PARTIAL_MIN
 * bytes goes on from there (see partials.ts).
 */
export async function pullObjects(
  cache: LocalCache,
  driver: RemoteDriver,
  oids: readonly string[],
  opts: PullEngineOptions = {},
): Promise<PullResult> {
  const t = begun(new Tracker(opts.onProgress));
  const fetched = new Map<string, Buffer>();
  const refetched = new Map<string, string[]>();
  let kept = 0;
  const stateEntries: StateEntry[] = [];
  const sink: FetchSink = {
    madeDirs: new Set<string>(),
    partials: new Partials(cache),
    onBytes: t.bytes,
    onResumed: (n) => (t.resumed += n),
    keep: (oid, bytes) => {
      if (isDirOid(oid) || kept + bytes.length > (opts.keepBytes ?? 0)) return;
      fetched.set(oid, bytes);
      kept += bytes.length;
    },
    record: (e) => stateEntries.push(e),
    refetched: (oid, from) => {
      const oids = refetched.get(from);
      if (oids) oids.push(oid);
      else refetched.set(from, [oid]);
    },
  };
  const stored = new Set<string>();
  const storedLegacy = new Set<string>();
  for (const [some, layout] of layouts(oids, opts.legacy)) {
    // Legacy bytes are not kept: `fetched` answers for DVC 3 ids (see PullResult.fetched).
    const layoutSink = layout.legacy ? { ...sink, keep: () => undefined } : sink;
    const into = layout.legacy ? storedLegacy : stored;
    try {
      await pullLayout(cache, driver, some, layout, t, layoutSink, into, opts);
    } catch (err) {
      throw t.stoppedBy(err);
    }
  }
  const warnings = [...refetched].map(
    ([from, bad]) =>
      `The ${from} served ${bad.length} corrupt object(s) (content not matching the id); ` +
      `they were fetched again from ${driver.location}: ${bad.join(', ')}`,
  );
  return { ...t.result(), fetched, stored, storedLegacy, stateEntries, warnings };
}

/** {@link pullObjects} for the objects of one layout; adds what it stores to `stored`. */
async function pullLayout(
  cache: LocalCache,
  driver: RemoteDriver,
  oids: readonly string[],
  layout: LayoutOptions,
  t: Tracker,
  sink: FetchSink,
  stored: Set<string>,
  opts: PullEngineOptions,
): Promise<void> {
  const jobs = jobsWithinOpenFileLimit(opts.jobs ?? driver.defaultJobs);
  const { dirs, files } = splitOids(oids);
  const fetch = async (
    oid: string,
    onBytes: (n: number) => void,
    onResumed: (n: number) => void,
  ): Promise<ManifestEntry[]> => {
    const entries = await fetchObject(cache, driver, oid, layout, { ...sink, onBytes, onResumed });
    stored.add(oid);
    return entries;
  };

  const needed = new Set(files);
  const dirsToFetch: string[] = [];
  for (const dir of dirs) {
    if (!opts.replace && (await cache.has(dir, layout))) {
      t.present++;
      try {
        const entries = await cache.readManifest(dir, layout);
        entries.forEach((e) => assertSafeRelpath(e.relpath));
        for (const e of entries) needed.add(e.md5);
      } catch (err) {
        // A manifest the cache holds but cannot parse is corrupt: fetch it again, verified.
        if (err instanceof CmfError && err.code === 'CACHE_OBJECT_CORRUPT') {
          t.present--;
          dirsToFetch.push(dir);
        } else t.fail(dir, err);
      }
    } else dirsToFetch.push(dir);
  }
  t.plan(dirsToFetch.length);
  await each(
    dirsToFetch,
    jobs,
    (d) => d,
    async (dir, onBytes, onResumed) => {
      for (const e of await fetch(dir, onBytes, onResumed)) needed.add(e.md5);
    },
    t,
  );

  const replace = new Set(opts.replace ? files : []);
  const candidates = [...needed].filter((oid) => !replace.has(oid));
  const inCache = await cache.presentAmong(candidates, layout);
  t.present += inCache.size;
  const missing = [...needed].filter((oid) => !inCache.has(oid));
  t.plan(missing.length);
  await each(
    missing,
    queued(driver, jobs),
    (o) => o,
    async (oid, onBytes, onResumed) => {
      await fetch(oid, onBytes, onResumed);
    },
    t,
  );
}

/**
 * MD5 of the chunks a driver streamed through {@link TransferOptions.onChunk}. It stands for
 * the downloaded file only if the chunks add up to the file's size: a driver that copied the
 * file without streaming it never called update.
 */
class StreamDigest {
  // Made on the first chunk: most objects come back whole from read() and never stream.
  private hash: Hash | undefined;
  private bytes = 0;
  readonly update = (chunk: Buffer): void => {
    (this.hash ??= createHash('md5')).update(chunk);
    this.bytes += chunk.length;
  };
  /** Starts with the first `bytes` bytes of `path` (a partial download being resumed). */
  async seed(path: string, bytes: number): Promise<void> {
    for await (const chunk of createReadStream(path, { end: bytes - 1 }))
      this.update(chunk as Buffer);
  }
  /** Forgets every chunk: the download starts over from byte 0. */
  readonly reset = (): void => {
    this.hash = undefined;
    this.bytes = 0;
  };
  digestOf(size: number): string | undefined {
    return this.hash && this.bytes === size ? this.hash.digest('hex') : undefined;
  }
}

/**
 * A remote object whose content does not match its id. Push decides "already there" from
 * existence alone, so the hint says to delete the remote copy before pushing a good one.
 */
function corruptObject(location: string, key: string, oid: string, md5: string): IntegrityError {
  return new IntegrityError(
    'REMOTE_OBJECT_CORRUPT',
    `Object ${oid} on ${location} (${key}) is corrupt: its content hashes to ${md5}`,
    {
      hint:
        `It was not stored. Delete ${key} on ${location}, then push again from a ` +
        'project whose cache has a good copy (push skips objects the remote already has).',
      data: { oid, key, location, actual: md5 },
    },
  );
}

/** A manifest's entries, each relpath checked to stay inside the directory. */
function safeEntries(bytes: Buffer): ManifestEntry[] {
  const entries = parseManifest(bytes);
  entries.forEach((e) => assertSafeRelpath(e.relpath));
  return entries;
}

/** Where {@link fetchObject} reports to, shared by the downloads of one pull. */
interface FetchSink {
  /** Cache directories this pull has made (and swept of stale temp files). */
  madeDirs: Set<string>;
  /** Where downloads into files go, kept when cut (byte-level resume). */
  partials: Partials;
  onBytes: (n: number) => void;
  /**
   * Told how many bytes of each stored object came from a partial download (they are also
   * given to onBytes then, as progress towards the planned total).
   */
  onResumed: (n: number) => void;
  /** Offered the verified bytes of each object that came into memory. */
  keep: (oid: string, bytes: Buffer) => void;
  /** Takes the hash state entry of each large object stored. */
  record: (e: StateEntry) => void;
  /** Told of each object a secondary copy (`from`) served corrupt, fetched again. */
  refetched: (oid: string, from: string) => void;
}

/** The object being fetched: its id, remote key, cache path and the hash its name is. */
interface Wanted {
  oid: string;
  key: string;
  dest: string;
  hashName: HashName;
}

/**
 * Downloads one object into the cache, verified; returns a manifest's entries. Small objects
 * come into memory when the driver can read them (`driver.read`): they are hashed there and
 * written once, created read-only, then renamed into place; other objects are downloaded into
 * a temp file that is hashed before the rename. Either way only verified content ever gets
 * the object's name. A legacy object comes from the remote's legacy layout, is checked with
 * md5-dos2unix and goes to the cache's legacy layout.
 */
async function fetchObject(
  cache: LocalCache,
  driver: RemoteDriver,
  oid: string,
  layout: LayoutOptions,
  sink: FetchSink,
): Promise<ManifestEntry[]> {
  const dest = cache.objectPath(oid, layout);
  const dir = dirname(dest);
  if (!sink.madeDirs.has(dir)) {
    try {
      await cache.makeDirFor(dest);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      // A mkdir refused for want of permission on the directory above the one it makes.
      const refused = e.path === undefined ? undefined : dirname(e.path);
      throw cacheWriteError(cache, err, () => ({ code: e.code, dir: refused }));
    }
    sink.madeDirs.add(dir);
  }
  const wanted = { oid, key: objectKey(oid, layout), dest, hashName: hashNameOf(layout) };
  // Tracked while a download fills it across awaits, so an interrupt removes it.
  const tmp = trackTemp(tempPathBeside(dest));
  try {
    return await fetchInto(tmp, wanted, driver, sink);
  } catch (err) {
    // The driver may blame the remote for a temp file it could not write: find out.
    throw cacheWriteError(cache, err, () => ({ code: probeCreate(dir), dir }));
  } finally {
    untrackTemp(tmp);
  }
}

/**
 * `err` as the error that stops a pull when the cache cannot take objects (full, read-only,
 * no permission; `refusal` tells the latter two, and the directory that refused, asked only
 * when the disk is not full), else `err` unchanged.
 */
function cacheWriteError(
  cache: LocalCache,
  err: unknown,
  refusal: () => { code: string | undefined; dir: string | undefined },
): unknown {
  // A download takes no room on the remote: a no-space error anywhere in the chain (a driver
  // may have wrapped the failed write as its own) is the cache's.
  const noSpace = errorInChain(err, isNoSpaceError);
  if (noSpace) return cacheFull(cache, noSpace);
  const { code, dir } = refusal();
  return cacheNotWritable(cache, code, dir ?? cache.root, err) ?? err;
}

/**
 * The error that stops a pull when the local cache cannot be written (a read-only mount, no
 * permission): every object would fail the same way. `dir` is the directory that refused: a
 * step run as root in CI can leave one object directory the user cannot write. Undefined for
 * any other errno.
 */
function cacheNotWritable(
  cache: LocalCache,
  code: string | undefined,
  dir: string,
  cause: unknown,
): OperationError | undefined {
  if (!isAccessErrno(code)) return undefined;
  const on = dir === cache.root ? '' : ` on ${dir}`;
  return new OperationError(
    'CACHE_NOT_WRITABLE',
    `Cannot store downloaded objects in the cache ${cache.root}: ${refusal(code)} (${code})${on}`,
    {
      hint: `${writeAccessAdvice(dir, code)}; or point cache.dir in .dvc/config at a writable directory, then pull again.`,
      data: { path: cache.root, dir, errno: code },
      cause,
    },
  );
}

/** The error that stops a pull when the cache's file system is full: no object fits. */
function cacheFull(cache: LocalCache, cause: unknown): OperationError {
  return noSpaceError(
    cache.root,
    cause,
    `Free space on the file system holding the cache (\`${dfCommand(cache.root)}\`), or point ` +
      'cache.dir in .dvc/config at a directory with room, then pull again: objects already ' +
      'pulled are not pulled again.',
  );
}

/**
 * The body of fetchObject: downloads the object, verifies it, renames it to `dest`. Small
 * objects that come into memory are written to `tmp`; downloads into a file go to a claim of
 * the object's partial download (partials.ts), which resumes what an earlier attempt left and
 * is kept for the next one when this one is cut. Bytes found corrupt are fetched again, once
 * each way: whole, when part of them came from a partial (it may be the bad part: a bad
 * partial must not make a good remote look corrupt); from the remote itself, when a
 * secondary copy (an OSDF cache) served them (a bad cache copy must not fail every pull
 * while the remote's copy is good).
 */
async function fetchInto(
  tmp: string,
  wanted: Wanted,
  driver: RemoteDriver,
  sink: FetchSink,
): Promise<ManifestEntry[]> {
  const { partials } = sink;
  const base = `${wanted.oid}${wanted.hashName === 'md5' ? '' : '.legacy'}`;
  const claim = partials.claim(base, tmp);
  // A stop keeps it (or removes it, if short) as a failure would.
  trackTemp(claim.path, () => partials.release(claim));
  let held = claim.held;
  let source: Pick<TransferOptions, 'primaryOnly'> = {};
  let stored = false;
  try {
    for (;;) {
      let secondary: string | undefined;
      let moved = 0;
      const onBytes = (n: number): void => {
        moved += n;
        sink.onBytes(n);
      };
      const resumed = { bytes: held };
      const from = { ...source, onSecondary: (where: string) => (secondary = where) };
      try {
        const entries = await fetchVerified(
          { tmp, file: claim.path, resumed },
          wanted,
          driver,
          { ...sink, onBytes },
          from,
        );
        stored = true;
        if (resumed.bytes > 0) {
          sink.onBytes(resumed.bytes);
          sink.onResumed(resumed.bytes);
        }
        partials.landed(claim.base);
        return entries;
      } catch (err) {
        const bad = err instanceof IntegrityError && err.code === 'REMOTE_OBJECT_CORRUPT';
        if (!bad) throw err;
        sink.onBytes(-moved); // the bytes that count are those of the good copy
        if (resumed.bytes > 0) held = 0;
        else if (secondary !== undefined && !source.primaryOnly) {
          sink.refetched(wanted.oid, secondary);
          source = { primaryOnly: true };
        } else throw err;
      }
    }
  } finally {
    untrackTemp(claim.path);
    // Stored, the claim's file is in the cache (or was never made: the object came whole).
    if (!stored) partials.release(claim);
  }
}

/** Where {@link fetchVerified} writes; `resumed.bytes` is updated if the download restarts. */
interface FetchFiles {
  /** For an object that comes into memory: written whole, renamed into place. */
  tmp: string;
  /** For a download into a file, holding `resumed.bytes` bytes already. */
  file: string;
  resumed: { bytes: number };
}

/** One download of {@link fetchInto}; a corrupt object names whoever served it. */
async function fetchVerified(
  { tmp, file, resumed }: FetchFiles,
  { oid, key, dest, hashName }: Wanted,
  driver: RemoteDriver,
  { onBytes, keep, record }: FetchSink,
  source: Pick<TransferOptions, 'onSecondary' | 'primaryOnly'>,
): Promise<ManifestEntry[]> {
  let servedBy = driver.location;
  const onSecondary = (where: string): void => {
    servedBy = where;
    source.onSecondary?.(where);
  };
  const corrupt = (md5: string) => corruptObject(servedBy, key, oid, md5);
  // A download that streams through here is hashed as it arrives: no second pass over the file.
  // (Not for md5-dos2unix, whose result depends on DVC's 1 MiB chunk boundaries.)
  const streamed = new StreamDigest();
  if (resumed.bytes > 0) {
    try {
      // The bytes kept are hashed now: the rest is hashed as it arrives.
      accessSync(file, fsConstants.R_OK | fsConstants.W_OK);
      if (hashName === 'md5') await streamed.seed(file, resumed.bytes);
    } catch {
      // Unreadable or not ours to append to: discarded, the object is fetched whole.
      rmSync(file, { force: true });
      streamed.reset();
      resumed.bytes = 0;
    }
  }
  const opts: TransferOptions = {
    onBytes,
    onSecondary,
    primaryOnly: source.primaryOnly,
    ...(hashName === 'md5' ? { onChunk: streamed.update } : {}),
  };
  if (resumed.bytes > 0) {
    opts.offset = resumed.bytes;
    opts.onRestart = () => {
      streamed.reset();
      resumed.bytes = 0;
    };
  }
  // A small file object from a remote on this machine is read, checked and stored in one
  // step (off the main thread when that pays); a manifest is checked before it is stored.
  // Too large for that, it is downloaded into file (the driver has read it once already).
  // Resuming, the object is known to be large: only the rest is asked for.
  let large = resumed.bytes > 0;
  if (!large && driver.store && hashName === 'md5' && !isDirOid(oid)) {
    const into = { tmp, dest, mode: CACHE_OBJECT_MODE, md5: oid.slice(0, 32) };
    const stored = await driver.store(key, into, SYNC_HASH_LIMIT);
    if (Buffer.isBuffer(stored)) {
      onBytes(stored.length);
      keep(oid, stored);
      return [];
    }
    if (stored) throw corrupt(stored.corrupt);
    large = true;
  }
  // A small object comes back in memory; a larger one lands in file in the same request.
  // What a failed download wrote to `file` is kept (fetchInto decides).
  let inMemory: Buffer | undefined;
  if (!large) inMemory = await driver.read?.(key, SYNC_HASH_LIMIT, { path: file, opts });
  if (inMemory) {
    const md5 = hashBuffer(inMemory, { hashName });
    if (md5 !== oid.slice(0, 32)) throw corrupt(md5);
    const entries = isDirOid(oid) ? safeEntries(inMemory) : [];
    try {
      // Synchronous: for small objects the thread-pool round trips cost more than the work.
      writeFileSync(tmp, inMemory, { mode: CACHE_OBJECT_MODE, flag: 'wx' });
      renameSync(tmp, dest);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw err;
    }
    onBytes(inMemory.length);
    keep(oid, inMemory);
    return entries;
  }
  if (!driver.read || large) await driver.get(key, file, opts);
  try {
    // Small objects are checked with synchronous calls: for them the thread-pool round trips
    // of async calls cost more than the work (peers.md C.2).
    // Taken after the last write: the rename keeps inode and mtime, so it keys a state entry.
    const st = statSync(file, { bigint: true });
    const size = Number(st.size);
    const small = size < SYNC_HASH_LIMIT;
    const bytes = small || isDirOid(oid) ? readFileSync(file) : undefined;
    const md5 = bytes
      ? hashBuffer(bytes, { hashName })
      : (streamed.digestOf(size) ?? (await hashFile(file, { hashName })).md5);
    if (md5 !== oid.slice(0, 32)) throw corrupt(md5);
    const entries = isDirOid(oid) ? safeEntries(bytes!) : [];
    if (small) {
      chmodSync(file, CACHE_OBJECT_MODE);
      renameSync(file, dest);
    } else {
      await chmod(file, CACHE_OBJECT_MODE);
      await rename(file, dest);
      record(stateEntry(dest, oid.slice(0, 32), st, hashName));
    }
    if (bytes) keep(oid, bytes);
    return entries;
  } catch (err) {
    // Verified bad (or not storable): nothing of it is kept.
    await rm(file, { force: true });
    throw err;
  }
}
