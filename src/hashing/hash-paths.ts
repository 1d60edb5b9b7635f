import { availableParallelism } from 'node:os';
import { statSync } from 'node:fs';
import { isAbsolute, normalize, resolve } from 'node:path';
import { toCmfError, type CmfError } from '../errors/index.js';
import { hashFileDetailed } from './file-hash.js';
import {
  HIT_EXEC,
  RECHECK,
  type CachedTuple,
  type HashedContent,
  type HashedFile,
} from './hash-core.js';
import {
  HashPool,
  hashRangeSync,
  unwrapResults,
  type HashDetail,
  type TaskResult,
  type WorkerFailure,
} from './hash-pool.js';
import type { HashState, StateEntry } from './state.js';
import type { FileHash, HashName } from './types.js';

export interface HashPathsOptions {
  /** The state cache to consult and update; without it every file is read. */
  state?: HashState;
  /** Threads to hash on (default: all cores). 1 hashes on the calling thread only. */
  jobs?: number;
  hashName?: HashName;
}

/** A file to hash, with its size when the caller already knows it (for batching). */
export interface HashItem {
  path: string;
  size?: number;
}

/** Below these totals, starting workers costs more than it saves. */
const POOL_MIN_FILES = 256;
/**
 * A file with a state entry is usually only stat'ed (~6 µs here), about a quarter of the
 * work of reading and hashing a small file, so it counts as that much toward POOL_MIN_FILES.
 */
const STAT_WORK = 0.25;
const POOL_MIN_BYTES = 64 << 20;
/** From this many lookups on, the state reads all its rows at once (see `HashState.prepare`). */
const PREPARE_MIN_FILES = 256;
/** Files at least this large are hashed asynchronously when hashing on the main thread. */
const ASYNC_MIN_BYTES = 8 << 20;

/**
 * Hashes files as they are added, through the state cache: a file whose (inode, mtime,
 * size) matches its state entry is only stat'ed. Once enough files are known the work goes
 * to a `HashPool` (workers booting while the caller is still finding files, stats and reads
 * on all cores); a few files are hashed on this thread. New hashes are saved to the state
 * in one transaction at the end.
 */
export class FileHasher {
  private readonly hashName: HashName;
  private readonly jobs: number;
  private readonly state: HashState | undefined;
  private readonly detail: HashDetail;
  private readonly paths: string[] = [];
  private readonly sizes: Array<number | undefined> = [];
  private readonly cached: Array<CachedTuple | undefined> = [];
  private knownBytes = 0;
  /** Files to read, plus STAT_WORK per file with a state entry. */
  private work = 0;
  private pool: HashPool | undefined;
  private prepared = false;
  private readonly under: string | undefined;

  /**
   * `detail: 'content'` (only allowed without a state) skips the per-file stat: results then
   * hold md5 and size only. `expected` is how many files will come, when known; `under`,
   * a directory all of them are below (the state then loads only its rows).
   */
  constructor(
    opts: HashPathsOptions & { detail?: HashDetail; expected?: number; under?: string } = {},
  ) {
    this.hashName = opts.hashName ?? 'md5';
    this.jobs = Math.max(1, opts.jobs ?? availableParallelism());
    this.state = opts.state?.enabled ? opts.state : undefined;
    this.detail = this.state ? 'full' : (opts.detail ?? 'full');
    this.under = opts.under;
    if ((opts.expected ?? 0) >= PREPARE_MIN_FILES) this.prepare(opts.expected!);
  }

  get count(): number {
    return this.paths.length;
  }

  /** Queues a file (`path` absolute and normalised). */
  add(path: string, size?: number): void {
    const n = this.paths.length;
    if (n === PREPARE_MIN_FILES) this.prepare(n);
    const cached = this.state?.lookupRow(path, this.hashName);
    this.paths.push(path);
    this.sizes.push(size);
    this.cached.push(cached);
    this.knownBytes += size ?? 0;
    this.work += cached ? STAT_WORK : 1;
    if (this.pool) {
      this.pool.add(path, size, cached);
    } else if (
      this.jobs > 1 &&
      n + 1 > 1 &&
      (this.work >= POOL_MIN_FILES || this.knownBytes >= POOL_MIN_BYTES)
    ) {
      this.pool = new HashPool({ hashName: this.hashName, jobs: this.jobs, detail: this.detail });
      for (let i = 0; i <= n; i++) this.pool.add(this.paths[i]!, this.sizes[i], this.cached[i]);
    }
  }

  /** Lets workers take queued files; call now and then while adding many. */
  async pause(): Promise<void> {
    await this.pool?.pause();
  }

  /** Stops the workers without waiting for results (after an error while adding files). */
  abort(): void {
    this.pool?.close();
  }

