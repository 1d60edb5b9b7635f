/**
 * Copy worker: runs batches of small-file copies (fs/small-copy-core.ts) and answers with
 * their outcomes in order. Node loads this file directly (see hashing/hash-worker.ts).
 */
import { parentPort } from 'node:worker_threads';
import type * as Core from './small-copy-core.js';
import type { CopyBatch, CopyBatchReply } from './small-copy-pool.js';

const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const core = (await import(
  new URL(`./small-copy-core${ext}`, import.meta.url).href
)) as typeof Core;

parentPort!.on('message', ({ id, tasks }: CopyBatch) => {
  const outcomes = tasks.map(core.copySmallSync);
  // Kept bytes are moved, not copied, back to the main thread.
  const moved = outcomes.flatMap((o) => ('bytes' in o && o.bytes ? [o.bytes.buffer] : []));
  parentPort!.postMessage({ id, outcomes } satisfies CopyBatchReply, moved as ArrayBuffer[]);
});
parentPort!.postMessage('ready');
