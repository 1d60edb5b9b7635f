/**
 * Typed errors of the PostgreSQL store. The schema problems keep the codes the SQLite store
 * uses (MLMD_NOT_MLMD, MLMD_SCHEMA_VERSION...), so callers handle both stores alike;
 * connection and login problems have their own codes. Messages name the database by its
 * location, which never holds the password.
 */
import {
  CmfError,
  ConfigError,
  IntegrityError,
  OperationError,
  UsageError,
  type CmfErrorOptions,
} from '../../errors/index.js';
import { MlmdErrorCode, alreadyExistsError, invalidArgumentError } from '../errors.js';

export const PgErrorCode = {
  /** The URL could not be parsed. */
  badUrl: 'MLMD_PG_URL',
  /** No server answered (refused, unreachable, timed out) or the connection broke. */
  connect: 'MLMD_PG_CONNECT',
  /** The server refused the user name or password. */
  auth: 'MLMD_PG_AUTH',
  /** The database named in the URL does not exist. */
  noDatabase: 'MLMD_PG_NO_DATABASE',
  /** The user may not read or create the tables. */
  permission: 'MLMD_PG_PERMISSION',
  /** The schema (named by search_path) does not exist. */
  noSchema: 'MLMD_PG_NO_SCHEMA',
  /** Any other error the server reported. */
  server: 'MLMD_PG_ERROR',
} as const;

/** The database at `location` is unusable as an MLMD v10 store. */
export class MlmdDatabaseError extends IntegrityError {
  readonly location: string;
  constructor(code: string, location: string, message: string, opts: CmfErrorOptions = {}) {
    super(code, message, { ...opts, data: { location, ...opts.data } });
    this.location = location;
  }
}

const OTHER_DATABASE_HINT =
  'Give --database the URL of an empty database (or schema) or of an MLMD v10 store; cmf never changes a database it did not create.';

export function badUrlError(): UsageError {
  // The URL itself is not repeated: it may hold a password.
  return new UsageError(PgErrorCode.badUrl, 'The PostgreSQL database URL is not a valid URL.', {
    hint: 'Use the form postgres://USER:PASSWORD@HOST:PORT/DATABASE (percent-encode special characters in the password).',
  });
}

export function notMlmdDatabaseError(location: string, tables: string[]): MlmdDatabaseError {
  const shown = tables.slice(0, 8).join(', ') + (tables.length > 8 ? ', ...' : '');
  return new MlmdDatabaseError(
    MlmdErrorCode.notMlmd,
    location,
    `${location} is not an MLMD store: its schema holds tables, none of them MLMD's (${shown}).`,
    { hint: OTHER_DATABASE_HINT, data: { tables } },
  );
}

export function pgSchemaVersionError(
  location: string,
  found: number,
  expected: number,
): MlmdDatabaseError {
  return new MlmdDatabaseError(
    MlmdErrorCode.schemaVersion,
    location,
    `${location} has MLMD schema version ${found}; cmf needs ${expected}.`,
    {
      hint:
        found > expected
          ? `It was written by a newer ml-metadata; downgrade it with Python ml_metadata.metadata_store.downgrade_schema(config, ${expected}), or use another database.`
          : 'It was written by an older ml-metadata; upgrade it with Python MetadataStore(config, enable_upgrade_migration=True) using ml-metadata 1.15, or use another database.',
      data: { found, expected },
    },
  );
}

export function pgSchemaVersionRowError(location: string, rows: number): MlmdDatabaseError {
  return new MlmdDatabaseError(
    MlmdErrorCode.schemaVersionRow,
    location,
    `${location} is a damaged MLMD store: table MLMDEnv must hold exactly one schema_version row, it holds ${rows}.`,
    { hint: 'Restore the database from a backup.', data: { rows } },
  );
}

export function pgIncompleteSchemaError(
  location: string,
  present: string[],
  missing: string[],
): MlmdDatabaseError {
  return new MlmdDatabaseError(
    MlmdErrorCode.incompleteSchema,
    location,
    `${location} is an incomplete MLMD store: ${missing.length} of the 15 MLMD tables are missing or lack columns (${missing.join(', ')}).`,
    {
      hint: `Restore the database from a backup. ${OTHER_DATABASE_HINT}`,
      data: { present, missing },
    },
  );
}

