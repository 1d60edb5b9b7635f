import { statSync, type Stats } from 'node:fs';
import { chmod, lstat, readdir, rm, rmdir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CmfError, IntegrityError, OperationError, UsageError } from '../errors/index.js';
import { mapLimit } from '../util/map-limit.js';
import { isDirOid, type LocalCache, type ObjectLocation } from './cache.js';
import type { DvcOut } from './dvcfile.js';
import { assertPathFits } from '../errors/path-length.js';
import { orReadDenied } from './file-hash.js';
import { hashItemsSettled } from './hash-paths.js';
import { DEFAULT_LINK_TYPES, Linker, type LinkType } from './link.js';
import { assertSafeRelpath } from './manifest.js';
import type { HashState, StateEntry } from './state.js';
import type { HashName, ManifestEntry } from './types.js';
import { findBadObjects, type ObjectToVerify } from './verify-objects.js';

/**
 * Restores an output (file or directory) from the local cache into the workspace, as
 * `dvc checkout` does (spec/formats.md A4.3): unchanged files are left alone, changed and
 * missing ones are linked or copied from the cache, files a directory output no longer
 * lists are deleted, and nothing whose content exists only in the workspace is destroyed
 * unless `force` is given.
 */

export interface CheckoutOptions {
  /** The repository root; outputs must stay inside it. */
  repoRoot: string;
  /** Directory of the `.dvc` file; the entry's `path` is relative to it. */
  dvcFileDir: string;
  cache: LocalCache;
  /** `cache.type`, best first; default reflink then copy. */
  linkTypes?: readonly LinkType[];
  /** Overwrite or delete workspace files whose content is not in the cache. */
  force?: boolean;
  /** Skips re-hashing unchanged workspace files, and learns the hashes of placed files. */
  state?: HashState;
  /** Files hashed or placed at once (default 4). */
  jobs?: number;
  /**
   * Contents of cache objects the caller holds in memory (verified when they entered the
   * cache, as a pull does): copies of them are written from memory, and their cache files
   * are taken to be in place without a stat.
   */
  objectBytes?: ReadonlyMap<string, Buffer>;
  /**
   * Objects the caller has just verified (a pull that stored them): they are not checked
   * again. Every other object is checked against its id (through `state`, so an unchanged
   * object costs a stat) before anything is copied from it.
   */
  verified?: ReadonlySet<string>;
}

export interface CheckoutResult {
  /** Absolute workspace path of the output. */
  path: string;
  kind: 'file' | 'directory';
  /** Paths relative to the repo root (POSIX), of files created where there were none. */
  added: string[];
  /** … of files replaced because their content differed. */
  modified: string[];
  /** … of files deleted (not in the directory's manifest, or in the way). */
  deleted: string[];
  /** Number of files already up to date. */
  unchanged: number;
  /** Link types actually used. */
  linkTypes: LinkType[];
}

const toPosix = (p: string): string => p.split(sep).join('/');

async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** A workspace leaf: anything that is not a real directory (files, symlinks, fifos…). */
interface Leaf {
  relpath: string;
  path: string;
  isSymlink: boolean;
  isFile: boolean;
}

/** Lists the leaves under `root` without following symlinks (as DVC walks: os.walk). */
async function listLeaves(root: string): Promise<Leaf[]> {
  const leaves: Leaf[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch((err: unknown) => {
      throw orReadDenied(err, dir);
    });
    for (const d of entries) {
      const path = join(dir, d.name);
      const relpath = prefix ? `${prefix}/${d.name}` : d.name;
      if (d.isDirectory()) await walk(path, relpath);
      else leaves.push({ relpath, path, isSymlink: d.isSymbolicLink(), isFile: d.isFile() });
    }
  };
  await walk(root, '');
  return leaves;
}

/** Removes directories under `root` (not `root`) left empty, deepest first. */
async function pruneEmptyDirs(root: string): Promise<void> {
  const visit = async (dir: string): Promise<boolean> => {
    let empty = true;
    for (const d of await readdir(dir, { withFileTypes: true })) {
      if (d.isDirectory() && (await visit(join(dir, d.name)))) continue;
      empty = false;
    }
    if (empty && dir !== root) {
      await rmdir(dir);
      return true;
    }
    return false;
  };
  await visit(root);
}

