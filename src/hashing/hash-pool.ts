import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import { fsErrorToCmf } from './file-hash.js';
import {
  CHUNK_SIZE,
  checkCached,
  hashContentSync,
  hashFileSync,
  type CacheVerdict,
  type CachedTuple,
  type HashedContent,
  type HashedFile,
} from './hash-core.js';
import type { HashName } from './types.js';

/**
 * What to return for a file that is read: `full` adds the stat fields the state cache keys
 * on (an fstat per file); `content` is md5 and size only.
 */
export type HashDetail = 'full' | 'content';

/**
 * A batch of files for one worker. `keys[3i..3i+2]` are the inode, mtimeMs and size of the
 * state entry of `paths[i]` (NaN inode: none); the worker needs no more of the entry.
 */
export interface WorkerRequest {
  id: number;
  paths: string[];
  hashName: HashName;
  detail: HashDetail;
  keys?: Float64Array;
}

export interface WorkerFailure {
  error: { message: string; code?: string };
}

/** The outcome for one file: read (`HashedFile` or `HashedContent`), or a state verdict. */
export type TaskResult = HashedFile | HashedContent | CacheVerdict;

export interface WorkerReply {
  id: number;
  results: Array<TaskResult | WorkerFailure>;
}

/**
 * The worker script beside this module: `hash-worker.js` in dist, or `hash-worker.ts` when
 * this module itself runs from sources (vitest), which Node 24 loads by stripping types.
 * Named from the parent directory: in the fast path's bundle (dist/fast/, see
 * rolldown.config.mjs) this code runs from another directory of dist.
 */
export function hashWorkerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`../hashing/hash-worker${ext}`, import.meta.url);
}

export interface PoolOptions {
  hashName: HashName;
  /** Threads in all, the main thread included (so `jobs - 1` workers). */
  jobs: number;
  /** Default `full`. */
  detail?: HashDetail;
  /** Known file sizes (same order as paths), used to keep batches to a few MiB. */
  sizes?: ReadonlyArray<number | undefined>;
  /** Let the main thread hash too (default true); false leaves it to the workers. */
  mainThread?: boolean;
  /** Filled in with how many files each side hashed (diagnostics, tests). */
  stats?: { mainFiles: number; workerFiles: number };
}

/** Files per batch: small enough to balance load, large enough to amortise a message. */
const WORKER_BATCH_FILES = 128;
const MAIN_BATCH_FILES = 32;
const BATCH_BYTES = 16 * CHUNK_SIZE;
const ASSUMED_SIZE = 4096;
/** Batches queued per worker, so it never waits for the main thread to answer. */
const IN_FLIGHT = 2;

type Range = [start: number, end: number];
type Slot = TaskResult | WorkerFailure | undefined;

interface PoolWorker {
  worker: Worker;
  ready: boolean;
  dead: boolean;
  inFlight: Map<number, Range>;
}

let sharedBuffer: Buffer | undefined;

/**
 * Hashes `paths[start..end)` on the calling thread with one reused 1 MiB buffer; a file
 * with a state entry (`cached[i]`) is only stat'ed, and read when it changed.
 */
export function hashRangeSync(
  paths: readonly string[],
  hashName: HashName,
  out: Slot[],
  [start, end]: Range,
  detail: HashDetail = 'full',
  keys?: ArrayLike<number>,
): void {
  sharedBuffer ??= Buffer.allocUnsafe(CHUNK_SIZE);
  for (let i = start; i < end; i++) {
    try {
      out[i] =
        (keys ? checkCached(paths[i]!, keys, 3 * i) : undefined) ??
        (detail === 'full'
          ? hashFileSync(paths[i]!, sharedBuffer, hashName)
          : hashContentSync(paths[i]!, sharedBuffer, hashName));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      out[i] = { error: { message: e.message, code: e.code } };
    }
  }
}

