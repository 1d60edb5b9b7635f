import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { NotFoundError, UsageError } from '../errors/index.js';
import { mapLimit } from '../util/map-limit.js';
import type { AddObjectResult, LocalCache } from './cache.js';
import { hashDirectory } from './dir-hash.js';
import { checkOutputs } from './add-checks.js';
import { checkTarget, legacyOut, mergedDvcFile, readPrevious } from './add-shared.js';
import { addError, writeAdded, type PendingAdd } from './add-write.js';
import type { DvcOut } from './dvcfile.js';
import { hashItems } from './hash-paths.js';
import { stateEntry, type HashState, type StateEntry } from './state.js';

/**
 * `dvc add` for one file or directory: hash it, store its objects in the cache, write the
 * `/<name>` line of the `.gitignore` beside it and then `<path>.dvc` (see add-write.ts for
 * why in this order). When one of these writes fails, the others are undone.
 *
 * An output whose `.dvc` file is a legacy (DVC 2.x) one and whose content still hashes to
 * the recorded md5-dos2unix id stays legacy, as with DVC: its `.dvc` file is left as it is
 * and its objects go to the legacy cache layout. Otherwise an existing `.dvc` file is written
 * over keeping its comments and key order (see `updateDvcFileText`), and not at all when its
 * entry does not change.
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
  /**
   * The caller's own checks of the absolute paths (a typed error refuses them), run after
   * the built-in ones and before anything is written.
   */
  check?: (paths: readonly string[]) => void;
}

export interface AddResult {
  /**
   * The entry of the `.dvc` file: `hashName` `md5-dos2unix` when a legacy output was kept
   * (its objects are in the legacy layouts of cache and remote).
   */
  out: DvcOut;
  dvcFilePath: string;
  /** The `.gitignore` that holds the entry (undefined when `gitignore: false`). */
  gitignorePath?: string;
  /** Cache objects written now, and those that were already there (not rewritten). */
  objects: { added: number; existing: number };
  /** What changed in the work tree, for {@link undoAdd} (cache objects are not undone). */
  changed?: AddChanges;
}

export interface AddChanges {
  /** The `.dvc` file was written, replacing `previousDvcText` (undefined: there was none). */
  dvcFile: boolean;
  previousDvcText?: string;
  /** The `.gitignore` line was added now. */
  gitignore: boolean;
}

/**
 * `dvc add` refuses paths inside symlinked directories and outputs that overlap (see
 * add-checks.ts); so does this, before writing anything.
 */
export async function add(path: string, opts: AddOptions): Promise<AddResult> {
  const repoRoot = resolve(opts.repoRoot);
  const abs = resolve(path);
  checkTarget(abs, repoRoot);
  checkOutputs([abs], repoRoot);
  opts.check?.([abs]);
  try {
    const pending = await prepareAdd(path, opts);
    await writeAdded([pending], opts.gitignore !== false);
    return pending.result;
  } catch (err) {
    throw addError(err, opts.cache);
  }
}

/**
 * @internal {@link add} once its checks passed (`addMany` checks a whole batch first), up to
 * the work tree: hashes, stores the objects, and says what {@link writeAdded} is to write.
 */
export async function prepareAdd(path: string, opts: AddOptions): Promise<PendingAdd> {
  const repoRoot = resolve(opts.repoRoot);
  const abs = resolve(path);
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
  const count = (r: AddObjectResult, md5: string, legacy = false): void => {
    objects[r.added ? 'added' : 'existing']++;
    if (r.stat) {
      written.push(stateEntry(r.path, md5, r.stat, legacy ? 'md5-dos2unix' : 'md5'));
    }
  };
  const dvcFilePath = `${abs}.dvc`;
  const previous = readPrevious(dvcFilePath);
  const legacy = legacyOut(previous?.file, name, st.isDirectory());
  let out: DvcOut;
  /** The legacy entry, when the content still has its id. */
  let kept: DvcOut | undefined;

  if (st.isDirectory()) {
    const hashDir = (hashName: 'md5' | 'md5-dos2unix') =>
      hashDirectory(abs, { state, jobs: opts.jobs, repoRoot, hashName });
    let dir = legacy ? await hashDir('md5-dos2unix') : undefined;
    if (dir && dir.md5 === legacy!.md5) kept = legacy;
    else dir = await hashDir('md5');
    const objOpts = { legacy: kept !== undefined };
    await mapLimit(dir.files, Math.max(1, opts.jobs ?? 4), async (f) => {
      count(await cache.addFile(f.path, f.md5, objOpts), f.md5, objOpts.legacy);
    });
    // The manifest goes last: a `.dir` in the cache vouches for all of its files.
    const r = await cache.addBytes(dir.md5, dir.manifest, objOpts);
    count(r, dir.md5.slice(0, 32), objOpts.legacy);
    out = { md5: dir.md5, size: dir.size, nfiles: dir.nfiles, hashName: 'md5', path: name };
  } else if (st.isFile()) {
    const hashedStat = { ino: st.ino, mtimeNs: st.mtimeNs, size: Number(st.size) };
    const hashAs = async (hashName: 'md5' | 'md5-dos2unix') =>
      (await hashItems([{ path: abs, size: hashedStat.size }], { state, jobs: 1, hashName }))[0]!;
    let h = legacy ? await hashAs('md5-dos2unix') : undefined;
    if (h && h.md5 === legacy!.md5) kept = legacy;
    else h = await hashAs('md5');
    const { md5, size, isexec } = h;
    const legacyObject = kept !== undefined;
    count(await cache.addFile(abs, md5, { hashedStat, legacy: legacyObject }), md5, legacyObject);
    out = { md5, size, hashName: 'md5', path: name };
    if (isexec) out.isexec = true;
  } else {
    throw new UsageError('ADD_BAD_PATH', `Cannot add ${path}: not a regular file or directory`, {
      hint: 'Only regular files and directories can be versioned (not sockets, FIFOs or devices); give a file or a directory.',
      data: { path },
    });
  }

  // The new objects' hashes too: a push or checkout then trusts them after one stat each.
  state?.setMany(written);

  const changed: AddChanges = { dvcFile: false, gitignore: false };
  if (kept) return { abs, result: { out: kept, dvcFilePath, objects, changed } };
  const file = mergedDvcFile(previous?.file, out);
  return {
    abs,
    result: { out: file.outs[0]!, dvcFilePath, objects, changed },
    dvcFile: { file, previousText: previous?.text },
  };
}
