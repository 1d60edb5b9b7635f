/**
 * Typed errors of the MLMD store. File-level problems (wrong kind of file, other schema
 * version, damaged file) are IntegrityErrors (exit 5) with distinct codes; conflicts with
 * what a file already holds are IntegrityErrors too; caller mistakes are UsageErrors.
 */
import { statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { isAccessErrno, refusal, writeAccessAdvice } from '../errors/access.js';
import { dfCommand, shortageAt, shortageText } from '../errors/no-room.js';
import { fileKind } from '../fs/file-kind.js';
import { probeCreate, probeOpen } from '../fs/probe-write.js';
import {
  CmfError,
  IntegrityError,
  NotFoundError,
  OperationError,
  UsageError,
  type CmfErrorOptions,
} from '../errors/index.js';

/** Codes of the errors this module throws; stable, for scripts and tests. */
export const MlmdErrorCode = {
  /** The file is not a SQLite database (random bytes, another format). */
  notSqlite: 'MLMD_NOT_SQLITE',
  /** A SQLite database without the MLMD tables. */
  notMlmd: 'MLMD_NOT_MLMD',
  /** An MLMD store of another schema version. */
  schemaVersion: 'MLMD_SCHEMA_VERSION',
  /** MLMDEnv holds no row or several rows. */
  schemaVersionRow: 'MLMD_SCHEMA_VERSION_ROW',
  /** Some MLMD tables (or columns) are present and some are missing. */
  incompleteSchema: 'MLMD_INCOMPLETE_SCHEMA',
  /** SQLite reports corruption (truncated file, damaged pages). */
  corrupt: 'MLMD_CORRUPT',
  /** The file exists but is empty and may not be initialised (read-only or create: false). */
  emptyFile: 'MLMD_EMPTY_FILE',
  /** The file does not exist and may not be created. */
  fileNotFound: 'MLMD_FILE_NOT_FOUND',
  /** The file could not be opened (missing directory, permissions). */
  cantOpen: 'MLMD_CANT_OPEN',
  /** Another process held the lock for longer than the busy timeout. */
  busy: 'MLMD_BUSY',
  /** A write on a store opened read-only. */
  readonly: 'MLMD_READONLY',
  /**
   * A writer was killed mid-transaction and left its journal (`<file>-journal`), and this
   * process may not write the file to roll it back (SQLITE_READONLY_ROLLBACK).
   */
  unfinishedWrite: 'MLMD_UNFINISHED_WRITE',
  /** SQLite found no room for the file or its journal (SQLITE_FULL). */
  diskFull: 'MLMD_DISK_FULL',
  /** A type, node or link id that does not exist. */
  notFound: 'MLMD_NOT_FOUND',
  /** A node with the same type and name (or external id) exists already. */
  alreadyExists: 'MLMD_ALREADY_EXISTS',
  /** A type exists with a different declared data type for a property. */
  typeConflict: 'MLMD_TYPE_CONFLICT',
  /** A declared property that the node's type does not declare. */
  unknownProperty: 'MLMD_UNKNOWN_PROPERTY',
  /** A declared property whose value kind differs from the type's data_type. */
  propertyType: 'MLMD_PROPERTY_TYPE',
  /** A value the file cannot hold (non-integer int, int beyond int64, NUL in a string...). */
  invalidArgument: 'MLMD_INVALID_ARGUMENT',
  /** A row MLMD itself could not read (a property row with no value column set). */
  badRow: 'MLMD_BAD_ROW',
} as const;

/**
 * How hints about the file name begin. The CLI rewords it when no -f/--file_name was given
 * (the path then is the default one, see forDefaultMlmdFile in src/cli).
 */
export const GIVEN_PATH_HINT = 'Check the path given with -f/--file_name';

/**
 * What is wrong with the MLMD file at the path a caller chose, carried by the errors about
 * it (read it with `mlmdFileProblem`). Their hints speak to CLI users (`-f/--file_name`,
 * `cmf metadata pull`); a caller that took the path from elsewhere (the server's --database
 * and --data-dir) words its own hint from this, not from the hint's text.
 */
export type MlmdFileProblem =
  /** Not a SQLite database, or one without MLMD's tables. */
  | 'not-mlmd'
  /** Corrupt, or an MLMD schema with tables or its version row damaged. */
  | 'damaged'
  /** The path is a directory. */
  | 'directory'
  /** The path is a device, FIFO or socket. */
  | 'not-regular'
  /** SQLite cannot write the file or its directory. */
  | 'not-writable'
  /** The file system holding the file (or its journal) is full. */
  | 'disk-full'
  /** The file does not exist and may not be created. */
  | 'missing'
  /** The file is empty and may not be initialised. */
  | 'empty';

const FILE_PROBLEM = Symbol('mlmdFileProblem');
const FILE_ADVICE = Symbol('mlmdFileAdvice');

type WithProblem = CmfError & { [FILE_PROBLEM]?: MlmdFileProblem; [FILE_ADVICE]?: string };

/** Tags `err` with its problem, and the part of its hint any caller can use (`advice`). */
function withProblem<T extends CmfError>(err: T, problem: MlmdFileProblem, advice?: string): T {
  Object.defineProperty(err, FILE_PROBLEM, { value: problem });
  if (advice !== undefined) Object.defineProperty(err, FILE_ADVICE, { value: advice });
  return err;
}

/** The problem an error about a chosen MLMD file names; undefined for any other error. */
export function mlmdFileProblem(err: unknown): MlmdFileProblem | undefined {
  if (!(err instanceof CmfError)) return undefined;
  return (err as WithProblem)[FILE_PROBLEM];
}

/**
 * For a `not-writable` or `disk-full` error: what to fix about the file where it is (the
 * hint's first part, without a full stop), which any caller can use; its hint goes on to
 * offer another file given with -f/--file_name, which a caller that takes the path from
 * elsewhere words its own way.
 */
export function mlmdFileAdvice(err: unknown): string | undefined {
  if (!(err instanceof CmfError)) return undefined;
  return (err as WithProblem)[FILE_ADVICE];
}

/** What a CLI user can do instead of fixing the file where it is. */
const ANOTHER_FILE = 'give another MLMD file with -f/--file_name.';

/** Why SQLite could not open or write the MLMD file `path`, as found by trying. */
interface WriteRefusal {
  errno: string;
  /** What was refused and why, in words ("SQLite cannot create it in <dir>: …"). */
  what: string;
  /** What to change (see writeAccessAdvice). */
  advice: string;
}

/**
 * Finds out why SQLite cannot open or write `path`: the file cannot be read, its directory
 * takes no new file (SQLite creates the file there, and a journal beside it for every write),
 * or the file cannot be opened for writing. Undefined when none of these is refused (for want of
 * permission, an immutable flag or a read-only mount), or the directory is missing.
 */
function writeRefusal(path: string): WriteRefusal | undefined {
  const dir = dirname(path);
  const exists = statSync(path, { throwIfNoEntry: false }) !== undefined;
  const refused = (errno: string | undefined, what: string, target: string) =>
    isAccessErrno(errno)
      ? {
          errno,
          what: `${what}: ${refusal(errno)} (${errno})`,
          advice: writeAccessAdvice(target, errno),
        }
      : undefined;
  return (
    (exists ? refused(probeOpen(path, 'r'), 'it cannot be read', path) : undefined) ??
    refused(
      probeCreate(dir),
      `SQLite cannot create ${exists ? 'its journal' : 'it'} in ${dir}`,
      dir,
    ) ??
    (exists ? refused(probeOpen(path, 'r+'), 'it cannot be opened for writing', path) : undefined)
  );
}

// `cmf metadata pull` merges into the file it is given, so a damaged one must be moved aside.
const REPAIR_HINT =
  'Restore the file from a backup or from git (`git checkout -- <file>`), or move it aside and pull the metadata into a new file with `cmf metadata pull -p <pipeline> -f <new file>`.';

/** The file at `path` is unusable as an MLMD v10 store. */
export class MlmdFileError extends IntegrityError {
  readonly path: string;
  constructor(code: string, path: string, message: string, opts: CmfErrorOptions = {}) {
    super(code, message, { ...opts, data: { path, ...opts.data } });
    this.path = path;
  }
}

export function notSqliteError(path: string, cause?: unknown): MlmdFileError {
  return withProblem(
    new MlmdFileError(
      MlmdErrorCode.notSqlite,
      path,
      `${path} is not an MLMD store: it is not a SQLite database.`,
      {
        cause,
        hint: `${GIVEN_PATH_HINT}: give an MLMD file, or a path where none exists yet. If this is your MLMD file, it is damaged. ${REPAIR_HINT}`,
      },
    ),
    'not-mlmd',
  );
}

export function notMlmdError(path: string, tables: string[]): MlmdFileError {
  const shown = tables.slice(0, 8).join(', ') + (tables.length > 8 ? ', ...' : '');
  return withProblem(
    new MlmdFileError(
      MlmdErrorCode.notMlmd,
      path,
      `${path} is a SQLite database but not an MLMD store (it has none of the MLMD tables; it has: ${shown}).`,
      {
        hint: `${GIVEN_PATH_HINT}; cmf does not add MLMD tables to an unrelated database.`,
        data: { tables },
      },
    ),
    'not-mlmd',
  );
}

export function schemaVersionError(path: string, found: number, expected: number): MlmdFileError {
  const newer = found > expected;
  return new MlmdFileError(
    MlmdErrorCode.schemaVersion,
    path,
    `${path} has MLMD schema version ${found}; cmf needs ${expected}.`,
    {
      hint: newer
        ? `The file was written by a newer ml-metadata. Downgrade it with Python: ml_metadata.metadata_store.downgrade_schema(config, ${expected}).`
        : 'The file was written by an older ml-metadata. Upgrade it with Python: MetadataStore(config, enable_upgrade_migration=True) using ml-metadata 1.15.',
      data: { found, expected },
    },
  );
}

export function schemaVersionRowError(path: string, rows: number): MlmdFileError {
  return withProblem(
    new MlmdFileError(
      MlmdErrorCode.schemaVersionRow,
      path,
      `${path} is a damaged MLMD store: table MLMDEnv must hold exactly one schema_version row, it holds ${rows}.`,
      { hint: REPAIR_HINT, data: { rows } },
    ),
    'damaged',
  );
}

export function incompleteSchemaError(
  path: string,
  present: string[],
  missing: string[],
): MlmdFileError {
  return withProblem(
    new MlmdFileError(
      MlmdErrorCode.incompleteSchema,
      path,
      `${path} is an incomplete MLMD store: ${missing.length} of the 15 MLMD tables are missing or lack columns (${missing.join(', ')}).`,
      { hint: REPAIR_HINT, data: { present, missing } },
    ),
    'damaged',
  );
}

export function corruptError(path: string, detail: string, cause?: unknown): MlmdFileError {
  return withProblem(
    new MlmdFileError(
      MlmdErrorCode.corrupt,
      path,
      `${path} is corrupt (${detail}); it may have been truncated or damaged on disk.`,
      { cause, hint: REPAIR_HINT, data: { detail } },
    ),
    'damaged',
  );
}

export function emptyFileError(path: string, why: string): MlmdFileError {
  return withProblem(
    new MlmdFileError(
      MlmdErrorCode.emptyFile,
      path,
      `${path} is empty and was not initialised as an MLMD store (${why}).`,
      {
        // Said for CLI users; a library caller opens it with `create` allowed instead.
        hint: 'Delete the empty file, or fill it with `cmf metadata pull -p <pipeline> -f <file>`. Logging metadata (the Cmf API, `cmf dvc ingest`) creates a new store where none exists.',
      },
    ),
    'empty',
  );
}

export function fileNotFoundError(path: string): NotFoundError {
  const err = new NotFoundError(MlmdErrorCode.fileNotFound, `MLMD file ${path} does not exist.`, {
    hint: `${GIVEN_PATH_HINT}, or pull the metadata with \`cmf metadata pull\`.`,
    data: { path },
  });
  return withProblem(err, 'missing');
}

export function cantOpenError(path: string, cause: unknown): CmfError {
  const stats = statSync(path, { throwIfNoEntry: false });
  if (stats && !stats.isFile()) return notRegularFileError(path, stats, cause);
  const refused = writeRefusal(path);
  if (refused) {
    return withProblem(
      new OperationError(
        MlmdErrorCode.cantOpen,
        `Cannot open MLMD file ${path}: ${refused.what}.`,
        {
          cause,
          hint: `${refused.advice}; or ${ANOTHER_FILE}`,
          data: { path, errno: refused.errno },
        },
      ),
      'not-writable',
      refused.advice,
    );
  }
  return new OperationError(MlmdErrorCode.cantOpen, `Cannot open MLMD file ${path}.`, {
    cause,
    hint: 'Check that its directory exists and that you may read (and write) it.',
    data: { path },
  });
}

/**
 * `path` is a directory, device, FIFO or socket: refused before SQLite opens it (opening a
 * FIFO would wait for a writer; a device would read as an empty store). The hint never says
 * to delete it.
 */
export function notRegularFileError(path: string, stats: Stats, cause?: unknown): UsageError {
  const kind = fileKind(stats);
  const err = new UsageError(
    MlmdErrorCode.cantOpen,
    `Cannot open MLMD file ${path}: it is a ${kind}.`,
    {
      cause,
      hint: stats.isDirectory()
        ? 'Give the path of the MLMD file with -f/--file_name, e.g. -f <directory>/mlmd.'
        : 'An MLMD store is a regular SQLite file: give the path of one (or of a file to create) with -f/--file_name.',
      data: { path, kind },
    },
  );
  return withProblem(err, stats.isDirectory() ? 'directory' : 'not-regular');
}

export function busyError(path: string, timeoutMs: number, cause: unknown): OperationError {
  return new OperationError(
    MlmdErrorCode.busy,
    `MLMD file ${path} stayed locked by another process for more than ${timeoutMs} ms.`,
    {
      cause,
      hint: 'Wait for the other cmf or MLMD process to finish, then retry.',
      data: { path },
    },
  );
}

/** A write on a store the caller opened with `readonly: true`. */
export function readonlyError(path: string, cause?: unknown): UsageError {
  return new UsageError(MlmdErrorCode.readonly, `MLMD file ${path} is open read-only.`, {
    cause,
    hint: 'This store was opened with readonly: true; open it without readonly to write to it.',
    data: { path },
  });
}

/**
 * SQLite could not write a store opened for writing (SQLITE_READONLY): the message says why
 * when trying finds out (a read-only mount, no permission on the file or its directory).
 */
export function notWritableError(path: string, cause?: unknown): OperationError {
  const refused = writeRefusal(path);
  const advice =
    refused?.advice ??
    `Check that you may write ${path} and its directory ${dirname(path)} (SQLite writes a journal file beside it), and that the file system is not mounted read-only`;
  return withProblem(
    new OperationError(
      MlmdErrorCode.readonly,
      `MLMD file ${path} cannot be written: ${refused?.what ?? 'the file or its directory is not writable, or the file system is read-only'}.`,
      {
        cause,
        hint: `${advice}; or ${ANOTHER_FILE}`,
        data: { path, ...(refused ? { errno: refused.errno } : {}) },
      },
    ),
    'not-writable',
    advice,
  );
}

/**
 * A hot journal that this process cannot roll back (the file is read-only to it). Deleting
 * the journal would leave the file half-written, so the hint warns against it.
 */
export function unfinishedWriteError(path: string, cause?: unknown): OperationError {
  return withProblem(
    new OperationError(
      MlmdErrorCode.unfinishedWrite,
      `MLMD file ${path} has an unfinished write: a process writing it was stopped (killed, or its machine went down) and left ${path}-journal, which only a process allowed to write the file can roll back.`,
      {
        cause,
        hint: `Run the command as a user who may write ${path} and its directory (the first open for writing restores the last complete state). Do not delete ${path}-journal: without it the file stays half-written.`,
        data: { path },
      },
    ),
    'not-writable',
  );
}

/**
 * SQLite could not write a store for want of space (SQLITE_FULL): the transaction was rolled
 * back, so the file is as it was.
 */
export function diskFullError(path: string, cause?: unknown): OperationError {
  const dir = dirname(path);
  const shortage = shortageAt(dir);
  const advice = `Free space on the file system holding ${dir} (\`${dfCommand(dir, shortage)}\` shows how full it is; SQLite also needs room for a journal file beside ${path})`;
  return withProblem(
    new OperationError(
      MlmdErrorCode.diskFull,
      `MLMD file ${path} cannot be written: ${shortageText(shortage)}; the write was rolled back.`,
      {
        cause,
        hint: `${advice}, or move the MLMD file to a file system with room and give its new path with -f/--file_name.`,
        data: { path },
      },
    ),
    'disk-full',
    advice,
  );
}

export function notFoundError(what: string, data?: Record<string, unknown>): NotFoundError {
  return new NotFoundError(MlmdErrorCode.notFound, `${what} does not exist in the MLMD store.`, {
    data,
  });
}

export function alreadyExistsError(what: string, data?: Record<string, unknown>): IntegrityError {
  return new IntegrityError(MlmdErrorCode.alreadyExists, `${what} already exists.`, {
    data,
    hint: 'Look the existing one up instead of creating it again.',
  });
}

export function typeConflictError(message: string, data?: Record<string, unknown>): IntegrityError {
  return new IntegrityError(MlmdErrorCode.typeConflict, message, {
    data,
    hint: 'A type keeps the data type of each property it declares; use another property name.',
  });
}

export function unknownPropertyError(typeName: string, property: string): IntegrityError {
  return new IntegrityError(
    MlmdErrorCode.unknownProperty,
    `Type ${typeName} does not declare property "${property}".`,
    {
      data: { typeName, property },
      hint: 'Declare the property on the type, or store it as a custom property.',
    },
  );
}

export function propertyTypeError(
  typeName: string,
  property: string,
  declared: string,
  given: string,
): IntegrityError {
  return new IntegrityError(
    MlmdErrorCode.propertyType,
    `Property "${property}" of type ${typeName} is declared ${declared}, but a ${given} value was given.`,
    { data: { typeName, property, declared, given } },
  );
}

export function invalidArgumentError(
  message: string,
  data?: Record<string, unknown>,
  hint = 'MLMD cannot store this value as given: change the value the message names (ints are 64-bit, strings without NUL, names non-empty).',
): UsageError {
  return new UsageError(MlmdErrorCode.invalidArgument, message, { data, hint });
}

/**
 * The error `err` thrown for item `index` of a batch call (createMany...), with the item's
 * position added to its data: same code, exit code, message and hint.
 */
export function batchItemError(err: unknown, index: number): unknown {
  if (!(err instanceof CmfError)) return err;
  return new CmfError(err.code, err.exitCode, err.message, {
    cause: err,
    ...(err.hint ? { hint: err.hint } : {}),
    data: { ...err.data, index },
  });
}

export function badRowError(message: string, data?: Record<string, unknown>): IntegrityError {
  return new IntegrityError(MlmdErrorCode.badRow, message, { data, hint: REPAIR_HINT });
}

/** SQLite's primary result code of an error from better-sqlite3 (`SQLITE_CORRUPT_VTAB` → `SQLITE_CORRUPT`). */
export function sqliteCode(err: unknown): string | undefined {
  if (err instanceof CmfError || !(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  const m = /^SQLITE_[A-Z]+/.exec(code);
  return m ? m[0] : code;
}

/**
 * Turns a SQLite error into the typed error a user can act on; anything else is returned
 * unchanged. Used around every statement the store runs, so a file damaged after opening
 * still yields MLMD_CORRUPT rather than a raw SqliteError.
 */
export function translateSqliteError(err: unknown, path: string, busyTimeoutMs: number): unknown {
  switch (sqliteCode(err)) {
    case 'SQLITE_NOTADB':
      return notSqliteError(path, err);
    case 'SQLITE_CORRUPT':
      return corruptError(path, (err as Error).message, err);
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return busyError(path, busyTimeoutMs, err);
    case 'SQLITE_READONLY':
      return (err as { code?: string }).code === 'SQLITE_READONLY_ROLLBACK'
        ? unfinishedWriteError(path, err)
        : notWritableError(path, err);
    case 'SQLITE_FULL':
      return diskFullError(path, err);
    case 'SQLITE_CANTOPEN':
      return cantOpenError(path, err);
    case 'SQLITE_CONSTRAINT':
      // The API checks names before inserting; this catches the rest (external_id, races).
      return alreadyExistsError(`A row with the same unique key (${(err as Error).message})`, {
        path,
      });
    default:
      return err;
  }
}
