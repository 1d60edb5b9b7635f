/**
 * Hash worker: receives batches of paths, hashes each with synchronous 1 MiB reads into one
 * reused buffer (or, for a file with a state entry, only stats it while it is unchanged),
 * and answers with the results in order.
 *
 * Node loads this file directly — `hash-worker.js` from dist, or this `.ts` through Node's
 * type stripping under vitest — so it follows hash-core's rules (node: imports only) and
 * loads hash-core by the same extension as its own.
 */
import { parentPort } from 'node:worker_threads';
import type * as Core from './hash-core.js';
import type { WorkerReply, WorkerRequest } from './hash-pool.js';

const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const core = (await import(new URL(`./hash-core${ext}`, import.meta.url).href)) as typeof Core;
const buf = Buffer.allocUnsafe(core.CHUNK_SIZE);

parentPort!.on('message', (req: WorkerRequest) => {
  const { paths, hashName, keys } = req;
  const results: WorkerReply['results'] = new Array(paths.length);
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i]!;
    try {
      results[i] =
        (keys ? core.checkCached(path, keys, 3 * i) : undefined) ??
        (req.detail === 'full'
          ? core.hashFileSync(path, buf, hashName)
          : core.hashContentSync(path, buf, hashName));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      results[i] = { error: { message: e.message, code: e.code } };
    }
  }
  parentPort!.postMessage({ id: req.id, results } satisfies WorkerReply);
});
// Batches are sent only after this, so the main thread never waits for a booting worker.
parentPort!.postMessage('ready');
