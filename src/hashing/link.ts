import { constants } from 'node:fs';
import { chmod, copyFile, link, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors/index.js';
import { tempPathBeside } from '../fs/atomic.js';

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
 * (DVC probes once per checkout; we learn on the first file instead).
 */
export class Linker {
  private types: LinkType[];

  constructor(types: readonly LinkType[] = DEFAULT_LINK_TYPES) {
    this.types = parseLinkTypes(types);
  }

  /** The link types still in play, best first. */
  get available(): readonly LinkType[] {
    return this.types;
  }

  /**
   * Makes `dest` a link to or a copy of the cache object `src`, replacing whatever file is
   * at `dest` atomically. Returns the link type used.
   */
  async place(src: string, dest: string, opts: PlaceOptions): Promise<LinkType> {
    await mkdir(dirname(dest), { recursive: true });
    const candidates = [...this.types];
    let lastError: unknown;
    for (const type of candidates) {
      // Another file placed concurrently may have ruled this type out already.
      if (!this.types.includes(type)) continue;
      const tmp = tempPathBeside(dest);
      try {
        await build(type, src, tmp, opts);
        await rename(tmp, dest);
        return type;
      } catch (err) {
        await rm(tmp, { force: true });
        if (!FALLBACK_CODES.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
        lastError = err;
        // Rule the type out for the rest of this checkout, but always keep one to report.
        if (this.types.length > 1) this.types = this.types.filter((t) => t !== type);
      }
    }
    throw lastError;
  }
}