class Checkout {
  private readonly linker: Linker;
  private readonly used = new Set<LinkType>();
  private readonly learned: StateEntry[] = [];
  private readonly jobs: number;
  private readonly opts: CheckoutOptions;
  private readonly hashName: HashName;
  private readonly legacy: boolean;
  readonly result: CheckoutResult;

  constructor(entry: DvcOut, path: string, opts: CheckoutOptions) {
    this.opts = opts;
    this.hashName = entry.hashName;
    this.legacy = entry.hashName === 'md5-dos2unix';
    this.linker = new Linker(opts.linkTypes ?? DEFAULT_LINK_TYPES);
    this.jobs = Math.max(1, opts.jobs ?? 4);
    this.result = {
      path,
      kind: 'file',
      added: [],
      modified: [],
      deleted: [],
      unchanged: 0,
      linkTypes: [],
    };
  }

  private rel(path: string): string {
    return toPosix(relative(this.opts.repoRoot, path));
  }

  /**
   * Current hashes of workspace files (read through symlinks, skipped through the state
   * cache). Anything that is not readable as a regular file (dangling symlink, fifo, socket,
   * no permission) maps to undefined: it is never "unchanged" and never known to the cache.
   */
  private async currentHashes(paths: readonly string[]): Promise<Map<string, string | undefined>> {
    const out = new Map<string, string | undefined>();
    const files: string[] = [];
    await mapLimit(paths, this.jobs * 4, async (p) => {
      const st = await stat(p).catch(() => undefined);
      if (st?.isFile()) files.push(p);
      else out.set(p, undefined);
    });
    // With force nothing is taken on trust: every file is read, and what was read replaces
    // the state's entries (which may describe content that is no longer there).
    const useState = this.opts.force ? undefined : this.opts.state;
    const opts = { hashName: this.hashName, state: useState, jobs: this.opts.jobs };
    const hashed = await hashItemsSettled(
      files.map((path) => ({ path })),
      opts,
    );
    files.forEach((path, i) => {
      const h = hashed[i]!;
      // An unreadable file has no hash: it counts as changed.
      if (h instanceof CmfError) return out.set(path, undefined);
      out.set(path, h.md5);
      if (this.opts.force && this.opts.state) {
        const { ino, mtimeNs, size, md5 } = h;
        this.learned.push({ path, hashName: this.hashName, ino, mtimeNs, size, md5 });
      }
    });
    return out;
  }

  private async currentHash(path: string): Promise<string | undefined> {
    return (await this.currentHashes([path])).get(path);
  }

  /**
   * Whether replacing or deleting a leaf loses nothing: a file, or a symlink to one, whose
   * content is already in the cache (a link into the cache, as `cache.type = symlink` makes,
   * is one). DVC decides so too (`_check_can_delete`: a workspace entry, hashed through its
   * link, may go without --force only when the cache has its content); a link to content
   * the cache lacks, or to nothing, or to a directory, is the user's and needs force.
   */
  private async isExpendable(leaf: Leaf, hash: string | undefined): Promise<boolean> {
    if (!leaf.isFile && !leaf.isSymlink) return false;
    return hash !== undefined && (await this.opts.cache.has(hash, { legacy: this.legacy }));
  }

  private refuse(paths: string[]): OperationError {
    const shown =
      paths.slice(0, 5).join(', ') + (paths.length > 5 ? `, … (${paths.length} in all)` : '');
    return new OperationError(
      'CHECKOUT_WOULD_LOSE_DATA',
      `Checkout would overwrite or delete files whose content is not in the cache: ${shown}`,
      {
        hint: 'Add the changes first (so they are cached), move the files away, or check out with force to discard them.',
        data: { paths },
      },
    );
  }

  private async place(
    src: ObjectLocation,
    oid: string,
    dest: string,
    isexec: boolean,
  ): Promise<void> {
    const bytes = this.heldBytes(oid);
    const type = await this.linker.place(src.path, dest, { size: src.size, isexec, bytes });
    this.used.add(type);
  }

  /** The caller's verified bytes of object `oid`, if it holds them. */
  private heldBytes(oid: string): Buffer | undefined {
    // Held bytes have the raw md5 `oid`; a legacy id may name other (CRLF) content.
    return this.legacy ? undefined : this.opts.objectBytes?.get(oid);
  }

