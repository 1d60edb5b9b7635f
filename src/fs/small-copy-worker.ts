/**
 * Copy worker: runs batches of small-file copies (fs/small-copy-core.ts) and answers with
 * their outcomes in order. Node loads this file directly (see hashing/hash-worker.ts).
 */
import { parentPort } from 'node:worker_threads';
import type * as Core from './small-copy-core.js';
import type * as SmallRead from './small-read.js';
import type { CopyBatch, CopyBatchReply } from './small-copy-pool.js';

const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const load = (name: string): Promise<unknown> =>
  import(new URL(`./${name}${ext}`, import.meta.url).href);
const core = (await load('small-copy-core')) as typeof Core;
const { readSmallFile } = (await load('small-read')) as typeof SmallRead;

parentPort!.on('message', ({ id, tasks }: CopyBatch) => {
  const outcomes = tasks.map((task) => core.copySmallSync(task, readSmallFile));
  // Kept bytes are moved, not copied, back to the main thread.
  const moved = outcomes.flatMap((o) => ('bytes' in o && o.bytes ? [o.bytes.buffer] : []));
  parentPort!.postMessage({ id, outcomes } satisfies CopyBatchReply, moved as ArrayBuffer[]);
});
parentPort!.postMessage('ready');