/** Throws the first failure (in path order) as a CmfError; otherwise narrows the results. */
export function unwrapResults<T>(
  paths: readonly string[],
  out: ReadonlyArray<T | WorkerFailure | undefined>,
): T[] {
  for (let i = 0; i < out.length; i++) {
    const r = out[i];
    if (r === undefined || (typeof r === 'object' && r !== null && 'error' in r)) {
      const failure = r as WorkerFailure | undefined;
      const err = Object.assign(new Error(failure?.error.message ?? 'not hashed'), {
        code: failure?.error.code,
      });
      throw fsErrorToCmf(err, paths[i]!);
    }
  }
  return out as T[];
}

const isFailure = (r: Slot): boolean => typeof r === 'object' && 'error' in r;

/**
 * A queue of files hashed on `jobs` threads: `jobs - 1` workers start at construction (they
 * take ~70 ms to boot here), files are added as they are found (`add`, then `flush` and
 * `pause` to let the workers take batches while the caller keeps walking), and `finish`
 * has the main thread hash from the same queue until every file is done. Workers only get
 * batches once they report ready, so nobody waits for a booting worker. A worker that dies
 * has its batches redone on the main thread.
 */
export class HashPool {
  readonly stats: { mainFiles: number; workerFiles: number };
  private readonly hashName: HashName;
  private readonly detail: HashDetail;
  private readonly useMain: boolean;
  private readonly paths: string[] = [];
  private readonly sizes: Array<number | undefined> = [];
  /** Inode, mtimeMs and size of each file's state entry, 3 per file (NaN inode: none). */
  private readonly keys: number[] = [];
  private readonly out: Slot[] = [];
  private readonly workers: PoolWorker[] = [];
  private readonly redo: Range[] = [];
  private next = 0;
  private closed = false;
  private failed = false;
  private anyCached = false;
  private batchId = 0;
  private wake: (() => void) | undefined;

  constructor(opts: PoolOptions & { maxWorkers?: number }) {
    this.hashName = opts.hashName;
    this.detail = opts.detail ?? 'full';
    this.useMain = opts.mainThread ?? true;
    this.stats = opts.stats ?? { mainFiles: 0, workerFiles: 0 };
    const count = Math.min(
      this.useMain ? opts.jobs - 1 : opts.jobs,
      opts.maxWorkers ?? Number.POSITIVE_INFINITY,
    );
    for (let k = 0; k < count; k++) this.workers.push(this.spawn());
  }

  /** Queues a file; `cached` is its state entry (the file is then only stat'ed if unchanged). */
  add(path: string, size?: number, cached?: CachedTuple): void {
    this.paths.push(path);
    this.sizes.push(size);
    if (cached) {
      this.keys.push(cached[0], cached[1], cached[2]);
      this.anyCached = true;
    } else {
      this.keys.push(NaN, 0, 0);
    }
  }

  /** Hands queued files to idle workers. */
  flush(): void {
    for (const pw of this.workers) this.feed(pw);
  }

  /** Flushes, then lets worker messages in (call now and then while adding files). */
  async pause(): Promise<void> {
    this.flush();
    await yieldToEventLoop();
  }