  /**
   * Where a held object is (the caller just stored it there, so no stat is needed), or
   * undefined when it is not held.
   */
  private heldLocation(oid: string): ObjectLocation | undefined {
    const bytes = this.heldBytes(oid);
    if (!bytes) return undefined;
    return { path: this.opts.cache.objectPath(oid), hashName: 'md5', size: bytes.length };
  }

  /**
   * Checks the cache objects about to be copied into the workspace against their ids, so a
   * corrupt object never reaches the workspace (nor the state, as the hash of what was
   * written). Objects the caller holds or has just verified are not checked. Throws
   * IntegrityError `CACHE_OBJECT_CORRUPT` naming the corrupt objects (all of them in
   * `data.oids`), or the error of an object that could not be read.
   */
  private async verifySources(sources: Array<{ oid: string; loc: ObjectLocation }>): Promise<void> {
    const todo = new Map<string, ObjectToVerify>();
    for (const { oid, loc } of sources) {
      if (this.heldBytes(oid) || this.opts.verified?.has(oid) || todo.has(oid)) continue;
      todo.set(oid, { oid, path: loc.path, size: loc.size, hashName: loc.hashName });
    }
    if (todo.size === 0) return;
    const bad = await findBadObjects([...todo.values()], {
      state: this.opts.state,
      jobs: this.opts.jobs,
    });
    if (bad.size === 0) return;
    const errors = [...bad.values()];
    const notCorrupt = errors.find((e) => e.code !== 'CACHE_OBJECT_CORRUPT');
    if (notCorrupt) throw notCorrupt;
    if (errors.length === 1) {
      const e = errors[0]!;
      throw new IntegrityError(e.code, e.message, {
        hint: e.hint,
        data: { ...e.data, oids: [...bad.keys()] },
      });
    }
    const paths = [...bad.keys()].map((oid) => todo.get(oid)!.path);
    throw new IntegrityError(
      'CACHE_OBJECT_CORRUPT',
      `${bad.size} cache objects are corrupt: ${errors[0]!.message}, and ${bad.size - 1} more`,
      {
        hint: 'Delete the corrupt cache files and add or pull their files again.',
        data: { oids: [...bad.keys()], paths },
      },
    );
  }

  /**
   * Records placed files in the state so the next status or checkout does not re-hash them.
   * Synchronous stats: one per file just written, cheaper than a thread-pool round trip each.
   * A file gone already is simply not recorded (the state is only a cache).
   */
  private learnPlaced(files: Array<{ path: string; md5: string }>): void {
    if (!this.opts.state) return;
    for (const { path, md5 } of files) {
      const st = statSync(path, { bigint: true, throwIfNoEntry: false });
      if (!st) continue;
      this.learned.push({
        path,
        hashName: this.hashName,
        ino: st.ino,
        mtimeNs: st.mtimeNs,
        size: Number(st.size),
        md5,
      });
    }
  }

  finish(): CheckoutResult {
    if (this.opts.state && this.learned.length > 0) this.opts.state.setMany(this.learned);
    this.result.linkTypes = [...this.used];
    for (const list of [this.result.added, this.result.modified, this.result.deleted]) list.sort();
    return this.result;
  }

  /** Leaves of a real directory standing where a file must go; refuses if any would be lost. */
  private async clearDirectory(path: string): Promise<void> {
    const leaves = await listLeaves(path);
    const hashes = await this.currentHashes(
      leaves.filter((l) => l.isFile || l.isSymlink).map((l) => l.path),
    );
    const precious: string[] = [];
    for (const leaf of leaves) {
      if (!(await this.isExpendable(leaf, hashes.get(leaf.path))))
        precious.push(this.rel(leaf.path));
    }
    if (precious.length > 0 && !this.opts.force) throw this.refuse(precious);
    await rm(path, { recursive: true, force: true });
    this.result.deleted.push(...leaves.map((l) => this.rel(l.path)));
  }

