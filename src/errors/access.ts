/**
 * Writes the file system refused (no permission, an immutable flag, a read-only mount) as the
 * error a user can act on: what could not be written, why, and which directory to change.
 * Node's own error says `EACCES: permission denied, open '…'`, with no hint, and often names
 * a temp or lock file the user never heard of.
 */
import { basename, dirname } from 'node:path';
import { isOwnTempName } from '../fs/atomic.js';
import { CmfError, OperationError, writtenPath } from './index.js';

/** Errnos of a write refused for want of permission or on a read-only file system. */
const ACCESS_CODES: ReadonlySet<string> = new Set(['EACCES', 'EPERM', 'EROFS']);

/** Syscalls that only read: their EACCES is about reading, which a write error must not claim. */
const READ_SYSCALLS: ReadonlySet<string> = new Set([
  'scandir',
  'opendir',
  'stat',
  'lstat',
  'read',
  'readlink',
  'access',
]);

/** Whether `errno` refuses a write for want of permission or on a read-only file system. */
export function isAccessErrno(errno: string | undefined): errno is string {
  return errno !== undefined && ACCESS_CODES.has(errno);
}

/** Whether `err` is a Node file system error refusing a write (EACCES, EPERM, EROFS). */
export function isAccessError(err: unknown): err is NodeJS.ErrnoException {
  if (err instanceof CmfError || !(err instanceof Error)) return false;
  const { code, syscall } = err as NodeJS.ErrnoException;
  if (!isAccessErrno(code)) return false;
  return code === 'EROFS' || syscall === undefined || !READ_SYSCALLS.has(syscall);
}

/** Why an access with `errno` was refused, in words. */
export function refusal(errno: string): string {
  if (errno === 'EROFS') return 'its file system is read-only';
  return errno === 'EPERM' ? 'operation not permitted' : 'permission denied';
}

/**
 * What to change so that `path` (a directory to make files in, or a file) can be written,
 * after a write refused with `errno`. Ends without a full stop, for the caller to add what
 * else can be done.
 */
export function writeAccessAdvice(path: string, errno: string): string {
  if (errno === 'EROFS') {
    return `The file system holding ${path} is mounted read-only: remount it read-write`;
  }
  const owner = `\`ls -ld ${path}\` shows its owner and mode`;
  return errno === 'EPERM'
    ? `Make ${path} writable for you (${owner}; \`lsattr -d ${path}\` shows an immutable or append-only flag, which refuses even root)`
    : `Make ${path} writable for you (${owner})`;
}

/**
 * The write of `path` that `cause` (an {@link isAccessError}) refused: a file, a directory
 * being made, or a temp file (then the directory it was to be made in is named: the user
 * never heard of the temp file). The hint names the directory to change, and `alternative`
 * (what else can be done, e.g. use another directory) when given.
 */
export function accessError(
  path: string | undefined,
  cause: NodeJS.ErrnoException,
  alternative?: string,
): OperationError {
  const errno = cause.code ?? 'EACCES';
  const why = refusal(errno);
  if (path === undefined) {
    return new OperationError('PERMISSION_DENIED', `A write failed: ${why} (${errno})`, {
      cause,
      hint: 'Check that you may write where the command writes, and that its file system is not mounted read-only, then run the command again.',
      data: { errno },
    });
  }
  const dir = dirname(path);
  const temp = isOwnTempName(basename(path));
  const what = temp
    ? `create files in ${dir}`
    : `${cause.syscall === 'mkdir' ? 'create directory' : 'write'} ${path}`;
  return new OperationError('PERMISSION_DENIED', `Cannot ${what}: ${why} (${errno})`, {
    cause,
    hint: `${writeAccessAdvice(dir, errno)}${alternative ? `; or ${alternative}` : ''}, then run the command again.`,
    data: { path: temp ? dir : path, errno },
  });
}

/**
 * `err` as {@link accessError} when it refused a write (about `path`, default the file the
 * failed call wrote), else unchanged.
 */
export function orAccessError(err: unknown, path?: string): unknown {
  return isAccessError(err) ? accessError(path ?? writtenPath(err), err) : err;
}
