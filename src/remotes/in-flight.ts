/**
 * Remote work that must be undone when a signal stops the process half-way, and that takes
 * a round trip to undo: a temp file on an SSH remote (DVC would leave it), an S3 multipart
 * upload (its parts are kept, and billed, until the upload is aborted). Local temp files
 * have their own synchronous registry in fs/atomic.ts.
 */
import { InterruptedError } from '../errors/index.js';

type Undo = () => Promise<unknown>;

const undos = new Set<Undo>();
let stopping = false;

/**
 * Runs `work` with `undo` registered for the signal handler. Once a stop has begun, no new
 * remote work starts: the call fails at once, so the transfer winds down.
 */
export async function withUndoOnStop<T>(undo: Undo, work: () => Promise<T>): Promise<T> {
  if (stopping) throw new InterruptedError('Interrupted: not starting new remote work');
  undos.add(undo);
  try {
    return await work();
  } finally {
    undos.delete(undo);
  }
}

/**
 * Refuses new remote work from now on, then runs the undo of everything in flight, waiting
 * at most `timeoutMs` (an unreachable server must not hold the exit). Returns how many
 * undos were started.
 */
export async function undoRemoteWorkInFlight(timeoutMs: number): Promise<number> {
  stopping = true;
  const pending = [...undos];
  undos.clear();
  if (pending.length === 0) return 0;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((done) => {
    timer = setTimeout(done, timeoutMs);
  });
  await Promise.race([Promise.allSettled(pending.map((undo) => undo())), deadline]);
  clearTimeout(timer);
  return pending.length;
}

/** Whether remote work with an undo is in flight (the signal handler then waits for it). */
export function remoteWorkInFlight(): boolean {
  return undos.size > 0;
}
