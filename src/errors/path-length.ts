/**
 * Paths the system cannot take: a name over NAME_MAX bytes, or a whole path over PATH_MAX.
 * Node's own error (`ENAMETOOLONG: name too long, mkdir '…'`) repeats the 4 KB path and says
 * nothing of which limit was hit or what to do.
 */
import { basename, sep } from 'node:path';
import { UsageError } from './index.js';

/** Bytes a file or directory name may have (NAME_MAX on Linux and macOS file systems). */
export const NAME_MAX_BYTES = 255;

/** Bytes a whole path may have (PATH_MAX less its NUL); undefined where cmf does not know it. */
export const PATH_MAX_BYTES: number | undefined =
  process.platform === 'linux' ? 4095 : process.platform === 'darwin' ? 1023 : undefined;

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** A long path shown by its two ends (the full one is in the error's data). */
function shortened(path: string): string {
  return path.length <= 160 ? path : `${path.slice(0, 70)}…${path.slice(-70)}`;
}

/**
 * The error for `path` that the system refused as too long (`cause`: its ENAMETOOLONG, if
 * any): PATH_NAME_TOO_LONG naming the name over NAME_MAX, else PATH_TOO_LONG with the
 * path's length against PATH_MAX.
 */
export function pathTooLongError(path: string, cause?: unknown): UsageError {
  const longName = path.split(sep).find((part) => bytes(part) > NAME_MAX_BYTES);
  if (longName !== undefined || PATH_MAX_BYTES === undefined || bytes(path) <= PATH_MAX_BYTES) {
    const name = longName ?? basename(path);
    return new UsageError(
      'PATH_NAME_TOO_LONG',
      `File name too long (${bytes(name)} bytes; the limit is ${NAME_MAX_BYTES}): ${shortened(name)}`,
      {
        cause,
        data: { path, name },
        hint: 'Rename the file (or the directory of that name) to a shorter name.',
      },
    );
  }
  return new UsageError(
    'PATH_TOO_LONG',
    `Path too long (${bytes(path)} bytes; the system takes ${PATH_MAX_BYTES}): ${shortened(path)}`,
    {
      cause,
      data: { path, bytes: bytes(path), limit: PATH_MAX_BYTES },
      hint: 'Move or clone the project to a directory with a shorter path, or shorten the names of the directories it nests.',
    },
  );
}

/** Throws {@link pathTooLongError} unless the system can take `path` (a name or the whole). */
export function assertPathFits(path: string): void {
  const tooLong =
    (PATH_MAX_BYTES !== undefined && bytes(path) > PATH_MAX_BYTES) ||
    path.split(sep).some((part) => bytes(part) > NAME_MAX_BYTES);
  if (tooLong) throw pathTooLongError(path);
}