  async file(oid: string, path: string, isexec: boolean): Promise<void> {
    const src = await this.opts.cache.require(oid, { legacy: this.legacy, for: this.rel(path) });
    const st = await lstatOrUndefined(path);
    if (st?.isDirectory()) {
      await this.verifySources([{ oid, loc: src }]);
      await this.clearDirectory(path);
      await this.place(src, oid, path, isexec);
      this.result.modified.push(this.rel(path));
    } else if (st) {
      const leaf: Leaf = { relpath: '', path, isSymlink: st.isSymbolicLink(), isFile: st.isFile() };
      const hash = await this.currentHash(path);
      if (hash === oid) {
        // Never chmod a hardlink: its inode is the read-only cache object.
        if (isexec && st.isFile() && st.nlink === 1 && (st.mode & 0o111) === 0)
          await chmod(path, st.mode | ((st.mode & 0o444) >> 2));
        this.result.unchanged++;
        return;
      }
      if (!this.opts.force && !(await this.isExpendable(leaf, hash)))
        throw this.refuse([this.rel(path)]);
      await this.verifySources([{ oid, loc: src }]);
      await this.place(src, oid, path, isexec);
      this.result.modified.push(this.rel(path));
    } else {
      await this.verifySources([{ oid, loc: src }]);
      await this.place(src, oid, path, isexec);
      this.result.added.push(this.rel(path));
    }
    this.learnPlaced([{ path, md5: oid }]);
  }

  async directory(oid: string, root: string): Promise<void> {
    this.result.kind = 'directory';
    const { cache } = this.opts;
    // The manifest decides what is written and deleted: it is checked before it is read.
    const manifestLoc = await cache.require(oid, { legacy: this.legacy, for: this.rel(root) });
    await this.verifySources([{ oid, loc: manifestLoc }]);
    const manifest = await cache.readManifest(oid, { legacy: this.legacy });
    const wanted = checkManifest(manifest, oid);
    // A path the system cannot take fails the checkout before any directory is made.
    for (const e of manifest) assertPathFits(join(root, e.relpath));

    // Every object must be present before the workspace is touched.
    const sources = new Map<string, ObjectLocation>();
    const missing: ManifestEntry[] = [];
    await mapLimit(manifest, this.jobs * 4, async (e) => {
      const loc = this.heldLocation(e.md5) ?? (await cache.locate(e.md5, { legacy: this.legacy }));
      if (loc) sources.set(e.relpath, loc);
      else missing.push(e);
    });
    if (missing.length > 0) {
      const first = missing[0]!;
      // Surface the cache's own error for the first missing object, with the count.
      await cache.require(first.md5, {
        legacy: this.legacy,
        for: `${this.rel(join(root, first.relpath))}${missing.length > 1 ? ` and ${missing.length - 1} more files` : ''}`,
      });
    }

    // Plan: compare what is in the workspace with the manifest, refusing before any change.
    const rootStat = await lstatOrUndefined(root);
    let leaves: Leaf[] = [];
    if (rootStat && !rootStat.isDirectory()) {
      // A symlink to a directory is the user's arrangement: check out through it.
      const through = rootStat.isSymbolicLink()
        ? await stat(root).catch(() => undefined)
        : undefined;
      if (through?.isDirectory()) leaves = await listLeaves(root);
      else {
        const leaf: Leaf = {
          relpath: '',
          path: root,
          isSymlink: rootStat.isSymbolicLink(),
          isFile: rootStat.isFile(),
        };
        const hash = leaf.isFile || leaf.isSymlink ? await this.currentHash(root) : undefined;
        if (!this.opts.force && !(await this.isExpendable(leaf, hash)))
          throw this.refuse([this.rel(root)]);
        await rm(root, { force: true });
        this.result.deleted.push(this.rel(root));
      }
    } else if (rootStat) {
      leaves = await listLeaves(root);
    }

    const hashes = await this.currentHashes(
      leaves.filter((l) => l.isFile || l.isSymlink).map((l) => l.path),
    );
    const current = new Set<string>();
    const extras: Leaf[] = [];
    const precious: string[] = [];
    const dirs = wantedDirs(wanted.keys());
    await mapLimit(leaves, this.jobs * 4, async (leaf) => {
      const want = wanted.get(leaf.relpath);
      const hash = hashes.get(leaf.path);
      if (want !== undefined && hash === want) {
        current.add(leaf.relpath);
        return;
      }
      if (want === undefined) extras.push(leaf);
      // A symlink where the manifest wants a directory is replaced by one (never written
      // through); its target is left as it is, so nothing is lost.
      if (leaf.isSymlink && dirs.has(leaf.relpath)) return;
      if (!(await this.isExpendable(leaf, hash))) precious.push(this.rel(leaf.path));
    });
    if (precious.length > 0 && !this.opts.force) throw this.refuse(precious.sort());
    const todo = manifest.filter((e) => !current.has(e.relpath));
    await this.verifySources(todo.map((e) => ({ oid: e.md5, loc: sources.get(e.relpath)! })));

    // Apply: delete what the manifest no longer lists, then create or replace the rest.
    const present = new Set(leaves.map((l) => l.relpath));
    await mapLimit(extras, this.jobs, (leaf) => rm(leaf.path, { force: true }));
    this.result.deleted.push(...extras.map((l) => this.rel(l.path)));
    if (extras.length > 0) await pruneEmptyDirs(root);

    this.result.unchanged += manifest.length - todo.length;
    // More placements under way than jobs: small copies queue in the small-copy pool, whose
    // few threads then always have the next ones at hand; large ones queue for the
    // thread pool.
    await mapLimit(todo, this.jobs * 4, async (e) => {
      const dest = join(root, e.relpath);
      await this.place(sources.get(e.relpath)!, e.md5, dest, false);
      (present.has(e.relpath) ? this.result.modified : this.result.added).push(this.rel(dest));
    });
    this.learnPlaced(todo.map((e) => ({ path: join(root, e.relpath), md5: e.md5 })));
  }
}

