import type { Readable, Writable } from 'node:stream';
import { assertOid, objectRelPath } from '../hashing/cache.js';

/**
 * One interface for every artifact remote. Keys are relative to the remote root and follow
 * DVC (`files/md5/<2>/<30>`, legacy DVC 2.x objects `<2>/<30>`; `.dir` manifests keep their
 * suffix), so a remote we fill looks exactly like one `dvc push` fills (spec/formats.md
 * A4.1). Drivers stream: no object is held in memory whole. Errors are CmfErrors: a missing
 * object is a NotFoundError
 * (`REMOTE_OBJECT_MISSING`), bad credentials a ConfigError (`REMOTE_AUTH`) whose hint names
 * the credential, an unreachable server an OperationError (`REMOTE_UNREACHABLE`) naming
 * host:port.
 */
export type RemoteKind = 'local' | 's3' | 'ssh' | 'osdf';

/** What to upload: a local file, or a stream of known size. */
export type PutSource = string | { stream: Readable; size: number };

/** Where to download to: a local file path (created or truncated) or a writable stream. */
export type GetTarget = string | Writable;

export interface TransferOptions {
  /** Size of the object when the caller knows it (saves a stat). */
  size?: number;
  /** Called with the number of bytes moved since the previous call. */
  onBytes?: (n: number) => void;
  /**
   * Uploads: called with the bytes an earlier, interrupted upload of the object had already
   * sent, checked and kept instead of sent again (they are reported to onBytes as well: the
   * engine takes them out of its byte count).
   */
  onResumed?: (n: number) => void;
  /**
   * Called with every chunk of a transfer that streams through this process, in order (a
   * download: as received), so the caller can hash it on the way. Transfers the driver hands
   * to the system whole (a local copyFile, SFTP's parallel fastGet) never call it.
   */
  onChunk?: (chunk: Buffer) => void;
  /**
   * Downloads: called, with its name for messages, when a secondary copy of the remote (an
   * OSDF cache) served the bytes instead of the remote itself. Bytes found corrupt are then
   * fetched again with {@link primaryOnly}.
   */
  onSecondary?: (where: string) => void;
  /** Downloads: fetch from the remote itself, never from a secondary copy (a cache). */
  primaryOnly?: boolean;
  /**
   * Downloads into a file (resume): the file holds the object's first `offset` bytes; only
   * the rest is fetched and appended (onBytes and onChunk see the appended bytes only). When
   * the driver gets the whole object instead (a server that ignores the range, an offset at
   * or past the end), it calls {@link onRestart} first and rewrites the file from byte 0.
   */
  offset?: number;
  onRestart?: () => void;
}

/** Where {@link RemoteDriver.read} puts an object too large to return. */
export interface Spill {
  path: string;
  opts?: TransferOptions;
}

export interface RemoteDriver {
  readonly kind: RemoteKind;
  /** Where the remote is, for messages (no secrets). */
  readonly location: string;
  /** Parallel transfers that suit this remote when the user gives none. */
  readonly defaultJobs: number;
  /** True when {@link list} is cheaper than one {@link exists} per key for many keys. */
  readonly canList: boolean;
  /**
   * True when small objects are copied by the small-copy pool (fs/small-copy-pool.ts), whose
   * threads are few whatever `jobs` says: transfers may then queue more copies than `jobs`,
   * so that the pool's threads always have the next ones at hand.
   */
  readonly pooledCopies?: boolean;

