import { lstatSync, statSync, type BigIntStats } from 'node:fs';
import { NotFoundError, UsageError } from '../errors/index.js';
import { pathTooLongError } from '../errors/path-length.js';

/**
 * The errors for paths that are there but cannot be versioned, the same whether the path was
 * given itself or found inside a directory being hashed: a socket, pipe or device, a
 * symbolic link to nothing or into a loop.
 */

export function unsupportedFile(path: string): UsageError {
  return new UsageError('UNSUPPORTED_FILE', `Not a regular file: ${path}`, {
    data: { path },
    hint: 'Sockets, pipes and devices cannot be versioned; list them in .dvcignore.',
  });
}

export function brokenSymlink(path: string): NotFoundError {
  return new NotFoundError('BROKEN_SYMLINK', `Broken symbolic link: ${path}`, {
    data: { path },
    hint: 'Remove the link or list it in .dvcignore.',
  });
}

function symlinkLoop(path: string): UsageError {
  return new UsageError('SYMLINK_LOOP', `Too many levels of symbolic links: ${path}`, {
    data: { path },
    hint: 'The link leads to itself through other links: point it at a file or directory, or remove it.',
  });
}

/**
 * `path` followed through symbolic links (bigint stat), or undefined when nothing is there.
 * A link to nothing throws BROKEN_SYMLINK, a loop of links SYMLINK_LOOP and a name longer
 * than the file system takes PATH_NAME_TOO_LONG; other errors are thrown as they are.
 */
export function statFollowing(path: string): BigIntStats | undefined {
  let st: BigIntStats | undefined;
  try {
    st = statSync(path, { bigint: true, throwIfNoEntry: false });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw symlinkLoop(path);
    if (code === 'ENAMETOOLONG') throw pathTooLongError(path, err);
    if (code === 'ENOTDIR') return undefined;
    throw err;
  }
  if (!st && lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink()) {
    throw brokenSymlink(path);
  }
  return st;
}