/** PostgreSQL's SQLSTATE of an error from `pg`, if it has one. */
export function sqlState(err: unknown): string | undefined {
  if (err instanceof CmfError || !(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function detail(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return detail(err.errors[0]);
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code)
      ? `${code}: ${err.message}`
      : err.message;
  }
  return String(err);
}

export function connectError(location: string, cause: unknown): OperationError {
  return new OperationError(
    PgErrorCode.connect,
    `Cannot reach PostgreSQL at ${location} (${detail(cause)}).`,
    {
      cause,
      hint: 'Check that the PostgreSQL server runs and that the host and port in the database URL are right.',
      data: { location },
    },
  );
}

/**
 * Turns an error from `pg` into the typed error a user can act on. Errors without a
 * SQLSTATE are network failures (refused, reset, timed out); anything already typed, or not
 * from PostgreSQL at all, is returned unchanged.
 */
export function translatePgError(err: unknown, location: string): unknown {
  if (err instanceof CmfError || !(err instanceof Error)) return err;
  const state = sqlState(err);
  if (state === undefined) {
    const network =
      err instanceof AggregateError ||
      typeof (err as { code?: unknown }).code === 'string' ||
      /connection|timeout|terminated/i.test(err.message);
    return network ? connectError(location, err) : err;
  }
  const opts = { cause: err, data: { location, sqlState: state } };
  switch (state) {
    case '28P01':
    case '28000':
      return new ConfigError(
        PgErrorCode.auth,
        `PostgreSQL at ${location} refused the login: ${err.message}.`,
        {
          ...opts,
          hint: 'Check the user name and password in the database URL (percent-encode special characters).',
        },
      );
    case '3D000':
      return new ConfigError(PgErrorCode.noDatabase, `${location}: ${err.message}.`, {
        ...opts,
        hint: 'Create the database first (createdb NAME, or CREATE DATABASE NAME in psql), or fix its name in the URL.',
      });
    case '3F000':
      // invalid_schema_name: "no schema has been selected to create in" when no schema of the
      // search_path exists, or "schema ... does not exist".
      return new ConfigError(PgErrorCode.noSchema, `${location}: ${err.message}.`, {
        ...opts,
        hint: 'The schema named by the search_path (in the URL: ?options=-c%20search_path%3DNAME) does not exist: create it (CREATE SCHEMA NAME in psql), or fix the name.',
      });
    case '42501':
      return new ConfigError(PgErrorCode.permission, `${location}: ${err.message}.`, {
        ...opts,
        hint: 'Give the user the right to use and create tables in the schema (GRANT USAGE, CREATE ON SCHEMA ...), or check its search_path.',
      });
    case '23505':
      // The API looks names up before inserting; this catches the rest (external ids).
      return alreadyExistsError(`A row with the same unique key (${err.message})`, { location });
    case '57P01':
    case '57P02':
    case '57P03':
    case '08000':
    case '08003':
    case '08006':
      return connectError(location, err);
    default:
      if (state.startsWith('22')) return invalidArgumentError(`${err.message}.`, { location });
      return new OperationError(PgErrorCode.server, `PostgreSQL at ${location}: ${err.message}.`, {
        ...opts,
        hint: 'See the PostgreSQL server log for details.',
      });
  }
}

export function pgEmptyDatabaseError(location: string): MlmdDatabaseError {
  return new MlmdDatabaseError(
    MlmdErrorCode.emptyFile,
    location,
    `${location} holds no MLMD store and was not initialised (create is false).`,
    { hint: 'Open it with creation allowed to create the MLMD tables.' },
  );
}

export function transactionAbortedError(location: string, cause: unknown): OperationError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new OperationError(
    'MLMD_TRANSACTION_ABORTED',
    `A statement failed inside a transaction on ${location}, so PostgreSQL aborted it and nothing of it was written (${why}).`,
    {
      cause,
      hint: 'Let the transaction function fail on the first error and run it again.',
      data: { location },
    },
  );
}
