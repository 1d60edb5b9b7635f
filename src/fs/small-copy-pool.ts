import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { rmSync } from 'node:fs';
import { tempPathBeside } from './atomic.js';
import { readSmallFile } from './small-read.js';
import {
  copySmallSync,
  type CopyFailure,
  type CopyOutcome,
  type CopyStep,
  type SmallCopy,
} from './small-copy-core.js';

export type { CopyOutcome, SmallCopy } from './small-copy-core.js';

/**
 * Small-file copies (a cache object to a local remote, a remote object into the cache, a
 * cache object into the workspace) shared between this thread and copy workers.
 *
 * Each copy is a handful of syscalls (open, read, close, open, write, close, rename) that
 * cost more than the bytes: thousands of them done in turn on the main thread keep it busy
 * in the kernel while it also has its own work to do, and async fs calls would add a
 * thread-pool round trip to each. Callers hand copies over one at a time (`smallCopy`); the
 * copies queued during one turn of the event loop go to the workers as one message each, up
 * to DEPTH held per worker, and the rest are made here at once, synchronously. A worker
 * starts only once enough copies have come to pay its ~70 ms boot, and stops when the pool
 * has been idle for a moment. Measured on the 2-core CI VM (5,000 files of 4 KB, one
 * worker): pull 1.21 → 1.15 s, push 0.78 → 0.70 s (medians): its file system serialises
 * most of the kernel's work; more cores and a faster disk gain more.
 */

export interface CopyBatch {
  id: number;
  tasks: SmallCopy[];
}

export interface CopyBatchReply {
  id: number;
  outcomes: CopyOutcome[];
}

interface Pending {
  task: SmallCopy;
  resolve: (o: CopyOutcome) => void;
}

interface PoolWorker {
  worker: Worker;
  ready: boolean;
  dead: boolean;
  /** Batches sent and not answered, by id. */
  batches: Map<number, Pending[]>;
  tasks: number;
  /** Settles when the worker is ready or gone. */
  booted: Promise<void>;
}

/** Pool settings; tests set them to run copies in workers from the first one. */
export interface PoolSettings {
  /** Copy workers at most (0: every copy on this thread). */
  workers: number;
  /** Copies handed to the pool before its first worker starts. */
  startAfter: number;
  /** Idle milliseconds after which the workers stop. */
  idleMs: number;
}

/** `CMF_COPY_WORKERS` (a count; 0 keeps every copy on this thread), else cores − 1, at most 3. */
function defaultWorkers(): number {
  const set = process.env.CMF_COPY_WORKERS;
  if (set !== undefined && /^\d+$/.test(set.trim())) return Number(set);
  return Math.min(3, availableParallelism() - 1);
}

const defaults = (): PoolSettings => ({
  workers: defaultWorkers(),
  startAfter: 64,
  idleMs: 1000,
});

/**
 * Copies a worker holds at most; beyond that, copies are made on this thread. Transfers and
 * checkouts keep about 32 under way (4 × 8 jobs): the worker has the next batch at hand
 * while this thread, busy with its own work, makes only the overflow.
 */
const DEPTH = 24;
let settings: PoolSettings | undefined;
let queue: Pending[] = [];
let scheduled = false;
let seen = 0;
let batchId = 0;
const workers: PoolWorker[] = [];
let idleTimer: NodeJS.Timeout | undefined;

/** Changes the pool's settings (tests); stops running workers so the new ones apply. */
export function configureSmallCopyPool(s: Partial<PoolSettings>): void {
  stopWorkers();
  settings = { ...defaults(), ...s };
  seen = 0;
}

/** Stops the workers (they start again when needed). */
export function stopWorkers(): void {
  for (const pw of workers.splice(0)) {
    pw.dead = true;
    pw.worker.removeAllListeners();
    void pw.worker.terminate();
    // Copies it had not answered are done here.
    for (const batch of pw.batches.values()) redo(batch);
  }
}

/** How many copies workers did since the process started (diagnostics, tests). */
export const poolStats = { workerCopies: 0, mainCopies: 0 };