  /**
   * No more files: hashes the rest on this thread alongside the workers, stops them, and
   * returns the results in the order files were added; the first failure throws a CmfError.
   */
  async finish(): Promise<TaskResult[]> {
    this.closed = true;
    this.flush();
    const n = this.paths.length;
    try {
      for (;;) {
        // Without the main thread's help, it still redoes the work of workers that died.
        const live = this.workers.some((pw) => !pw.dead);
        const range =
          this.redo.pop() ?? (this.useMain || !live ? this.take(MAIN_BATCH_FILES) : undefined);
        if (range) {
          const keys = this.anyCached ? this.keys : undefined;
          hashRangeSync(this.paths, this.hashName, this.out, range, this.detail, keys);
          this.stats.mainFiles += range[1] - range[0];
          for (let i = range[0]; i < range[1]; i++) if (isFailure(this.out[i])) this.failed = true;
          if (this.workers.length > 0) await yieldToEventLoop();
          continue;
        }
        if (
          !this.workers.some((pw) => pw.inFlight.size > 0) &&
          (this.useMain || !live || this.next >= n || this.failed)
        ) {
          break;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      this.close();
    }
    return unwrapResults<TaskResult>(this.paths, this.out);
  }

  /** Stops the workers (also after an error while adding files). */
  close(): void {
    for (const pw of this.workers) {
      pw.dead = true;
      pw.worker.removeAllListeners('exit');
      void pw.worker.terminate();
    }
  }

  private notify(): void {
    this.wake?.();
    this.wake = undefined;
  }

  private take(maxFiles: number): Range | undefined {
    const n = this.paths.length;
    if (this.next >= n || this.failed) return undefined;
    const start = this.next;
    let bytes = 0;
    while (this.next < n && this.next - start < maxFiles && bytes < BATCH_BYTES) {
      bytes += this.sizes[this.next] ?? ASSUMED_SIZE;
      this.next++;
    }
    return [start, this.next];
  }

  private feed(pw: PoolWorker): void {
    while (pw.ready && !pw.dead && pw.inFlight.size < IN_FLIGHT) {
      // While files are still being added, send only full batches.
      if (!this.closed && this.paths.length - this.next < WORKER_BATCH_FILES) return;
      const range = this.take(WORKER_BATCH_FILES);
      if (!range) return;
      const id = ++this.batchId;
      pw.inFlight.set(id, range);
      const req: WorkerRequest = {
        id,
        paths: this.paths.slice(range[0], range[1]),
        hashName: this.hashName,
        detail: this.detail,
      };
      if (this.anyCached) req.keys = new Float64Array(this.keys.slice(3 * range[0], 3 * range[1]));
      pw.worker.postMessage(req);
    }
  }

  private retire(pw: PoolWorker): void {
    if (pw.dead) return;
    pw.dead = true;
    this.redo.push(...pw.inFlight.values());
    pw.inFlight.clear();
    this.notify();
  }

  private spawn(): PoolWorker {
    const pw: PoolWorker = {
      worker: new (workerThreads().Worker)(hashWorkerUrl()),
      ready: false,
      dead: false,
      inFlight: new Map(),
    };
    pw.worker.on('message', (msg: WorkerReply | 'ready') => {
      if (msg === 'ready') {
        pw.ready = true;
      } else {
        const range = pw.inFlight.get(msg.id);
        pw.inFlight.delete(msg.id);
        if (range) {
          this.stats.workerFiles += msg.results.length;
          for (let i = 0; i < msg.results.length; i++) {
            const r = msg.results[i]!;
            this.out[range[0] + i] = r;
            if (typeof r === 'object' && 'error' in r) this.failed = true;
          }
        }
      }
      this.feed(pw);
      this.notify();
    });
    // A worker that cannot load or crashes is not fatal: the main thread redoes its work.
    pw.worker.on('error', () => this.retire(pw));
    pw.worker.on('exit', () => this.retire(pw));
    return pw;
  }
}

/**
 * Hashes many files on `jobs` threads (see `HashPool`). Results come back in the order of
 * `paths`; the first failure is thrown as a CmfError.
 */
export async function hashInPool(
  paths: readonly string[],
  opts: PoolOptions,
): Promise<HashedFile[]>;
export async function hashInPool(
  paths: readonly string[],
  opts: PoolOptions & { detail: 'content' },
): Promise<HashedContent[]>;
export async function hashInPool(
  paths: readonly string[],
  opts: PoolOptions,
): Promise<Array<HashedFile | HashedContent>> {
  const pool = new HashPool({ ...opts, maxWorkers: Math.ceil(paths.length / WORKER_BATCH_FILES) });
  for (let i = 0; i < paths.length; i++) pool.add(paths[i]!, opts.sizes?.[i]);
  return (await pool.finish()) as Array<HashedFile | HashedContent>;
}

/**
 * node:worker_threads, loaded when the first worker starts: every `cmf artifact push` and
 * `pull` imports this module, most of them start no worker, and loading it costs ~4 ms.
 */
function workerThreads(): typeof import('node:worker_threads') {
  return process.getBuiltinModule('node:worker_threads');
}
