import { hashItems, type HashPathsOptions } from './hash-paths.js';
import { compareCodePoints, manifestHash, serializeManifest } from './manifest.js';
import type { DirectoryHash, ManifestEntry } from './types.js';
import { walkDirectory, type WalkOptions } from './walk.js';

export interface HashDirectoryOptions extends HashPathsOptions {
  /** Repository root for `.dvcignore` rules above the directory (default: found upward). */
  repoRoot?: WalkOptions['repoRoot'];
}

/**
 * Hashes a directory as DVC 3 does for `dvc add`: walks it (see `walkDirectory`), hashes
 * every file (state cache, all cores), and builds the `.dir` manifest. The result's `md5`
 * is the manifest's MD5 plus `.dir`; `size` and `nfiles` are what the `.dvc` file records.
 */
export async function hashDirectory(
  path: string,
  opts: HashDirectoryOptions = {},
): Promise<DirectoryHash> {
  const walked = await walkDirectory(path, { repoRoot: opts.repoRoot, stat: false });
  walked.sort((a, b) => compareCodePoints(a.relpath, b.relpath));
  const hashed = await hashItems(walked, opts);
  const entries: ManifestEntry[] = [];
  const files: DirectoryHash['files'] = [];
  let size = 0;
  for (let i = 0; i < walked.length; i++) {
    const { relpath, path: abs } = walked[i]!;
    const h = hashed[i]!;
    entries.push({ md5: h.md5, relpath });
    files.push({ relpath, path: abs, md5: h.md5, size: h.size });
    size += h.size;
  }
  const manifest = serializeManifest(entries);
  return { md5: manifestHash(manifest), size, nfiles: entries.length, entries, manifest, files };
}
