/**
 * Opening an MLMD file the way ml-metadata 1.15 does (spec/formats.md B5), except that we
 * never turn a file that is not an MLMD store into one: everything is inspected with reads
 * first, and only an empty database is initialised.
 */
import type { Connection } from './connection.js';
import {
  corruptError,
  incompleteSchemaError,
  notMlmdError,
  schemaVersionError,
  schemaVersionRowError,
  sqliteCode,
} from './errors.js';
import {
  CREATE_INDEXES,
  CREATE_TABLES,
  INSERT_SCHEMA_VERSION,
  MLMD_SCHEMA_VERSION,
  SIMPLE_TYPES,
  type SimpleType,
  TABLE_CHECKS,
} from './schema.js';

export type Inspection =
  /** No schema objects at all: a 0-byte file, or a SQLite file with nothing in it. */
  { kind: 'empty' } | { kind: 'mlmd'; version: number; missingSimpleTypes: SimpleType[] };

/**
 * Reads what the file holds. Throws the typed error for anything that is not a complete
 * v10 store or an empty database. Reads only; must run inside a transaction.
 */
export function inspect(conn: Connection): Inspection {
  const objects = conn.stmt('SELECT type, name FROM sqlite_master').all() as {
    type: string;
    name: string;
  }[];
  if (objects.length === 0) return { kind: 'empty' };
  const tables = objects.filter((o) => o.type === 'table').map((o) => o.name);
  // SQLite table names are case-insensitive.
  const have = new Set(tables.map((t) => t.toLowerCase()));
  if (!have.has('mlmdenv')) {
    const present = TABLE_CHECKS.map((c) => c.table).filter((t) => have.has(t.toLowerCase()));
    if (present.length === 0) throw notMlmdError(conn.path, tables);
    // MLMD's probe for the v0.13.2 layout, which predates MLMDEnv.
    if (
      succeeds(
        conn,
        'SELECT Type.is_artifact_type FROM Artifact, Event, Execution, Type, ArtifactProperty, EventPath, ExecutionProperty, TypeProperty LIMIT 1',
      )
    ) {
      throw schemaVersionError(conn.path, 0, MLMD_SCHEMA_VERSION);
    }
    throw incompleteSchemaError(conn.path, present, missingTables(conn));
  }
  let versions: { schema_version: unknown }[];
  try {
    versions = conn.db.prepare('SELECT schema_version FROM MLMDEnv').all() as typeof versions;
  } catch (err) {
    if (sqliteCode(err) !== 'SQLITE_ERROR') throw err;
    throw incompleteSchemaError(conn.path, [], ['MLMDEnv']);
  }
  if (versions.length !== 1) throw schemaVersionRowError(conn.path, versions.length);
  const version = Number(versions[0]?.schema_version);
  if (version !== MLMD_SCHEMA_VERSION) {
    throw schemaVersionError(conn.path, version, MLMD_SCHEMA_VERSION);
  }
  const missing = missingTables(conn);
  if (missing.length > 0) {
    const present = TABLE_CHECKS.map((c) => c.table).filter((t) => !missing.includes(t));
    throw incompleteSchemaError(conn.path, present, missing);
  }
  const found = conn
    .stmt("SELECT name, type_kind FROM Type WHERE version IS NULL AND name LIKE 'mlmd.%'")
    .all() as { name: string; type_kind: number }[];
  const missingSimpleTypes = SIMPLE_TYPES.filter(
    (s) => !found.some((f) => f.name === s.name && Number(f.type_kind) === s.kind),
  );
  return { kind: 'mlmd', version, missingSimpleTypes };
}

/** MLMD's 15 table checks; returns the tables whose check fails. */
function missingTables(conn: Connection): string[] {
  return TABLE_CHECKS.filter(
    (c) => !succeeds(conn, `SELECT ${c.columns.join(', ')} FROM ${c.table} LIMIT 1`),
  ).map((c) => c.table);
}

/** Whether a query runs; "no such table/column" is false, anything else (corruption) throws. */
function succeeds(conn: Connection, sql: string): boolean {
  try {
    conn.db.prepare(sql).get();
    return true;
  } catch (err) {
    if (sqliteCode(err) === 'SQLITE_ERROR') return false;
    throw err;
  }
}

/** Creates the v10 schema and its initial rows. Must run inside a write transaction. */
export function createSchema(conn: Connection): void {
  for (const sql of CREATE_TABLES) conn.db.exec(sql);
  for (const sql of CREATE_INDEXES) conn.db.exec(sql);
  conn.db.exec(INSERT_SCHEMA_VERSION);
  for (const t of SIMPLE_TYPES) conn.db.exec(t.insertSql);
}

/** Inserts the simple types that are missing, as MLMD does on every read-write open. */
export function insertSimpleTypes(conn: Connection, types: SimpleType[]): void {
  for (const t of types) conn.db.exec(t.insertSql);
}

/** `PRAGMA quick_check` (or `integrity_check`); throws MLMD_CORRUPT with SQLite's findings. */
export function checkIntegrity(conn: Connection, kind: 'quick' | 'full'): void {
  const pragma = kind === 'quick' ? 'quick_check(20)' : 'integrity_check(20)';
  const rows = conn.db.pragma(pragma) as Record<string, string>[];
  const messages = rows.map((r) => String(Object.values(r)[0]));
  if (messages.length !== 1 || messages[0] !== 'ok') {
    throw corruptError(conn.path, messages.slice(0, 5).join('; '));
  }
}