  exists(key: string): Promise<boolean>;
  /**
   * Every key under `prefix` (which ends with `/`), relative to the remote root, in no
   * particular order. Temporary upload names (`.<random>.tmp`) are not listed. A prefix
   * that does not exist lists nothing.
   */
  list(prefix: string): AsyncIterable<string>;
  /** Stores the object; it appears under `key` whole or not at all where the protocol allows. */
  put(key: string, source: PutSource, opts?: TransferOptions): Promise<void>;
  /** Fetches the object; a missing one is a NotFoundError. */
  get(key: string, target: GetTarget, opts?: TransferOptions): Promise<void>;
  /**
   * Optional fast path for small objects: the whole object in memory if it is smaller than
   * `limit` bytes, else undefined. Without `spill` the caller then uses {@link get}; with it,
   * a larger object is downloaded into `spill.path` (as get would) in the same request, so
   * the caller does not ask twice. A missing object is a NotFoundError. Drivers offer it
   * where one read costs less than a download into a temp file that must then be read again
   * to be verified.
   */
  read?(key: string, limit: number, spill?: Spill): Promise<Buffer | undefined>;
  /**
   * Optional fast path for small objects of a remote on this machine: reads the object,
   * checks that its content hashes to `into.md5` and writes it to `into.tmp` (mode
   * `into.mode`), renamed to `into.dest`, all off the main thread when that pays. Resolves
   * with the bytes; with the MD5 found (`corrupt`, nothing written) when it does not match;
   * with undefined (nothing written) when the object has `limit` bytes or more. Remote errors
   * are the driver's (a missing object is a NotFoundError); local write errors are raw errno
   * errors.
   */
  store?(
    key: string,
    into: StoreInto,
    limit: number,
  ): Promise<Buffer | { corrupt: string } | undefined>;
  /**
   * What the user should hear about this driver's run that is not a failure (one line each,
   * once per run): e.g. that the OSDF cache failed and downloads came from the origin.
   */
  warnings?(): string[];
  /** Removes the object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
  /** Releases connections. The driver is unusable afterwards. */
  close(): Promise<void>;
}

/** Where {@link RemoteDriver.store} puts a verified object. */
export interface StoreInto {
  tmp: string;
  dest: string;
  mode: number;
  md5: string;
}

/**
 * Which remote layout an object lives in (spec/formats.md A4.1): DVC 3 objects under
 * `files/md5/<2>/<30>`, legacy (DVC 2.x, md5-dos2unix) ones under `<2>/<30>`. Legacy
 * outputs are pushed to and pulled from the legacy layout, as DVC does.
 */
export interface LayoutOptions {
  legacy?: boolean;
}

/** Remote key of object `oid`: `files/md5/ab/cdef…` (DVC 3), or `ab/cdef…` (legacy). */
export function objectKey(oid: string, opts: LayoutOptions = {}): string {
  assertOid(oid);
  return objectRelPath(oid, opts);
}

const KEY_RE = /^files\/md5\/([0-9a-f]{2})\/([0-9a-f]{30}(?:\.dir)?)$/;
const LEGACY_KEY_RE = /^([0-9a-f]{2})\/([0-9a-f]{30}(?:\.dir)?)$/;

/** A listing prefix that is one object directory, `files/md5/ab/` (legacy layout: `ab/`). */
const OBJECT_DIR = /^(files\/md5\/)?[0-9a-f]{2}\/$/;

/** Whether `prefix` names one object directory (where uploads leave their temp files). */
export function isObjectDir(prefix: string): boolean {
  return OBJECT_DIR.test(prefix);
}

/**
 * The oid a key names in the given layout, or undefined for anything else (DVC skips such
 * paths too). Without `legacy` only DVC 3 keys match: their names are raw MD5s, which the S3
 * driver sends as Content-MD5; a legacy name may not be (CRLF text).
 */
export function oidFromKey(key: string, opts: LayoutOptions = {}): string | undefined {
  const m = (opts.legacy ? LEGACY_KEY_RE : KEY_RE).exec(key);
  return m ? m[1]! + m[2]! : undefined;
}

/** The listing prefix that holds oid's object: `files/md5/ab/`, or `ab/` (legacy). */
export function prefixOf(oid: string, opts: LayoutOptions = {}): string {
  return `${opts.legacy ? '' : 'files/md5/'}${oid.slice(0, 2)}/`;
}

/** True for the temporary names uploads use before their final rename. */
export function isTempName(name: string): boolean {
  return name.startsWith('.');
}
