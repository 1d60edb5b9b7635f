import { statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { BigIntStats } from 'node:fs';
import { NotFoundError, UsageError } from '../errors/index.js';
import { prepareAdd, type AddOptions, type AddResult } from './add.js';
import { addError, writeAdded, type PendingAdd } from './add-write.js';
import { checkOutputs } from './add-checks.js';
import {
  checkTarget,
  legacyOut,
  mergedDvcFile,
  readPrevious,
  type LegacyOut,
  type PreviousDvcFile,
} from './add-shared.js';
import { mapLimit } from '../util/map-limit.js';
import type { DvcOut } from './dvcfile.js';
import { hashItems } from './hash-paths.js';
import { SMALL_FILE_MAX, SmallFileAdder } from './add-small.js';
import { stateEntry, type StateEntry } from './state.js';

/**
 * `dvc add` for many files and directories at once, with the same files as {@link add}
 * called for each path in order: files are hashed in one pass (through the state, on all
 * cores when there are many), copied into the cache concurrently; then each directory's
 * `.gitignore` is read and rewritten once for the whole batch, and the `.dvc` files are
 * written last (add-write.ts).
 *
 * Every path is checked (inside the repository, exists, not inside a symlinked directory,
 * no overlap with other outputs: see add-checks.ts) before anything is written. Objects
 * are all in the cache before the first `.dvc` file names one, and every file is written
 * under a temp name and renamed, so a killed batch leaves no partial object or `.dvc` file;
 * a failed write undoes the batch's `.gitignore` lines and `.dvc` files.
 * Legacy (DVC 2.x) outputs whose content did not change stay legacy, as with {@link add}.
 */

export interface AddManyItem {
  path: string;
  /** The path's stat, when the caller took one (bigint; saves a stat per file). */
  stat?: BigIntStats;
}

/** Files copied into the cache at once. */
const COPY_CONCURRENCY = 16;

function notFound(path: string): NotFoundError {
  return new NotFoundError('ADD_NOT_FOUND', `Cannot add ${path}: no such file or directory`, {
    data: { path },
  });
}

/** Synchronous: one stat of a local file costs less than a thread-pool round trip. */
function statOf(path: string): BigIntStats {
  try {
    return statSync(path, { bigint: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw notFound(path);
    throw err;
  }
}

export async function addMany(
  items: ReadonlyArray<string | AddManyItem>,
  opts: AddOptions,
): Promise<AddResult[]> {
  const repoRoot = resolve(opts.repoRoot);
  const list = items.map((it) => (typeof it === 'string' ? { path: it } : it));
  const abs = list.map((it) => resolve(it.path));
  for (const a of abs) checkTarget(a, repoRoot);
  checkOutputs(abs, repoRoot);
  opts.check?.(abs);
  try {
    return await addChecked(list, abs, opts);
  } catch (err) {
    throw addError(err, opts.cache);
  }
}

/** {@link addMany} once its checks passed. */
async function addChecked(
  list: readonly AddManyItem[],
  abs: readonly string[],
  opts: AddOptions,
): Promise<AddResult[]> {
  // One entry per distinct path; repeats get the first one's result.
  const first = new Map<string, number>(); // path → its index in `unique`
  const unique: number[] = [];
  abs.forEach((a, i) => {
    if (!first.has(a)) first.set(a, unique.push(i) - 1);
  });
  // Taken before hashing: a file that changes until its copy is complete is not stored.
  const stats = unique.map((i) => list[i]!.stat ?? statOf(abs[i]!));
  let files: number[] = [];
  const dirs: number[] = [];
  unique.forEach((i, k) => {
    const st = stats[k]!;
    if (st.isFile()) files.push(k);
    else if (st.isDirectory()) dirs.push(k);
    else {
      throw new UsageError(
        'ADD_BAD_PATH',
        `Cannot add ${list[i]!.path}: not a regular file or directory`,
        {
          hint: 'Only regular files and directories can be versioned (not sockets, FIFOs or devices); give a file or a directory.',
          data: { path: list[i]!.path },
        },
      );
    }
  });

  const { cache, state } = opts;
  const pending = new Array<PendingAdd>(unique.length);
  const dvcFileOf = (k: number) => `${abs[unique[k]!]!}.dvc`;
  const previous = new Map<number, PreviousDvcFile>();
  for (const k of files) {
    const p = readPrevious(dvcFileOf(k));
    if (p) previous.set(k, p);
  }
  const unchanged = await keptLegacy(files, previous, (k) => abs[unique[k]!]!, stats, opts);
  for (const [k, r] of unchanged) {
    const result = {
      ...r,
      dvcFilePath: dvcFileOf(k),
      changed: { dvcFile: false, gitignore: false },
    };
    pending[k] = { abs: abs[unique[k]!]!, result };
  }
  if (unchanged.size > 0) files = files.filter((k) => !unchanged.has(k));
  if (files.length > 0) {
    const hashed = new Array<{ md5: string; size: number; isexec?: boolean }>(files.length);
    const added = new Array<boolean>(files.length);
    const large: number[] = []; // positions in `files`
    const small = new SmallFileAdder(cache, state);
    try {
      files.forEach((k, n) => {
        if (stats[k]!.size > BigInt(SMALL_FILE_MAX)) {
          large.push(n);
          return;
        }
        const r = small.add(abs[unique[k]!]!, stats[k]!);
        hashed[n] = r;
        added[n] = r.added;
      });
    } finally {
      small.flush();
    }
    const bigHashes = await hashItems(
      large.map((n) => ({ path: abs[unique[files[n]!]!]!, size: Number(stats[files[n]!]!.size) })),
      { state, jobs: opts.jobs, hashName: 'md5' },
    );
    large.forEach((n, j) => (hashed[n] = bigHashes[j]!));
    // Each object once (two files with one content: the first copies, the rest find it).
    const copied = new Map<string, Promise<boolean>>();
    const written: StateEntry[] = [];
    const bigAdded = await mapLimit(large, COPY_CONCURRENCY, async (n) => {
      const k = files[n]!;
      const { md5 } = hashed[n]!;
      const known = copied.get(md5);
      if (known) {
        await known;
        return false;
      }
      const st = stats[k]!;
      const hashedStat = { ino: st.ino, mtimeNs: st.mtimeNs, size: Number(st.size) };
      const copy = cache.addFile(abs[unique[k]!]!, md5, { hashedStat }).then((r) => {
        if (r.stat) written.push(stateEntry(r.path, md5, r.stat));
        return r.added;
      });
      copied.set(md5, copy);
      return copy;
    });
    large.forEach((n, j) => (added[n] = bigAdded[j]!));
    state?.setMany(written);
    files.forEach((k, n) => {
      const { md5, size, isexec } = hashed[n]!;
      const out: DvcOut = { md5, size, hashName: 'md5', path: basename(abs[unique[k]!]!) };
      if (isexec) out.isexec = true;
      const before = previous.get(k);
      const file = mergedDvcFile(before?.file, out);
      const result: AddResult = {
        out: file.outs[0]!,
        dvcFilePath: dvcFileOf(k),
        objects: added[n] ? { added: 1, existing: 0 } : { added: 0, existing: 1 },
        changed: { dvcFile: false, gitignore: false },
      };
      pending[k] = { abs: abs[unique[k]!]!, result, dvcFile: { file, previousText: before?.text } };
    });
  }
  // Directories go through add() one at a time (it hashes and copies on all cores itself).
  for (const k of dirs) pending[k] = await prepareAdd(abs[unique[k]!]!, opts);
  // Every object is in the cache before the first .dvc file names one.
  await writeAdded(pending, opts.gitignore !== false);

  const results = pending.map((p) => p.result);
  return abs.map((a, i) => {
    const k = first.get(a)!;
    const r = results[k]!;
    if (unique[k] === i) return r;
    // add() of the same path again finds every object in the cache, and changes nothing.
    return {
      ...r,
      objects: { added: 0, existing: r.objects.added + r.objects.existing },
      changed: { dvcFile: false, gitignore: false },
    };
  });
}

/**
 * The files among `files` (indexes into `stats`) whose `.dvc` file has a legacy entry that
 * their content still hashes to with md5-dos2unix: their objects are stored in the legacy
 * cache layout, and their `.dvc` files are left as they are (results without `dvcFilePath`).
 * Files whose content changed are left to the DVC 3 path (hashed again, with md5).
 */
async function keptLegacy(
  files: readonly number[],
  previous: ReadonlyMap<number, PreviousDvcFile>,
  pathOf: (k: number) => string,
  stats: readonly BigIntStats[],
  opts: AddOptions,
): Promise<Map<number, Omit<AddResult, 'dvcFilePath'>>> {
  const candidates: Array<[number, LegacyOut]> = [];
  for (const k of files) {
    const old = legacyOut(previous.get(k)?.file, basename(pathOf(k)), false);
    if (old) candidates.push([k, old]);
  }
  const kept = new Map<number, Omit<AddResult, 'dvcFilePath'>>();
  if (candidates.length === 0) return kept;
  const hashes = await hashItems(
    candidates.map(([k]) => ({ path: pathOf(k), size: Number(stats[k]!.size) })),
    { state: opts.state, jobs: opts.jobs, hashName: 'md5-dos2unix' },
  );
  const same = candidates.filter(([, old], i) => hashes[i]!.md5 === old.md5);
  const written: StateEntry[] = [];
  await mapLimit(same, COPY_CONCURRENCY, async ([k, old]) => {
    const st = stats[k]!;
    const hashedStat = { ino: st.ino, mtimeNs: st.mtimeNs, size: Number(st.size) };
    const r = await opts.cache.addFile(pathOf(k), old.md5, { hashedStat, legacy: true });
    if (r.stat) written.push(stateEntry(r.path, old.md5, r.stat, 'md5-dos2unix'));
    kept.set(k, {
      out: old,
      objects: r.added ? { added: 1, existing: 0 } : { added: 0, existing: 1 },
    });
  });
  opts.state?.setMany(written);
  return kept;
}