/**
 * Validates a manifest before anything is written from it: safe relpaths only, no
 * duplicates, and no entry that is also another entry's parent directory.
 */
function checkManifest(manifest: readonly ManifestEntry[], oid: string): Map<string, string> {
  const wanted = new Map<string, string>();
  for (const e of manifest) {
    assertSafeRelpath(e.relpath);
    if (wanted.has(e.relpath)) {
      throw new IntegrityError('CACHE_OBJECT_CORRUPT', `Manifest ${oid} lists ${e.relpath} twice`, {
        data: { oid, relpath: e.relpath },
      });
    }
    wanted.set(e.relpath, e.md5);
  }
  for (const relpath of wanted.keys()) {
    for (let i = relpath.indexOf('/'); i >= 0; i = relpath.indexOf('/', i + 1)) {
      if (wanted.has(relpath.slice(0, i))) {
        throw new IntegrityError(
          'CACHE_OBJECT_CORRUPT',
          `Manifest ${oid} lists ${relpath.slice(0, i)} both as a file and as a directory`,
          { data: { oid, relpath } },
        );
      }
    }
  }
  return wanted;
}

/** Every directory that holds a manifest entry (`a`, `a/b` for `a/b/c.txt`). */
function wantedDirs(relpaths: Iterable<string>): Set<string> {
  const dirs = new Set<string>();
  for (const relpath of relpaths) {
    for (let i = relpath.indexOf('/'); i >= 0; i = relpath.indexOf('/', i + 1)) {
      dirs.add(relpath.slice(0, i));
    }
  }
  return dirs;
}

/** Resolves the output's workspace path and refuses paths outside the repository. */
function outputPath(entry: DvcOut, opts: CheckoutOptions): string {
  const repoRoot = resolve(opts.repoRoot);
  const path = resolve(opts.dvcFileDir, entry.path);
  const rel = relative(repoRoot, path);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new UsageError(
      'CHECKOUT_OUTSIDE_REPO',
      `Output ${entry.path} is not inside the repository ${repoRoot}`,
      {
        hint: 'Only outputs inside the repository can be checked out.',
        data: { path: entry.path, repoRoot },
      },
    );
  }
  return path;
}

/**
 * Restores one `.dvc` output from the cache. Missing objects throw NotFoundError (naming the
 * oid and the path) before the workspace is changed; a manifest with an unsafe relpath throws
 * IntegrityError before anything is written.
 */
export async function checkout(entry: DvcOut, opts: CheckoutOptions): Promise<CheckoutResult> {
  const path = outputPath(entry, opts);
  const oid = entry.md5;
  if (!oid) {
    throw new UsageError('CHECKOUT_NO_HASH', `Output ${entry.path} has no hash to check out`, {
      hint: 'Add the output (cmf dvc add / dvc add) to record its hash first.',
      data: { path: entry.path },
    });
  }
  const run = new Checkout(entry, path, { ...opts, repoRoot: resolve(opts.repoRoot) });
  if (isDirOid(oid)) await run.directory(oid, path);
  else await run.file(oid, path, entry.isexec === true);
  return run.finish();
}
