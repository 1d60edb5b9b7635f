/**
 * Remote work that must be undone when a signal stops the process half-way, and that takes
 * a round trip to undo: a temp file on an SSH remote (DVC would leave it), an S3 multipart
 * upload (its parts are kept, and billed, until the upload is aborted). Or, instead of an
 * undo, work that is kept on purpose for the next run to resume (a recorded multipart
 * upload, see upload-records.ts). Local temp files have their own synchronous registry in
 * fs/atomic.ts.
 */
import { InterruptedError } from '../errors/index.js';
import { waitAtMost } from '../util/wait-at-most.js';

interface Undo {
  run: () => Promise<unknown>;
  /** What stays on the remote if the undo does not finish (a temp file's URL), if told. */
  left?: string;
  /** Kept for the next run to resume: `run` only waits for its record to be written. */
  keep?: boolean;
}

const undos = new Set<Undo>();
let stopping = false;

/**
 * Runs `work` with `undo` registered for the signal handler; `left` names what stays on the
 * remote if the undo does not finish. Once a stop has begun, no new remote work starts: the
 * call fails at once, so the transfer winds down.
 */
export async function withUndoOnStop<T>(
  undo: () => Promise<unknown>,
  work: () => Promise<T>,
  left?: string,
): Promise<T> {
  return inFlight({ run: undo, left }, work);
}

/**
 * Runs `work`, which a stop leaves on the remote on purpose for the next run to resume:
 * `recorded` resolves once what the next run needs is written locally (the stop waits for
 * it); `what` names the work for the message.
 */
export async function withKeepOnStop<T>(
  recorded: () => Promise<unknown>,
  work: () => Promise<T>,
  what: string,
): Promise<T> {
  return inFlight({ run: recorded, left: what, keep: true }, work);
}

async function inFlight<T>(entry: Undo, work: () => Promise<T>): Promise<T> {
  if (stopping) throw new InterruptedError('Interrupted: not starting new remote work');
  undos.add(entry);
  try {
    return await work();
  } finally {
    undos.delete(entry);
  }
}

/** How the undo of the remote work in flight went. */
export interface UndoOutcome {
  /** Undos that finished. */
  undone: number;
  /** Undos that failed, or had not finished when the wait ran out. */
  notUndone: number;
  /** What those left on the remote, as far as they said (see withUndoOnStop). */
  left: string[];
  /** Work kept for the next run to resume (see withKeepOnStop), whose record was written. */
  kept: string[];
}

/**
 * Refuses new remote work from now on, then runs the undo of everything in flight, waiting
 * at most `timeoutMs` (an unreachable server must not hold the exit). Only the undos that
 * finished in that time count as done: the others may still reach the server before the
 * process exits, or not.
 */
export async function undoRemoteWorkInFlight(timeoutMs: number): Promise<UndoOutcome> {
  stopping = true;
  const pending = [...undos];
  undos.clear();
  const outcome: UndoOutcome = { undone: 0, notUndone: 0, left: [], kept: [] };
  if (pending.length === 0) return outcome;
  const finished = new Set<Undo>();
  const runs = pending.map((undo) =>
    Promise.resolve()
      .then(undo.run)
      .then(
        () => void finished.add(undo),
        () => undefined,
      ),
  );
  await waitAtMost(Promise.all(runs), timeoutMs);
  for (const undo of pending) {
    if (undo.keep && finished.has(undo)) outcome.kept.push(undo.left!);
    else if (finished.has(undo)) outcome.undone++;
    else {
      outcome.notUndone++;
      if (undo.left) outcome.left.push(undo.left);
    }
  }
  return outcome;
}

/** Whether remote work with an undo is in flight (the signal handler then waits for it). */
export function remoteWorkInFlight(): boolean {
  return undos.size > 0;
}
