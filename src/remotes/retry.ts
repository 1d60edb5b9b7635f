import { CmfError } from '../errors/index.js';

/**
 * How many times a remote request that failed this way is tried again. A transient failure
 * (a reset connection, a 5xx: REMOTE_FAILED) gets two more tries. A server that answered
 * earlier in this run and now refuses connections (or cannot be routed to) is most likely
 * restarting, or the network blinked: it gets more time, as DVC's botocore retries
 * connection errors, before one error stops the transfer. A server that never answered gets
 * none: it fails fast.
 */
function retriesFor(err: unknown): number {
  if (!(err instanceof CmfError)) return 0;
  if (err.code === 'REMOTE_FAILED') return 2;
  if (err.code === 'REMOTE_UNREACHABLE' && err.data?.answeredBefore === true) return 5;
  return 0;
}

/** Runs `fn`, trying again after 0.5, 1.5, 2.5… s as {@link retriesFor} allows. */
export async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= retriesFor(err)) throw err;
      await new Promise((r) => setTimeout(r, 500 * (2 * attempt + 1)));
    }
  }
}
