import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { NotFoundError, UsageError } from '../errors/index.js';
import { mapLimit } from '../util/map-limit.js';
import type { AddObjectResult, LocalCache } from './cache.js';
import { hashDirectory } from './dir-hash.js';
import { checkTarget, nextDvcFile } from './add-shared.js';
import { writeDvcFile, type DvcOut } from './dvcfile.js';
import { addToGitignore } from './gitignore.js';
import { hashItems } from './hash-paths.js';
import { stateEntry, type HashState, type StateEntry } from './state.js';

/**
 * `dvc add` for one file or directory: hash it, store its objects in the cache, write
 * `<path>.dvc` and the `/<name>` line of the `.gitignore` beside it.
 *
 * Unlike DVC, the workspace is not relinked from the cache afterwards: the file already
 * holds the content, and with the default link types (reflink, copy) relinking would only
 * replace it with an identical copy. Callers that use hardlink/symlink cache types can run
 * `checkout` on the returned entry to get links.
 */

export interface AddOptions {
  repoRoot: string;
  cache: LocalCache;
  state?: HashState;
  /** Threads for hashing and files copied into the cache at once. */
  jobs?: number;
  /** Write the `.gitignore` entry (default true; DVC skips it without git). */
  gitignore?: boolean;
}

export interface AddResult {
  /** The entry written to the `.dvc` file. */
  out: DvcOut;
  dvcFilePath: string;
  /** The `.gitignore` that holds the entry (undefined when `gitignore: false`). */
  gitignorePath?: string;
  /** Cache objects written now, and those that were already there (not rewritten). */
  objects: { added: number; existing: number };
}

export async function add(path: string, opts: AddOptions): Promise<AddResult> {
  const repoRoot = resolve(opts.repoRoot);
  const abs = resolve(path);
  checkTarget(abs, repoRoot);
  // Taken before hashing: if the file changes from here until its copy is complete, the copy
  // is discarded rather than stored under a hash of other content.
  const st = await stat(abs, { bigint: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') {
      throw new NotFoundError('ADD_NOT_FOUND', `Cannot add ${path}: no such file or directory`, {
        data: { path },
      });
    }
    throw err;
  });
  const { cache, state } = opts;
  const name = basename(abs);
  const objects = { added: 0, existing: 0 };
  const written: StateEntry[] = [];
  const count = (r: AddObjectResult, md5: string): void => {
    objects[r.added ? 'added' : 'existing']++;
    if (r.stat) written.push(stateEntry(r.path, md5, r.stat));
  };
  let out: DvcOut;

  if (st.isDirectory()) {
    const dir = await hashDirectory(abs, { state, jobs: opts.jobs, repoRoot, hashName: 'md5' });
    await mapLimit(dir.files, Math.max(1, opts.jobs ?? 4), async (f) => {
      count(await cache.addFile(f.path, f.md5), f.md5);
    });
    // The manifest goes last: a `.dir` in the cache vouches for all of its files.
    count(await cache.addBytes(dir.md5, dir.manifest), dir.md5.slice(0, 32));
    out = { md5: dir.md5, size: dir.size, nfiles: dir.nfiles, hashName: 'md5', path: name };
  } else if (st.isFile()) {
    const [h] = await hashItems([{ path: abs, size: Number(st.size) }], {
      state,
      jobs: 1,
      hashName: 'md5',
    });
    const { md5, size, isexec } = h!;
    const hashedStat = { ino: st.ino, mtimeNs: st.mtimeNs, size: Number(st.size) };
    count(await cache.addFile(abs, md5, { hashedStat }), md5);
    out = { md5, size, hashName: 'md5', path: name };
    if (isexec) out.isexec = true;
  } else {
    throw new UsageError('ADD_BAD_PATH', `Cannot add ${path}: not a regular file or directory`, {
      data: { path },
    });
  }

  // The new objects' hashes too: a push or checkout then trusts them after one stat each.
  state?.setMany(written);

  const dvcFilePath = `${abs}.dvc`;
  const file = await nextDvcFile(dvcFilePath, out);
  await writeDvcFile(dvcFilePath, file);
  const result: AddResult = { out: file.outs[0]!, dvcFilePath, objects };
  if (opts.gitignore !== false)
    result.gitignorePath = (await addToGitignore(dirname(abs), name)).path;
  return result;
}
