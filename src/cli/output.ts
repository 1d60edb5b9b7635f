/**
 * The one writer of command output (tables, JSON, names, success lines) to stdout.
 *
 * When stdout is a file or a device, Node's stdout stream makes one write(2) per chunk and
 * ignores a short count: on a nearly full disk `cmf metadata export -j - > out` would stop
 * after 64 KiB and still exit 0. So for files and devices this loops over what is left and
 * turns a failed write into a cmf error (DISK_FULL for ENOSPC/EDQUOT, OUTPUT_FAILED else),
 * thrown to the command's error boundary. Pipes and terminals keep the stream, which queues
 * what the reader has not taken yet and reports a reader gone away (EPIPE, see bin/run.js).
 */
import { fstatSync, readlinkSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { CmfError, OperationError, isNoSpaceError, noSpaceError } from '../errors/index.js';

const STDOUT_FD = 1;

/** Whether fd 1 is what Node writes synchronously without retrying: a file or a device. */
function stdoutIsFile(): boolean {
  try {
    const st = fstatSync(STDOUT_FD);
    return st.isFile() || st.isBlockDevice() || (st.isCharacterDevice() && !isatty(STDOUT_FD));
  } catch {
    return false; // closed or odd: the stream reports what goes wrong
  }
}

let toFile: boolean | undefined;

/** Writes `data` to stdout in full, or throws a CmfError saying why it could not. */
export function writeOutput(data: string | Uint8Array): void {
  toFile ??= stdoutIsFile();
  if (!toFile) {
    process.stdout.write(data);
    return;
  }
  writeAllTo(STDOUT_FD, data);
}

/**
 * Writes output made piece by piece (a long table, a large document) as each piece comes,
 * pausing after each: a reader gone away (EPIPE) then ends the process before the rest is
 * made, and a pipe's unread output is not all queued in memory at once.
 */
export async function writeOutputPieces(
  pieces: Iterable<string> | AsyncIterable<string>,
): Promise<void> {
  for await (const piece of pieces) {
    writeOutput(piece);
    await new Promise((done) => setImmediate(done));
  }
}

/** Loops write(2) on `fd` until every byte of `data` is written. */
export function writeAllTo(fd: number, data: string | Uint8Array): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let done = 0;
  while (done < buf.length) {
    let n: number;
    try {
      n = writeSync(fd, buf, done, buf.length - done);
    } catch (err) {
      throw outputError(err, fd, done);
    }
    // write(2) returns 0 only when it can write nothing more; never spin on it.
    if (n <= 0)
      throw outputError(Object.assign(new Error('nothing written'), { code: 'EIO' }), fd, done);
    done += n;
  }
}

/** Where `fd` writes to, for messages: its path when the system says (Linux /proc). */
function targetOf(fd: number): string | undefined {
  try {
    const target = readlinkSync(`/proc/self/fd/${fd}`);
    return target.startsWith('/') ? target.replace(/ \(deleted\)$/, '') : undefined;
  } catch {
    return undefined;
  }
}

function isFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return true;
  }
}

const deviceHint = (target: string | undefined) =>
  `Standard output goes to ${target ?? 'a device'}, which takes no more: send the output to a file or a pipe instead.`;

function outputError(err: unknown, fd: number, written: number): CmfError {
  if (err instanceof CmfError) return err;
  const target = targetOf(fd);
  const data = { stream: 'stdout', bytesWritten: written };
  if (isNoSpaceError(err)) {
    const e = noSpaceError(target, err, isFile(fd) ? undefined : deviceHint(target));
    return new OperationError(e.code, `${e.message} The output there is incomplete.`, {
      cause: err,
      hint: e.hint,
      data: { ...e.data, ...data },
    });
  }
  const errno = (err as NodeJS.ErrnoException).code ?? 'EIO';
  // Node's text is `EIO: i/o error, write`: the reason, with the errno after it.
  const reason = (err instanceof Error ? err.message : String(err))
    .replace(/^[A-Z0-9]+: /, '')
    .replace(/, write$/, '');
  return new OperationError(
    'OUTPUT_FAILED',
    `Cannot write the output to ${target ?? 'standard output'}: ${reason} (${errno}). The output there is incomplete.`,
    {
      cause: err,
      hint: 'Check the file or device standard output goes to (a failing disk, a device that refuses writes), or send the output elsewhere, then run the command again.',
      data: { ...(target ? { path: target } : {}), errno, ...data },
    },
  );
}
