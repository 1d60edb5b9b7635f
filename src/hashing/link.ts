import { constants, existsSync, rmSync } from 'node:fs';
import { chmod, copyFile, link, rename, symlink, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { tempPathBeside, trackTemp, untrackTemp } from '../fs/atomic.js';
import { mkdirpSync } from '../fs/mkdirp.js';
import { sweepStaleTemps } from '../fs/stale-temps.js';
import { smallCopy } from '../fs/small-copy-pool.js';
import { accessError, isAccessError, orAccessError } from '../errors/access.js';
import { isNoSpaceError, noSpaceError, UsageError } from '../errors/index.js';
import { pathTooLongError } from '../errors/path-length.js';

/**
 * Placing cache objects in the workspace with DVC's link types (spec/formats.md A3).
 * Every file is built under a temp name beside its final name and renamed into place, so a
 * killed checkout leaves either the old file or the new one.
 */

export type LinkType = 'reflink' | 'hardlink' | 'symlink' | 'copy';

export const LINK_TYPES: readonly LinkType[] = ['reflink', 'hardlink', 'symlink', 'copy'];

/** DVC's default `cache.type` for a local cache. */
export const DEFAULT_LINK_TYPES: readonly LinkType[] = ['reflink', 'copy'];

/** Errors on which DVC moves on to the next link type (EOPNOTSUPP is ENOTSUP's twin). */
const FALLBACK_CODES = new Set([
  'EPERM',
  'ENOTSUP',
  'EOPNOTSUPP',
  'EXDEV',
  'ENOTTY',
  'ENOSYS',
  'EINVAL',
]);

let cachedUmask: number | undefined;
/** The process umask (read once; cmf never changes it). */
export function currentUmask(): number {
  // process.umask() without an argument only reads it; its deprecation is documentation-only.
  cachedUmask ??= process.umask();
  return cachedUmask;
}

/** Mode of a fresh writable workspace file: `0666 & ~umask`, plus x where r is set if `isexec`. */
export function workspaceMode(isexec: boolean): number {
  const base = 0o666 & ~currentUmask();
  return isexec ? base | ((base & 0o444) >> 2) : base;
}

/** Validates a `cache.type` list (config values are strings). */
export function parseLinkTypes(types: readonly string[]): LinkType[] {
  const out: LinkType[] = [];
  for (const raw of types) {
    const t = raw.trim();
    if (!(LINK_TYPES as readonly string[]).includes(t)) {
      throw new UsageError('LINK_TYPE_UNKNOWN', `Unknown cache link type "${t}"`, {
        hint: `Use a comma-separated subset of ${LINK_TYPES.join(', ')}.`,
      });
    }
    if (!out.includes(t as LinkType)) out.push(t as LinkType);
  }
  if (out.length === 0) throw new UsageError('LINK_TYPE_EMPTY', 'No cache link type given');
  return out;
}

export interface PlaceOptions {
  /** Size of the object; zero-length files are never hardlinked (link-count limits). */
  size: number;
  /** Set x bits on copies. Hard and symbolic links share the cache file's mode (0444). */
  isexec?: boolean;
  /**
   * The object's content, when the caller holds it already (verified, e.g. just pulled):
   * a small copy is written from it instead of reading the cache object again.
   */
  bytes?: Buffer;
}

/**
 * Below this size, copies go through memory synchronously (as the local remote's transfers
 * do): one read and one write, instead of copyFile's open/fstat/ftruncate/fchmod/fchown/
 * utimensat/copy_file_range plus a chmod, each a thread-pool round trip. The event loop is
 * held for well under a millisecond per file.
 */
export const SMALL_FILE = 1 << 20;

/**
 * Copies a small cache object (or the caller's bytes of it) to `tmp`, renamed to `dest`, in
 * the small-copy pool. The object is read asking for one byte more than the recorded size,
 * so a short read proves the end of the file; an object that grew past SMALL_FILE since is
 * not copied (false), for the caller to copy as a large one. `tmp` is created with its final
 * mode where open's `mode & ~umask` gives it (always for plain files: DVC's copy gives
 * `0666 & ~umask`; for isexec unless the umask masks x bits differently from r bits), else
 * chmodded after.
 */
async function copySmall(
  src: string,
  tmp: string,
  dest: string,
  opts: PlaceOptions,
): Promise<boolean> {
  const isexec = opts.isexec ?? false;
  const want = workspaceMode(isexec);
  const mode = isexec ? 0o777 : 0o666;
  const outcome = await smallCopy({
    src,
    data: opts.bytes,
    tmp,
    dest,
    mode,
    chmod: (mode & ~currentUmask()) !== want ? want : undefined,
    limit: Math.min(opts.size + 1, SMALL_FILE),
  });
  return 'done' in outcome;
}

/** Builds `tmp` from the cache object `src` with one link type. */
async function build(type: LinkType, src: string, tmp: string, opts: PlaceOptions): Promise<void> {
  switch (type) {
    case 'reflink':
      await copyFile(src, tmp, constants.COPYFILE_FICLONE_FORCE);
      // A clone carries the cache's 0444; DVC gives reflinks the mode of a new file.
      await chmod(tmp, workspaceMode(opts.isexec ?? false));
      return;
    case 'copy':
      await copyFile(src, tmp);
      await chmod(tmp, workspaceMode(opts.isexec ?? false));
      return;
    case 'hardlink':
      if (opts.size === 0) {
        await writeFile(tmp, '', { mode: workspaceMode(opts.isexec ?? false) });
        return;
      }
      await link(src, tmp);
      return;
    case 'symlink':
      await symlink(resolve(src), tmp);
      return;
  }
}

/**
 * Places cache objects with the first link type that works, remembering which types failed
 * (DVC probes once per checkout; we learn on the first file instead). One Linker serves one
 * checkout: it creates each workspace directory once.
 */
export class Linker {
  private types: LinkType[];
  /** Directories this Linker has made (or found) already. */
  private readonly madeDirs = new Set<string>();

  constructor(types: readonly LinkType[] = DEFAULT_LINK_TYPES) {
    this.types = parseLinkTypes(types);
  }

  /** The link types still in play, best first. */
  get available(): readonly LinkType[] {
    return this.types;
  }

  /** Creates `dir` unless done before; true if it was (re)checked now. */
  private ensureDir(dir: string): boolean {
    if (this.madeDirs.has(dir)) return false;
    try {
      // Not Node's recursive mkdir: it says ENOENT where a read-only file system refuses.
      mkdirpSync(dir);
    } catch (err) {
      // Named as the directory that could not be made; EEXIST and ENOTDIR stay raw (the
      // caller names the file in the way).
      throw orAccessError(err);
    }
    this.madeDirs.add(dir);
    // Once per directory a checkout writes into: temp files a killed checkout left here go.
    sweepStaleTemps(dir);
    return true;
  }

  /**
   * Makes `dest` a link to or a copy of the cache object `src`, replacing whatever file is
   * at `dest` atomically. Returns the link type used.
   */
  async place(src: string, dest: string, opts: PlaceOptions): Promise<LinkType> {
    try {
      return await this.placeOnce(src, dest, opts);
    } catch (err) {
      throw placeError(err, dest);
    }
  }

  private async placeOnce(src: string, dest: string, opts: PlaceOptions): Promise<LinkType> {
    const dir = dirname(dest);
    const checked = this.ensureDir(dir);
    try {
      return await this.placeIn(src, dest, opts);
    } catch (err) {
      // A directory made earlier in this checkout that has gone since: make it again.
      if (checked || (err as NodeJS.ErrnoException).code !== 'ENOENT' || existsSync(dir)) throw err;
      this.madeDirs.delete(dir);
      this.ensureDir(dir);
      return this.placeIn(src, dest, opts);
    }
  }

  private async placeIn(src: string, dest: string, opts: PlaceOptions): Promise<LinkType> {
    const candidates = [...this.types];
    let lastError: unknown;
    for (const [i, type] of candidates.entries()) {
      // Another file placed concurrently may have ruled this type out already.
      if (!this.types.includes(type)) continue;
      const small = opts.size < SMALL_FILE;
      // A small file is copied even where reflinks work, when copy is allowed after reflink:
      // DVC falls back to copy too, and a clone of a few blocks saves next to nothing. The
      // reflink is still tried for large files, and for small ones when it is the only choice.
      if (type === 'reflink' && small && candidates.slice(i + 1).includes('copy')) continue;
      const tmp = tempPathBeside(dest);
      try {
        // Built across awaits: tracked, so an interrupt removes it.
        trackTemp(tmp);
        if (!(small && type === 'copy' && (await copySmall(src, tmp, dest, opts)))) {
          await build(type, src, tmp, opts);
          await rename(tmp, dest);
        }
        return type;
      } catch (err) {
        rmSync(tmp, { force: true });
        if (!FALLBACK_CODES.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
        lastError = err;
        // Rule the type out for the rest of this checkout, but always keep one to report.
        if (this.types.length > 1) this.types = this.types.filter((t) => t !== type);
      } finally {
        untrackTemp(tmp);
      }
    }
    throw lastError;
  }
}

/**
 * A failed write of `dest` as the error a user can act on: it names `dest` (Node's names the
 * temp file it was built under) and says why. Other errors are returned unchanged.
 */
function placeError(err: unknown, dest: string): unknown {
  if (isNoSpaceError(err)) return noSpaceError(dest, err);
  if ((err as NodeJS.ErrnoException).code === 'ENAMETOOLONG') return pathTooLongError(dest, err);
  return isAccessError(err) ? accessError(dest, err) : err;
}
