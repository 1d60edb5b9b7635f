/**
 * The one error hierarchy of cmf. Core modules throw these; the CLI turns them into an
 * exit code, a message and a hint on stderr (or a JSON error with --json).
 *
 * Exit codes: 0 ok, 1 operation failed, 2 usage, 3 not found, 4 not configured or bad
 * configuration, 5 integrity (hash mismatch, corrupt file), 130 interrupted (SIGINT); stopped
 * by SIGHUP or SIGTERM: 129 or 143, the 128 + signal number a shell shows.
 */
import { dirname } from 'node:path';
import { dfCommand, shortageAt, shortageText } from './no-room.js';

export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  notFound: 3,
  config: 4,
  integrity: 5,
  hangup: 129,
  interrupted: 130,
  terminated: 143,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface CmfErrorOptions {
  /** What the user can do next. */
  hint?: string;
  /** Structured details for --json output and for tests. */
  data?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * Marks cmf's errors across copies of the package (two versions installed, `npm link`):
 * plain `instanceof` only knows its own copy's classes; this symbol is the same in all.
 */
const BRAND = Symbol.for('cmf.error');

/** Whether `err` is a cmf error, thrown by this copy of cmf or by any other. */
export function isCmfError(err: unknown): err is CmfError {
  return (
    typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true
  );
}

/** The names of the classes `err` is an instance of, its own first. */
function classNames(err: object): string[] {
  const names: string[] = [];
  for (let p = Object.getPrototypeOf(err) as object | null; p; p = Object.getPrototypeOf(p)) {
    if (Object.hasOwn(p, 'constructor')) names.push((p.constructor as { name: string }).name);
  }
  return names;
}

export class CmfError extends Error {
  /**
   * `err instanceof UsageError` (or any cmf error class) also holds for an error of that
   * class from another copy of cmf: a branded error with a class of the same name in its
   * prototype chain.
   */
  static override [Symbol.hasInstance](err: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, err)) return true;
    return isCmfError(err) && classNames(err).includes(this.name);
  }

  // On the prototype: copies made by withHint/withData keep it, and it is no own property.
  static {
    Object.defineProperty(this.prototype, BRAND, { value: true });
  }

  /** Stable, machine-readable identifier, e.g. `MLMD_SCHEMA_VERSION`. */
  readonly code: string;
  readonly exitCode: ExitCodeValue;
  readonly hint?: string;
  readonly data?: Record<string, unknown>;

  constructor(code: string, exitCode: ExitCodeValue, message: string, opts: CmfErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    this.hint = opts.hint;
    this.data = opts.data;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      exitCode: this.exitCode,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.data ? { data: this.data } : {}),
    };
  }
}

/** A network, process or filesystem operation failed (exit 1). */
export class OperationError extends CmfError {
  constructor(code: string, message: string, opts?: CmfErrorOptions) {
    super(code, ExitCode.failed, message, opts);
  }
}

/** The user asked for something malformed (exit 2). */
export class UsageError extends CmfError {
  constructor(code: string, message: string, opts?: CmfErrorOptions) {
    super(code, ExitCode.usage, message, opts);
  }
}

/** A file, pipeline, artifact or execution does not exist (exit 3). */
export class NotFoundError extends CmfError {
  constructor(code: string, message: string, opts?: CmfErrorOptions) {
    super(code, ExitCode.notFound, message, opts);
  }
}

/** cmf is not initialised, or its configuration is wrong (exit 4). */
export class ConfigError extends CmfError {
  constructor(code: string, message: string, opts?: CmfErrorOptions) {
    super(code, ExitCode.config, message, opts);
  }
}

/** Content does not match its hash, or a file is corrupt or of the wrong kind (exit 5). */
export class IntegrityError extends CmfError {
  constructor(code: string, message: string, opts?: CmfErrorOptions) {
    super(code, ExitCode.integrity, message, opts);
  }
}

/** The user interrupted the operation (exit 130; 129 or 143 when stopped by SIGHUP, SIGTERM). */
export class InterruptedError extends CmfError {
  constructor(
    message = 'Interrupted',
    opts?: CmfErrorOptions & {
      exitCode?: typeof ExitCode.interrupted | typeof ExitCode.hangup | typeof ExitCode.terminated;
    },
  ) {
    super('INTERRUPTED', opts?.exitCode ?? ExitCode.interrupted, message, opts);
  }
}

/**
 * The same error (class, code, exit code, message, data) with another hint: for a caller
 * that knows better than the thrower what the user should do next.
 */
export function withHint<E extends CmfError>(err: E, hint: string): E {
  return withProperty(err, 'hint', hint);
}

/** A copy of `err` (same prototype, every own property) with one property replaced. */
function withProperty<E extends CmfError>(err: E, key: 'hint' | 'data', value: unknown): E {
  const copy = Object.create(
    Object.getPrototypeOf(err) as object,
    Object.getOwnPropertyDescriptors(err),
  ) as E;
  Object.defineProperty(copy, key, { value, enumerable: true });
  return copy;
}

