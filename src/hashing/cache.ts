import { chmodSync, constants, statSync, type BigIntStats } from 'node:fs';
import { chmod, copyFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { IntegrityError, NotFoundError, OperationError } from '../errors/index.js';
import { replaceAtomically } from '../fs/atomic.js';
import { sweepStaleTemps } from '../fs/stale-temps.js';
import { mkdirp, mkdirpSync } from '../fs/mkdirp.js';
import { mapLimit } from '../util/map-limit.js';
import { hashFile } from './file-hash.js';
import { manifestHash, parseManifest } from './manifest.js';
import type { FileIdentity } from './state.js';
import type { HashName, ManifestEntry } from './types.js';

/**
 * The local content-addressed cache (`.dvc/cache`), laid out as DVC 3 lays it out
 * (spec/formats.md A3): `files/md5/ab/cdef…` for DVC 3 objects, `ab/cdef…` for legacy
 * (md5-dos2unix) ones. Objects are written under a temp name and renamed into place, then
 * left read-only (0444), which is also how DVC tells a checked object from an unchecked one.
 */

/** A DVC 3 oid: 32 lowercase hex, plus `.dir` for directory manifests. */
const OID = /^[0-9a-f]{32}(\.dir)?$/;

/** Mode of every cache object: DVC skips re-hashing objects whose mode is exactly 0444. */
export const CACHE_OBJECT_MODE = 0o444;

export interface ObjectOptions {
  /**
   * The object belongs to a legacy (DVC 2.x, `md5-dos2unix`) entry. Writes and
   * `objectPath` use the legacy layout; lookups try it first, then `files/md5`.
   */
  legacy?: boolean;
}

/** Stat fields of a source file as they were when it was hashed. */
export interface SourceStat {
  ino: bigint;
  mtimeNs: bigint;
  size: number;
}

export interface AddFileOptions extends ObjectOptions {
  /**
   * The source as it was when hashed. If it changed by the time the copy is complete, the
   * copy is discarded (OperationError `FILE_CHANGED`) rather than stored under a wrong name.
   */
  hashedStat?: SourceStat;
}

export interface AddObjectResult {
  /** Final path of the object. */
  path: string;
  /** False when the object already existed and was left untouched. */
  added: boolean;
  /**
   * The new object's stat (when `added`), for a hash state entry: a later push or checkout
   * then knows the object is intact from one stat instead of reading it again.
   */
  stat?: BigIntStats;
}

/** Where an object was found, and with which hash its name was computed. */
export interface ObjectLocation {
  path: string;
  hashName: HashName;
  size: number;
  /** The stat taken to find it (synchronous lookups), for checks that would stat again. */
  stat?: FileIdentity;
}

/** Throws unless `oid` is a well-formed md5 oid, so an oid can never name a path outside the cache. */
export function assertOid(oid: string): void {
  if (!OID.test(oid)) {
    throw new IntegrityError('CACHE_BAD_OID', `Not a valid object id: ${JSON.stringify(oid)}`, {
      hint: 'Object ids are 32 lowercase hex characters, with ".dir" for directories.',
      data: { oid },
    });
  }
}

/** True for directory-manifest oids (`<md5>.dir`). */
export function isDirOid(oid: string): boolean {
  return oid.endsWith('.dir');
}

/** From this many objects in one `files/md5/xx` directory, listing it beats a stat each. */
const LIST_THRESHOLD = 8;

/** Size of the file at `path` (through symlinks: `dvc cache migrate` leaves links), or undefined. */
async function sizeIfExists(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

async function assertUnchanged(path: string, before: SourceStat): Promise<void> {
  const now = await stat(path, { bigint: true });
  if (
    now.ino !== before.ino ||
    now.mtimeNs !== before.mtimeNs ||
    Number(now.size) !== before.size
  ) {
    throw new OperationError('FILE_CHANGED', `${path} changed while it was being added`, {
      hint: 'Wait until the file is no longer being written, then add it again.',
      data: { path },
    });
  }
}

/**
 * Where object `oid` lives below a cache or remote root, as a POSIX path: `files/md5/ab/cdef…`
 * (DVC 3), or `ab/cdef…` in the legacy (DVC 2.x) layout. Caches and remotes share the layout
 * (spec/formats.md A3, A4.1). Does not check `oid`.
 */
export function objectRelPath(oid: string, opts: { legacy?: boolean } = {}): string {
  return `${opts.legacy ? '' : 'files/md5/'}${oid.slice(0, 2)}/${oid.slice(2)}`;
}

/** The directories mkdir -p made: from the first one it created down to `last`. */
function madeDirs(first: string, last: string): string[] {
  const dirs = [last];
  for (let d = last; d !== first && dirname(d) !== d;) dirs.unshift((d = dirname(d)));
  return dirs;
}

/** Makes a fresh object read-only. DVC ignores chmod failures (e.g. on odd mounts); so do we. */
async function protect(path: string): Promise<void> {
  await chmod(path, CACHE_OBJECT_MODE).catch(() => undefined);
}

/** Mode of the cache's directories under `cache.shared = group`, as DVC makes them. */
export const SHARED_DIR_MODE = 0o2775;

export interface CacheOptions {
  /**
   * DVC's `cache.shared = group`: directories are made group-writable with the setgid bit
   * (0o2775 whatever the umask), so the members of the group can all add objects.
   */
  shared?: boolean;
}

export class LocalCache {
  /** Absolute or cwd-relative cache root, e.g. `<repo>/.dvc/cache`. */
  readonly root: string;
  readonly shared: boolean;

  /** Object directories this instance swept of stale temp files. */
  private readonly sweptDirs = new Set<string>();

  constructor(root: string, opts: CacheOptions = {}) {
    this.root = root;
    this.shared = opts.shared === true;
  }

  /**
   * Makes the directory an object goes into (mkdir -p), with the shared mode if set. The
   * first time per directory, temp files a killed writer (an add, a pull) left there over an
   * hour ago are removed.
   */
  async makeDirFor(objectPath: string): Promise<void> {
    const dir = dirname(objectPath);
    const first = await mkdirp(dir);
    if (this.shared && first !== undefined) {
      for (const d of madeDirs(first, dir)) await chmod(d, SHARED_DIR_MODE);
    }
    this.sweepOnce(dir);
  }

  /** {@link makeDirFor}, synchronous: for adders that write thousands of small objects. */
  makeDirForSync(objectPath: string): void {
    const dir = dirname(objectPath);
    const first = mkdirpSync(dir);
    if (this.shared && first !== undefined) {
      for (const d of madeDirs(first, dir)) chmodSync(d, SHARED_DIR_MODE);
    }
    this.sweepOnce(dir);
  }

  private sweepOnce(dir: string): void {
    if (this.sweptDirs.has(dir)) return;
    this.sweptDirs.add(dir);
    sweepStaleTemps(dir);
  }

  /** Path of `oid` in the DVC 3 layout, or the legacy one. */
  objectPath(oid: string, opts: ObjectOptions = {}): string {
    assertOid(oid);
    return join(this.root, objectRelPath(oid, opts));
  }

  /**
   * Finds an object. DVC 3 entries live only under `files/md5`. Legacy entries live in the
   * legacy layout; an object under `files/md5` with the same name also serves them (its raw
   * md5 equals the id, and a file with that md5 has the same md5-dos2unix unless it holds
   * CRLF text, in which case its dos2unix form is what the id stands for).
   */
  async locate(oid: string, opts: ObjectOptions = {}): Promise<ObjectLocation | undefined> {
    for (const c of this.candidates(oid, opts)) {
      const size = await sizeIfExists(c.path);
      if (size !== undefined) return { ...c, size };
    }
    return undefined;
  }

  /**
   * {@link locate} with synchronous stats: for checking thousands of objects before a
   * transfer starts, when nothing else runs and a thread-pool round trip per object would
   * cost several times the stat itself.
   */
  locateSync(oid: string, opts: ObjectOptions = {}): ObjectLocation | undefined {
    for (const c of this.candidates(oid, opts)) {
      try {
        const st = statSync(c.path);
        return { ...c, size: st.size, stat: st };
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      }
    }
    return undefined;
  }

  /** Where an object may be, in the order to look. */
  private candidates(oid: string, opts: ObjectOptions): Array<Omit<ObjectLocation, 'size'>> {
    return opts.legacy
      ? [
          { path: this.objectPath(oid, { legacy: true }), hashName: 'md5-dos2unix' },
          { path: this.objectPath(oid), hashName: 'md5' },
        ]
      : [{ path: this.objectPath(oid), hashName: 'md5' }];
  }

  async has(oid: string, opts: ObjectOptions = {}): Promise<boolean> {
    return (await this.locate(oid, opts)) !== undefined;
  }

  /**
   * Which of `oids` the cache holds (looked up as {@link has} does). Where many share a
   * two-character prefix, one listing of its directory (for legacy oids: of the legacy one,
   * then of `files/md5/xx`) answers for all of them instead of one stat each: a pull into an
   * empty cache asks about every object, and each stat is a thread-pool round trip.
   */
  async presentAmong(oids: Iterable<string>, opts: ObjectOptions = {}): Promise<Set<string>> {
    const byPrefix = new Map<string, string[]>();
    for (const oid of oids) {
      assertOid(oid);
      const group = byPrefix.get(oid.slice(0, 2));
      if (group) group.push(oid);
      else byPrefix.set(oid.slice(0, 2), [oid]);
    }
    const present = new Set<string>();
    await mapLimit([...byPrefix.values()], 16, async (group) => {
      if (group.length < LIST_THRESHOLD) {
        for (const oid of group) if (await this.has(oid, opts)) present.add(oid);
        return;
      }
      const dirs = this.candidates(group[0]!, opts).map((c) => dirname(c.path));
      for (const dir of dirs) {
        let entries;
        try {
          entries = new Map((await readdir(dir, { withFileTypes: true })).map((e) => [e.name, e]));
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' || code === 'ENOTDIR') continue;
          throw err;
        }
        for (const oid of group) {
          const e = entries.get(oid.slice(2));
          // A symlink (dvc cache migrate leaves them) counts if it leads to a file, as in has().
          if (e?.isFile() || (e?.isSymbolicLink() && (await this.has(oid, opts)))) present.add(oid);
        }
      }
    });
    return present;
  }

  /** Like {@link locate}, but a missing object is a NotFoundError naming it. */
  async require(oid: string, opts: ObjectOptions & { for?: string } = {}): Promise<ObjectLocation> {
    const found = await this.locate(oid, opts);
    if (found) return found;
    const what = opts.for ? ` (needed for ${opts.for})` : '';
    throw new NotFoundError('CACHE_OBJECT_MISSING', `Object ${oid} is not in the cache${what}`, {
      hint: 'Pull it from the remote (cmf artifact pull) or add the file again.',
      data: { oid, path: this.objectPath(oid, opts), ...(opts.for ? { for: opts.for } : {}) },
    });
  }

  /**
   * Copies `srcPath`, whose content hashes to `md5`, into the cache. The copy is a reflink
   * where the filesystem supports it. An existing object is not rewritten. The caller vouches
   * for `md5`: the content is not hashed again here.
   */
  async addFile(srcPath: string, md5: string, opts: AddFileOptions = {}): Promise<AddObjectResult> {
    const path = this.objectPath(md5, opts);
    if ((await sizeIfExists(path)) !== undefined) return { path, added: false };
    await this.makeDirFor(path);
    await replaceAtomically(path, async (tmp) => {
      // FICLONE (not _FORCE): clone when possible, otherwise a plain copy.
      await copyFile(srcPath, tmp, constants.COPYFILE_FICLONE);
      if (opts.hashedStat) await assertUnchanged(srcPath, opts.hashedStat);
      await protect(tmp);
    });
    return { path, added: true, stat: await stat(path, { bigint: true }) };
  }

  /**
   * Stores `bytes` as object `oid` (typically a `.dir` manifest, whose id is checked against
   * the bytes). An existing object is not rewritten.
   */
  async addBytes(
    oid: string,
    bytes: Uint8Array,
    opts: ObjectOptions = {},
  ): Promise<AddObjectResult> {
    const path = this.objectPath(oid, opts);
    if (isDirOid(oid)) {
      const actual = manifestHash(Buffer.from(bytes));
      if (actual !== oid) {
        throw new IntegrityError(
          'CACHE_OID_MISMATCH',
          `Manifest bytes hash to ${actual}, not ${oid}`,
          {
            data: { oid, actual },
          },
        );
      }
    }
    if ((await sizeIfExists(path)) !== undefined) return { path, added: false };
    await this.makeDirFor(path);
    await replaceAtomically(path, async (tmp) => {
      await writeFile(tmp, bytes);
      await protect(tmp);
    });
    return { path, added: true, stat: await stat(path, { bigint: true }) };
  }

  /** The bytes of an object; missing → NotFoundError. */
  async readObject(oid: string, opts: ObjectOptions = {}): Promise<Buffer> {
    const { path } = await this.require(oid, opts);
    return readFile(path);
  }

  /** Reads and strictly parses a `.dir` manifest object (IntegrityError when malformed). */
  async readManifest(oid: string, opts: ObjectOptions = {}): Promise<ManifestEntry[]> {
    if (!isDirOid(oid)) {
      throw new IntegrityError(
        'CACHE_NOT_A_MANIFEST',
        `Object ${oid} is not a directory manifest`,
        {
          data: { oid },
        },
      );
    }
    const { path } = await this.require(oid, opts);
    try {
      return parseManifest(await readFile(path));
    } catch (err) {
      if (err instanceof IntegrityError) {
        throw new IntegrityError(
          'CACHE_OBJECT_CORRUPT',
          `Manifest ${oid} (${path}) is corrupt: ${err.message}`,
          {
            hint: 'Delete the object and pull or add the directory again.',
            data: { oid, path },
            cause: err,
          },
        );
      }
      throw err;
    }
  }

  /**
   * Re-hashes an object and throws IntegrityError (`CACHE_OBJECT_CORRUPT`, naming the object)
   * when its content does not match its id; manifests must also parse. Missing → NotFoundError.
   */
  async verify(oid: string, opts: ObjectOptions = {}): Promise<ObjectLocation> {
    const loc = await this.require(oid, opts);
    const expected = oid.split('.')[0] ?? oid;
    const { md5: actual } = await hashFile(loc.path, { hashName: loc.hashName });
    if (actual !== expected) {
      throw new IntegrityError(
        'CACHE_OBJECT_CORRUPT',
        `Cache object ${oid} (${loc.path}) is corrupt: its content hashes to ${actual}`,
        {
          hint: 'Delete the object and pull or add the file again.',
          data: { oid, path: loc.path, actual },
        },
      );
    }
    if (isDirOid(oid)) await this.readManifest(oid, opts);
    return loc;
  }
}
