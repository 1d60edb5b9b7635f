import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { IntegrityError } from '../errors/index.js';
import { fileKind } from './file-kind.js';

/**
 * Reads of files the user controls (config files, `.dvc` files, `.gitignore`s) that refuse
 * anything but a regular file. A plain `readFile` of a FIFO blocks in `open` until a writer
 * comes, and a libuv worker blocked there cannot be interrupted: the process ignored
 * SIGINT/SIGTERM for good. Opening with O_NONBLOCK returns at once for a FIFO (and is no-op
 * for regular files); fstat of the open descriptor then tells what it is.
 *
 * Errors of the open (ENOENT, EACCES, …) are thrown as they are, for the caller to map as it
 * already does; a file that is not a regular one is an IntegrityError `NOT_A_REGULAR_FILE`.
 */

const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** The error for `path`, which is `st`; `hint` says what the file is for, when the caller knows. */
export function notRegularFile(path: string, st: Stats, hint?: string): IntegrityError {
  return new IntegrityError(
    'NOT_A_REGULAR_FILE',
    `${path} is a ${fileKind(st)}, not a regular file; cmf reads it as one`,
    {
      hint:
        hint ??
        `Replace ${path} by a regular file (or remove it, if it is not needed), then run the command again.`,
      data: { path, kind: fileKind(st) },
    },
  );
}

/** A socket cannot be opened (ENXIO): say what it is rather than "no such device". */
function openError(path: string, err: unknown, st: Stats | undefined): unknown {
  return (err as NodeJS.ErrnoException).code === 'ENXIO' && st ? notRegularFile(path, st) : err;
}

export async function readRegularFile(path: string): Promise<Buffer>;
export async function readRegularFile(path: string, encoding: 'utf8'): Promise<string>;
export async function readRegularFile(path: string, encoding?: 'utf8'): Promise<Buffer | string> {
  const handle = await open(path, FLAGS).catch(async (err: unknown) => {
    throw openError(path, err, await lstat(path).catch(() => undefined));
  });
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw notRegularFile(path, st);
    return encoding ? await handle.readFile(encoding) : await handle.readFile();
  } finally {
    await handle.close();
  }
}

export function readRegularFileSync(path: string): Buffer;
export function readRegularFileSync(path: string, encoding: 'utf8'): string;
export function readRegularFileSync(path: string, encoding?: 'utf8'): Buffer | string {
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (err) {
    throw openError(path, err, lstatSync(path, { throwIfNoEntry: false }));
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw notRegularFile(path, st);
    return encoding ? readFileSync(fd, encoding) : readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}