  /** Results in the order files were added; the first unreadable file throws a CmfError. */
  async finish(): Promise<Array<HashedContent & Partial<HashedFile>>> {
    const raw = this.pool ? await this.pool.finish() : await this.hashOnThisThread();
    const results: Array<HashedContent & Partial<HashedFile>> = new Array(raw.length);
    const entries: StateEntry[] = [];
    for (let i = 0; i < raw.length; i++) {
      const r = raw[i]!;
      if (typeof r === 'number' && r !== RECHECK) {
        // Unchanged: the stat matched the entry, so the entry's md5 and size are the file's.
        const row = this.cached[i]!;
        results[i] = { md5: row[3], size: row[2], isexec: r === HIT_EXEC };
      } else if (r === RECHECK) {
        const exact = this.exactHit(this.paths[i]!);
        if (exact) {
          results[i] = exact;
          continue;
        }
        const [h] = await hashOnThisThread([this.paths[i]!], this.hashName);
        results[i] = h!;
        entries.push({ path: this.paths[i]!, hashName: this.hashName, ...h! });
      } else {
        results[i] = r;
        if ('ino' in r) entries.push({ path: this.paths[i]!, hashName: this.hashName, ...r });
      }
    }
    if (this.state && entries.length > 0) this.state.setMany(entries);
    return results;
  }

  private prepare(count: number): void {
    if (this.prepared) return;
    this.prepared = true;
    this.state?.prepare(this.hashName, count, this.under);
  }

  /** A file whose inode number a double cannot hold: compare with an exact (bigint) stat. */
  private exactHit(path: string): HashedFile | undefined {
    const big = statSync(path, { bigint: true, throwIfNoEntry: false });
    if (!big) return undefined;
    const key = { ino: big.ino, mtimeNs: big.mtimeNs, size: Number(big.size) };
    const md5 = this.state!.get(path, key, this.hashName);
    return md5 === undefined ? undefined : { md5, ...key, isexec: (big.mode & 0o111n) !== 0n };
  }

  private async hashOnThisThread(): Promise<TaskResult[]> {
    const out: Array<TaskResult | WorkerFailure | undefined> = new Array(this.paths.length);
    const keys: number[] = [];
    for (const c of this.cached) {
      if (c) keys.push(c[0], c[1], c[2]);
      else keys.push(NaN, 0, 0);
    }
    for (let i = 0; i < this.paths.length; i++) {
      const cached = this.cached[i];
      if (!cached && (this.sizes[i] ?? 0) >= ASYNC_MIN_BYTES) {
        out[i] = await hashFileDetailed(this.paths[i]!, { hashName: this.hashName }).catch(
          (e: NodeJS.ErrnoException) => ({ error: { message: e.message, code: e.code } }),
        );
      } else {
        hashRangeSync(this.paths, this.hashName, out, [i, i + 1], this.detail, keys);
      }
    }
    return unwrapResults<TaskResult>(this.paths, out);
  }
}

/** Hashes with stats on this thread, without the state. */
async function hashOnThisThread(
  paths: readonly string[],
  hashName: HashName,
): Promise<HashedFile[]> {
  const hasher = new FileHasher({ hashName, jobs: 1 });
  for (const p of paths) hasher.add(p);
  return (await hasher.finish()) as HashedFile[];
}

/**
 * Hashes files through the state cache: a file whose (inode, mtime_ns, size) matches its
 * state entry is not read. The rest are hashed on all cores when there are enough of them,
 * else on this thread; their results are saved to the state in one transaction.
 * Results are in the order of `items`; a missing or unreadable file throws a CmfError.
 */
export async function hashItems(
  items: readonly HashItem[],
  opts: HashPathsOptions = {},
): Promise<HashedFile[]> {
  const hasher = new FileHasher({ ...opts, expected: items.length });
  const abs = items.map((it) => absolute(it.path));
  for (let i = 0; i < items.length; i++) hasher.add(abs[i]!, items[i]!.size);
  const results = await hasher.finish();
  for (let i = 0; i < results.length; i++) {
    const r = results[i]!;
    if (r.ino === undefined) {
      // A state hit: the stat matched the entry, so its inode and mtime are the entry's.
      const row = opts.state!.lookupRow(abs[i]!, opts.hashName ?? 'md5')!;
      r.ino = BigInt(row[0]);
      r.mtimeNs = BigInt(row[4]);
    }
  }
  return results as HashedFile[];
}

/**
 * {@link hashItems}, with each item's failure in its place instead of one error for all:
 * the batch is tried first, and only when it fails (one unreadable file fails it) are the
 * items hashed one by one to find which.
 */
export async function hashItemsSettled(
  items: readonly HashItem[],
  opts: HashPathsOptions = {},
): Promise<Array<HashedFile | CmfError>> {
  try {
    return await hashItems(items, opts);
  } catch {
    const out: Array<HashedFile | CmfError> = [];
    for (const it of items) out.push(await hashItems([it], opts).then((r) => r[0]!, toCmfError));
    return out;
  }
}

/** `resolve`, skipping its cost (cwd lookup, normalising) for paths that are already fine. */
function absolute(p: string): string {
  return isAbsolute(p) && normalize(p) === p ? p : resolve(p);
}

/**
 * Hashes many files (DVC 3 md5 by default), skipping unchanged ones through `state`, on all
 * cores. Keys of the result are the paths as given.
 */
export async function hashPaths(
  paths: readonly string[],
  opts: HashPathsOptions = {},
): Promise<Map<string, FileHash>> {
  const unique = [...new Set(paths)];
  const hashed = await hashItems(
    unique.map((path) => ({ path })),
    opts,
  );
  const map = new Map<string, FileHash>();
  for (let i = 0; i < unique.length; i++) {
    const { md5, size, isexec } = hashed[i]!;
    map.set(unique[i]!, { md5, size, isexec });
  }
  return map;
}
