import { resolve } from 'node:path';
import { FileHasher, type HashPathsOptions } from './hash-paths.js';
import { compareCodePoints, manifestHash, serializeManifest } from './manifest.js';
import type { DirectoryHash, ManifestEntry } from './types.js';
import { walkFiles, type WalkOptions } from './walk.js';

export interface HashDirectoryOptions extends HashPathsOptions {
  /** Repository root for `.dvcignore` rules above the directory (default: found upward). */
  repoRoot?: WalkOptions['repoRoot'];
}

const SURROGATE = /[\ud800-\udfff]/;

/** Lets the hash workers take files about this often while the walk goes on. */
const PAUSE_EVERY_FILES = 256;

/**
 * Hashes a directory as DVC 3 does for `dvc add`: walks it (see `walkDirectory`), hashes
 * every file (state cache, all cores), and builds the `.dir` manifest. The result's `md5`
 * is the manifest's MD5 plus `.dir`; `size` and `nfiles` are what the `.dvc` file records.
 * Hashing starts while the walk is still going: files go to the hash workers directory by
 * directory, and the workers boot while the first directories are read.
 */
export async function hashDirectory(
  path: string,
  opts: HashDirectoryOptions = {},
): Promise<DirectoryHash> {
  // Without a state, only md5 and size are needed: no stat per file.
  const hasher = new FileHasher({ ...opts, detail: 'content', under: resolve(path) });
  const walked: Array<{ relpath: string; path: string }> = [];
  let sincePause = 0;
  try {
    await walkFiles(path, { repoRoot: opts.repoRoot, stat: false }, async (files) => {
      for (const f of files) {
        walked.push(f);
        hasher.add(f.path);
      }
      sincePause += files.length;
      if (sincePause >= PAUSE_EVERY_FILES) {
        sincePause = 0;
        await hasher.pause();
      }
    });
  } catch (err) {
    hasher.abort();
    throw err;
  }
  const hashed = await hasher.finish();
  const order = walked.map((_, i) => i);
  // Without surrogates, UTF-16 order (JS `<`, native) is code-point order, and far cheaper.
  const rel = walked.map((w) => w.relpath);
  if (rel.some((r) => SURROGATE.test(r))) {
    order.sort((a, b) => compareCodePoints(rel[a]!, rel[b]!));
  } else {
    order.sort((a, b) => (rel[a]! < rel[b]! ? -1 : 1)); // relpaths are distinct
  }
  const entries: ManifestEntry[] = new Array(order.length);
  const files: DirectoryHash['files'] = new Array(order.length);
  let size = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const { relpath, path: abs } = walked[i]!;
    const h = hashed[i]!;
    entries[k] = { md5: h.md5, relpath };
    files[k] = { relpath, path: abs, md5: h.md5, size: h.size };
    size += h.size;
  }
  const manifest = serializeManifest(entries);
  return { md5: manifestHash(manifest), size, nfiles: entries.length, entries, manifest, files };
}
