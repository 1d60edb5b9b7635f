import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { fsErrorToCmf } from './file-hash.js';
import { CHUNK_SIZE, hashFileSync, type HashedFile } from './hash-core.js';
import type { HashName } from './types.js';

/** A batch of files for one worker. */
export interface WorkerRequest {
  id: number;
  paths: string[];
  hashName: HashName;
}

export interface WorkerFailure {
  error: { message: string; code?: string };
}

export interface WorkerReply {
  id: number;
  results: Array<HashedFile | WorkerFailure>;
}

/**
 * The worker script beside this module: `hash-worker.js` in dist, or `hash-worker.ts` when
 * this module itself runs from sources (vitest), which Node 24 loads by stripping types.
 */
export function hashWorkerUrl(): URL {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./hash-worker${ext}`, import.meta.url);
}

export interface PoolOptions {
  hashName: HashName;
  /** Threads in all, the main thread included (so `jobs - 1` workers). */
  jobs: number;
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

interface PoolWorker {
  worker: Worker;
  ready: boolean;
  dead: boolean;
  inFlight: Map<number, Range>;
}

let sharedBuffer: Buffer | undefined;

/** Hashes `paths[start..end)` on the calling thread with one reused 1 MiB buffer. */
export function hashRangeSync(
  paths: readonly string[],
  hashName: HashName,
  out: Array<HashedFile | WorkerFailure | undefined>,
  [start, end]: Range,
): void {
  sharedBuffer ??= Buffer.allocUnsafe(CHUNK_SIZE);
  for (let i = start; i < end; i++) {
    try {
      out[i] = hashFileSync(paths[i]!, sharedBuffer, hashName);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      out[i] = { error: { message: e.message, code: e.code } };
    }
  }
}

/** Throws the first failure (in path order) as a CmfError; otherwise narrows the results. */
export function unwrapResults(
  paths: readonly string[],
  out: ReadonlyArray<HashedFile | WorkerFailure | undefined>,
): HashedFile[] {
  for (let i = 0; i < out.length; i++) {
    const r = out[i];
    if (r === undefined || 'error' in r) {
      const err = Object.assign(new Error(r?.error.message ?? 'not hashed'), {
        code: r?.error.code,
      });
      throw fsErrorToCmf(err, paths[i]!);
    }
  }
  return out as HashedFile[];
}

/**
 * Hashes many files on `jobs` threads. The main thread hashes too, from the same queue, so
 * work starts at once while the workers boot (~70 ms each here); workers only get batches
 * once they report ready. A worker that dies has its batches redone on the main thread.
 * Results come back in the order of `paths`; the first failure is thrown as a CmfError.
 */
export async function hashInPool(
  paths: readonly string[],
  opts: PoolOptions,
): Promise<HashedFile[]> {
  const { hashName, sizes } = opts;
  const stats = opts.stats ?? { mainFiles: 0, workerFiles: 0 };
  const n = paths.length;
  const out: Array<HashedFile | WorkerFailure | undefined> = new Array(n);
  let next = 0;
  let failed = false;
  const redo: Range[] = [];
  let wake: (() => void) | undefined;
  const notify = (): void => {
    wake?.();
    wake = undefined;
  };

  const take = (maxFiles: number): Range | undefined => {
    if (next >= n || failed) return undefined;
    const start = next;
    let bytes = 0;
    while (next < n && next - start < maxFiles && bytes < BATCH_BYTES) {
      bytes += sizes?.[next] ?? ASSUMED_SIZE;
      next++;
    }
    return [start, next];
  };

  let batchId = 0;
  const feed = (pw: PoolWorker): void => {
    while (pw.ready && !pw.dead && pw.inFlight.size < IN_FLIGHT) {
      const range = take(WORKER_BATCH_FILES);
      if (!range) return;
      const id = ++batchId;
      pw.inFlight.set(id, range);
      const req: WorkerRequest = { id, paths: paths.slice(range[0], range[1]), hashName };
      pw.worker.postMessage(req);
    }
  };

  const retire = (pw: PoolWorker): void => {
    if (pw.dead) return;
    pw.dead = true;
    redo.push(...pw.inFlight.values());
    pw.inFlight.clear();
    notify();
  };

  const useMain = opts.mainThread ?? true;
  const workerCount = Math.min(
    useMain ? opts.jobs - 1 : opts.jobs,
    Math.ceil(n / WORKER_BATCH_FILES),
  );
  const workers: PoolWorker[] = [];
  for (let k = 0; k < workerCount; k++) {
    const pw: PoolWorker = {
      worker: new Worker(hashWorkerUrl()),
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
          stats.workerFiles += msg.results.length;
          for (let i = 0; i < msg.results.length; i++) {
            const r = msg.results[i]!;
            out[range[0] + i] = r;
            if ('error' in r) failed = true;
          }
        }
      }
      feed(pw);
      notify();
    });
    // A worker that cannot load or crashes is not fatal: the main thread redoes its work.
    pw.worker.on('error', () => retire(pw));
    pw.worker.on('exit', () => retire(pw));
    workers.push(pw);
  }

  try {
    for (;;) {
      // Without the main thread's help, it still redoes the work of workers that died.
      const live = workers.some((pw) => !pw.dead);
      const range = redo.pop() ?? (useMain || !live ? take(MAIN_BATCH_FILES) : undefined);
      if (range) {
        hashRangeSync(paths, hashName, out, range);
        stats.mainFiles += range[1] - range[0];
        if (out.slice(range[0], range[1]).some((r) => r && 'error' in r)) failed = true;
        if (workers.length > 0) await yieldToEventLoop();
        continue;
      }
      if (
        !workers.some((pw) => pw.inFlight.size > 0) &&
        (useMain || !live || next >= n || failed)
      ) {
        break;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    for (const pw of workers) {
      pw.dead = true;
      pw.worker.removeAllListeners('exit');
      void pw.worker.terminate();
    }
  }
  return unwrapResults(paths, out);
}