/** Queues one copy; the outcome comes back, failures included (see {@link smallCopy}). */
export function copyInPool(task: SmallCopy): Promise<CopyOutcome> {
  settings ??= defaults();
  seen++;
  if (idleTimer) {
    clearTimeout(idleTimer);
    idleTimer = undefined;
  }
  return new Promise((resolve) => {
    queue.push({ task, resolve });
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
}

/** A failed copy: an errno error with the step it failed at. */
export type CopyError = NodeJS.ErrnoException & { step: CopyStep };

/** An errno error rebuilt from a failure's data, with the step it failed at. */
export function copyError(f: CopyFailure): CopyError {
  const { message, step, ...fields } = f;
  const err = Object.assign(new Error(message), { step });
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) Object.assign(err, { [k]: v });
  return err;
}

/**
 * One copy through the pool. Resolves with the bytes' size (and the bytes read, when
 * `keep`), or `large`/`corrupt` as {@link CopyOutcome} says; a failed read or write is
 * thrown as an errno error whose `step` says which.
 */
export async function smallCopy(
  task: SmallCopy,
): Promise<Exclude<CopyOutcome, { failed: CopyFailure }>> {
  const outcome = await copyInPool(task);
  if ('failed' in outcome) throw copyError(outcome.failed);
  return outcome;
}

/** Starts the workers now (tests); resolves with how many are ready once they all are. */
export async function readyWorkers(): Promise<number> {
  settings ??= defaults();
  startWorkers();
  await Promise.all(workers.map((pw) => pw.booted));
  return workers.filter((pw) => pw.ready && !pw.dead).length;
}

function startWorkers(): void {
  if (workers.length === 0) for (let k = 0; k < settings!.workers; k++) workers.push(spawn());
}

function flush(): void {
  scheduled = false;
  if (seen >= settings!.startAfter) startWorkers();
  const live = workers.filter((pw) => pw.ready && !pw.dead);
  for (const pw of live) {
    const take = Math.min(queue.length, DEPTH - pw.tasks);
    if (take > 0) send(pw, queue.splice(0, take));
  }
  const mine = queue;
  queue = [];
  for (const p of mine) p.resolve(copySmallSync(p.task, readSmallFile));
  poolStats.mainCopies += mine.length;
  if (workers.every((pw) => pw.tasks === 0)) idle();
}

function send(pw: PoolWorker, batch: Pending[]): void {
  const id = ++batchId;
  pw.batches.set(id, batch);
  pw.tasks += batch.length;
  pw.worker.ref();
  const tasks = batch.map(({ task }) => ({ ...task, data: task.data && compact(task.data) }));
  pw.worker.postMessage({ id, tasks } satisfies CopyBatch);
}

/** `bytes` as a Buffer, without a copy. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The bytes alone: a view into a larger buffer would send all of that buffer. */
function compact(data: Uint8Array): Uint8Array {
  return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength
    ? data
    : new Uint8Array(data);
}

/**
 * Does here the copies of a batch a worker did not answer. A stopped worker may still be
 * making one: each is made again under a new temp name, so the two never write one file
 * (whichever renames last leaves the same complete bytes); the old temp file goes.
 */
function redo(batch: Pending[]): void {
  for (const p of batch) {
    rmSync(p.task.tmp, { force: true });
    p.resolve(copySmallSync({ ...p.task, tmp: tempPathBeside(p.task.dest) }, readSmallFile));
  }
}

/** Stops the workers once nothing has come for a while (a library user's process lives on). */
function idle(): void {
  for (const pw of workers) pw.worker.unref();
  if (workers.length === 0 || idleTimer) return;
  idleTimer = setTimeout(() => {
    idleTimer = undefined;
    if (workers.every((pw) => pw.tasks === 0)) stopWorkers();
  }, settings!.idleMs);
  idleTimer.unref();
}

function retire(pw: PoolWorker, booted: () => void): void {
  booted();
  if (pw.dead) return;
  pw.dead = true;
  const batches = [...pw.batches.values()];
  pw.batches.clear();
  pw.tasks = 0;
  for (const batch of batches) redo(batch);
}

function spawn(): PoolWorker {
  const { Worker } = process.getBuiltinModule('node:worker_threads');
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  // Named from the parent directory: the fast path's bundle (dist/fast/) runs this code from
  // another directory of dist (see hashing/hash-pool.ts).
  const url = new URL(`../fs/small-copy-worker${ext}`, import.meta.url);
  let booted!: () => void;
  const pw: PoolWorker = {
    worker: new Worker(url),
    ready: false,
    dead: false,
    batches: new Map(),
    tasks: 0,
    booted: new Promise((resolve) => (booted = resolve)),
  };
  pw.worker.unref();
  pw.worker.on('message', (msg: CopyBatchReply | 'ready') => {
    if (msg === 'ready') {
      pw.ready = true;
      booted();
      return;
    }
    const batch = pw.batches.get(msg.id);
    if (!batch) return;
    pw.batches.delete(msg.id);
    pw.tasks -= batch.length;
    poolStats.workerCopies += batch.length;
    batch.forEach((p, i) => p.resolve(msg.outcomes[i]!));
    if (workers.every((w) => w.tasks === 0) && queue.length === 0) idle();
  });
  // A worker that cannot load or crashes is not fatal: this thread redoes its copies.
  pw.worker.on('error', () => retire(pw, booted));
  pw.worker.on('exit', () => retire(pw, booted));
  return pw;
}