/** Errnos of a write that found no room: the file system is full, or the disk quota used up. */
const NO_SPACE_CODES: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT']);

/** Whether `err` is a Node file system error saying there was no room to write. */
export function isNoSpaceError(err: unknown): err is NodeJS.ErrnoException {
  if (err instanceof CmfError || !(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  return typeof code === 'string' && NO_SPACE_CODES.has(code);
}

/** `process.cwd()` failed: the directory the process runs in was removed under it. */
function isWorkingDirectoryGone(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException;
  return err instanceof Error && e.code === 'ENOENT' && e.syscall === 'uv_cwd';
}

/** The file a failed fs call was writing: a copy's destination, else its path (if named). */
export function writtenPath(err: NodeJS.ErrnoException): string | undefined {
  return (err as { dest?: string }).dest ?? err.path;
}

/**
 * A write of `path` that failed for want of space (`cause` is the ENOSPC or EDQUOT error).
 * `hint` says what else can be done (the caller knows what `path` is, e.g. a cache that can
 * move elsewhere); the default asks to free space.
 */
export function noSpaceError(
  path: string | undefined,
  cause: unknown,
  hint?: string,
): OperationError {
  const errno = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'ENOSPC';
  const dir = path === undefined ? undefined : dirname(path);
  const shortage = errno === 'EDQUOT' || dir === undefined ? 'space' : shortageAt(dir);
  const why = errno === 'EDQUOT' ? 'the disk quota is used up' : shortageText(shortage);
  let fallback: string;
  if (dir === undefined) {
    fallback =
      'Free space on the file system being written (`df -h` shows how full each is), or raise the quota, then run the command again.';
  } else if (shortage === 'inodes') {
    fallback = `Remove files from the file system holding ${dir}: it has room but no free inodes (\`${dfCommand(dir, shortage)}\` shows them), then run the command again.`;
  } else {
    fallback = `Free space on the file system holding ${dir} (\`${dfCommand(dir, shortage)}\` shows how full it is), or raise the quota, then run the command again.`;
  }
  return new OperationError(
    'DISK_FULL',
    path === undefined
      ? `A write failed: ${why} (${errno}).`
      : `Cannot write ${path}: ${why} (${errno}).`,
    {
      cause,
      hint: hint ?? fallback,
      data: { ...(path === undefined ? {} : { path }), errno, shortage },
    },
  );
}

/**
 * `err` as {@link noSpaceError} about `path` when it is a no-space error, else unchanged: for
 * the writes whose errors name no path (a write to an open file) or a temp file's.
 */
export function orNoSpace(err: unknown, path: string): unknown {
  return isNoSpaceError(err) ? noSpaceError(path, err) : err;
}

/** The same error with `extra` added to its data (for a caller that knows more context). */
export function withData<E extends CmfError>(err: E, extra: Record<string, unknown>): E {
  return withProperty(err, 'data', { ...err.data, ...extra });
}

/** What {@link errorInChain} looks at in each error of a chain. */
export interface ChainLink {
  code?: unknown;
  message?: unknown;
}

/**
 * The first error in `err`'s cause chain (and in the errors of an AggregateError, as a
 * connection tried on several addresses gives) that `matches`; undefined when none does.
 */
export function errorInChain(
  err: unknown,
  matches: (link: ChainLink) => boolean,
): ChainLink | undefined {
  for (
    let e = err as (ChainLink & { cause?: unknown; errors?: unknown[] }) | undefined, i = 0;
    e && i < 8;
    i++
  ) {
    if (typeof e === 'object' && matches(e)) return e;
    if (Array.isArray(e.errors)) {
      for (const inner of e.errors) {
        const found = errorInChain(inner, matches);
        if (found) return found;
      }
    }
    e = e.cause as typeof e;
  }
  return undefined;
}

/** The first error code in `err`'s cause chain that `matches` (see {@link errorInChain}). */
export function codeInChain(err: unknown, matches: (code: string) => boolean): string | undefined {
  const found = errorInChain(err, (e) => typeof e.code === 'string' && matches(e.code));
  return found?.code as string | undefined;
}

/** Wraps anything thrown that is not a CmfError, so the CLI has one shape to render. */
export function toCmfError(err: unknown): CmfError {
  if (isCmfError(err)) return err;
  // A full disk is the user's to fix, not a bug: say which write found no room.
  if (isNoSpaceError(err)) return noSpaceError(writtenPath(err), err);
  if (isWorkingDirectoryGone(err)) {
    return new NotFoundError(
      'WORKING_DIRECTORY_GONE',
      'The current directory no longer exists (it was deleted or moved after the shell entered it)',
      { cause: err, hint: 'cd into the project directory again, then rerun the command.' },
    );
  }
  if (err instanceof Error) {
    return new OperationError('UNEXPECTED', err.message, {
      cause: err,
      hint: 'This looks like a bug in cmf; rerun with DEBUG=cmf* and report it with the output.',
    });
  }
  return new OperationError('UNEXPECTED', String(err));
}
