import { removeTempsInFlight } from '../fs/atomic.js';
import {
  remoteWorkInFlight,
  undoRemoteWorkInFlight,
  type UndoOutcome,
} from '../remotes/in-flight.js';
import { ExitCode, InterruptedError } from '../errors/index.js';
import { latestTransferCounts } from '../remotes/latest-transfer.js';
import { renderError } from './render-error.js';
import { counted } from '../util/counted.js';
import { formatBytes } from './transfer-progress.js';
import { visibleLines } from '../util/visible-text.js';

/** The exit status of each signal we stop on: 128 + its number, as a shell reports it. */
const SIGNAL_EXIT = {
  SIGHUP: ExitCode.hangup,
  SIGINT: ExitCode.interrupted,
  SIGTERM: ExitCode.terminated,
} as const;
type StopSignal = keyof typeof SIGNAL_EXIT;

/** How long a stop waits for remote clean-up (temp files, multipart uploads) to finish. */
const REMOTE_UNDO_MS = 3000;

/** Leftovers named in the message, at most (--json lists them all). */
const LEFT_SHOWN = 3;

/** What the message adds when remote clean-up did not finish: what may remain, and where. */
function unfinished(remote: UndoOutcome): string {
  if (remote.notUndone === 0) return '';
  const { left } = remote;
  const shown = left.slice(0, LEFT_SHOWN).join(', ');
  const more = left.length > LEFT_SHOWN ? ` and ${left.length - LEFT_SHOWN} more` : '';
  return (
    `, but undoing ${counted(remote.notUndone, 'remote upload')} in flight did not finish in ` +
    `${REMOTE_UNDO_MS / 1000} s` +
    (left.length ? `: ${shown}${more} may remain on the remote` : '')
  );
}

/** What the message adds for uploads kept on the remote for the next push to resume. */
function kept(remote: UndoOutcome): string {
  const n = remote.kept.length;
  if (n === 0) return '';
  return `; ${counted(n, 'large upload')} under way ${n === 1 ? 'was' : 'were'} kept on the remote: the next push resumes ${n === 1 ? 'it' : 'them'}`;
}

/** What the message adds for partial downloads kept in the cache for the next pull. */
function keptDownloads(bytes: number): string {
  if (bytes === 0) return '';
  return `; ${formatBytes(bytes)} of downloads under way kept in the cache: the next pull resumes them`;
}

/**
 * Until the returned function is called, SIGINT, SIGTERM and SIGHUP stop the process the way
 * the default action would (same exit status) but first remove the temp files still being
 * filled (nothing else is ever partial: every file gets its final name by a rename), undo
 * remote work in flight (a temp file on an SSH remote, an S3 multipart upload; at most a few
 * seconds, a second signal stops at once; a recorded large upload is kept for the next push,
 * as a large download is kept in the cache for the next pull) and say so in one line on
 * stderr, or as a JSON error with --json. `what` names the command.
 */
export function stopCleanlyOnSignals(what: string, json: () => boolean): () => void {
  let stopping = false;
  const handler = (signal: StopSignal): void => {
    const exitCode = SIGNAL_EXIT[signal];
    if (stopping) process.exit(exitCode);
    stopping = true;
    const local = removeTempsInFlight();
    const finish = (remote: UndoOutcome): void => {
      // Local temps begun while the remote clean-up ran (new remote work is refused).
      const later = removeTempsInFlight();
      const removed = local.removed + later.removed;
      const keptBytes = local.keptBytes + later.keptBytes;
      const counts = latestTransferCounts();
      const err = new InterruptedError(
        `Interrupted: ${what} (${signal}); nothing partial was left under a final name${unfinished(remote)}${kept(remote)}${keptDownloads(keptBytes)}`,
        {
          exitCode,
          hint:
            'Run the command again: what was completed is kept and not done twice.' +
            (remote.notUndone
              ? ' Pushes remove what an interrupted upload left on the remote once it is over an hour old (until then it may be another push at work).'
              : ''),
          data: {
            signal,
            tempFilesRemoved: removed,
            downloadBytesKept: keptBytes,
            remoteUploadsUndone: remote.undone,
            remoteUploadsNotUndone: remote.notUndone,
            remoteLeftovers: remote.left,
            remoteUploadsKept: remote.kept,
            // What the transfer had done when the signal came (re-running skips it).
            ...(counts ? { result: counts } : {}),
          },
        },
      );
      // A progress line may be on the terminal: the message replaces it.
      const clear = process.stderr.isTTY ? '\r\x1b[2K' : '';
      // Synchronous on files and pipes (and terminals on Linux), so it is out before the exit.
      process.stderr.write(
        json() ? renderError(err, true) : `${clear}${visibleLines(err.message)}\n`,
      );
      process.exit(exitCode);
    };
    const nothing: UndoOutcome = { undone: 0, notUndone: 0, left: [], kept: [] };
    if (!remoteWorkInFlight()) finish(nothing);
    else void undoRemoteWorkInFlight(REMOTE_UNDO_MS).then(finish, () => finish(nothing));
  };
  const signals = Object.keys(SIGNAL_EXIT) as StopSignal[];
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}

/** The signals a command that stops itself (`cmf server start`) takes over. */
export type OwnStopSignal = 'SIGINT' | 'SIGTERM';

/**
 * Gives SIGINT and SIGTERM to `handler`, then calls `release` (which removes the handlers of
 * {@link stopCleanlyOnSignals}). The order matters: when a signal's last listener goes, Node
 * closes its signal watcher and a signal already received but not yet dispatched is lost,
 * so removing first and adding after could swallow a stop request. Returns the function
 * that removes `handler`.
 */
export function handOverSignals(
  release: (() => void) | undefined,
  handler: (signal: OwnStopSignal) => void,
): () => void {
  const signals: OwnStopSignal[] = ['SIGINT', 'SIGTERM'];
  for (const s of signals) process.on(s, handler);
  release?.();
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}
