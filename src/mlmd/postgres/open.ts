/**
 * Opening an MLMD store in PostgreSQL the way ml-metadata checks one (its table checks on
 * information_schema, the MLMDEnv version row), except that we never turn a schema that is
 * not an MLMD store into one: everything is inspected with reads first, and only a schema
 * with no tables at all is initialised.
 */
import {
  notMlmdDatabaseError,
  pgIncompleteSchemaError,
  pgSchemaVersionError,
  pgSchemaVersionRowError,
} from './errors.js';
import {
  MLMD_SCHEMA_VERSION,
  PG_CREATE_INDEXES,
  PG_CREATE_TABLES,
  PG_INSERT_SCHEMA_VERSION,
  PG_INSERT_SIMPLE_TYPE,
  PG_TABLE_CHECKS,
  SIMPLE_TYPES,
} from './schema.js';
import type { Querier } from './session.js';
import type { SimpleType } from '../schema.js';

export type PgInspection =
  | { kind: 'empty' }
  | {
      kind: 'mlmd';
      version: number;
      missingSimpleTypes: SimpleType[];
      /** Whether EventPath has our `seq` column (a store ml-metadata created has not). */
      eventPathSeq: boolean;
    };

/**
 * Reads what the current schema (the first one on the search_path, `public` by default)
 * holds. Throws the typed error for anything that is not a complete v10 store or empty.
 */
export async function inspect(q: Querier, location: string): Promise<PgInspection> {
  const rows = await q.query<{ table_name: string; columns: string[] }>(
    `SELECT table_name::text AS table_name, array_agg(column_name::text) AS columns
     FROM information_schema.columns WHERE table_schema = current_schema() GROUP BY table_name ORDER BY table_name`,
  );
  if (rows.length === 0) return { kind: 'empty' };
  const columns = new Map(rows.map((r) => [r.table_name, new Set(r.columns)]));
  const missing = PG_TABLE_CHECKS.filter(
    (c) => !c.columns.every((col) => columns.get(c.folded)?.has(col)),
  ).map((c) => c.table);
  const present = PG_TABLE_CHECKS.filter((c) => columns.has(c.folded)).map((c) => c.table);
  if (present.length === 0) {
    throw notMlmdDatabaseError(
      location,
      rows.map((r) => r.table_name),
    );
  }
  if (!columns.get('mlmdenv')?.has('schema_version')) {
    throw pgIncompleteSchemaError(location, present, missing);
  }
  const versions = await q.query<{ schema_version: number }>('SELECT schema_version FROM MLMDEnv');
  if (versions.length !== 1) throw pgSchemaVersionRowError(location, versions.length);
  const version = Number(versions[0]!.schema_version);
  if (version !== MLMD_SCHEMA_VERSION) {
    throw pgSchemaVersionError(location, version, MLMD_SCHEMA_VERSION);
  }
  if (missing.length > 0) throw pgIncompleteSchemaError(location, present, missing);
  const found = await q.query<{ name: string; type_kind: number }>(
    "SELECT name, type_kind FROM Type WHERE version IS NULL AND name LIKE 'mlmd.%'",
  );
  const missingSimpleTypes = SIMPLE_TYPES.filter(
    (s) => !found.some((f) => f.name === s.name && Number(f.type_kind) === s.kind),
  );
  const eventPathSeq = columns.get('eventpath')?.has('seq') ?? false;
  return { kind: 'mlmd', version, missingSimpleTypes, eventPathSeq };
}

/** Creates the v10 schema and its first rows. Must run inside a write transaction. */
export async function createSchema(q: Querier): Promise<void> {
  for (const sql of PG_CREATE_TABLES) await q.query(sql);
  for (const sql of PG_CREATE_INDEXES) await q.query(sql);
  await q.query(PG_INSERT_SCHEMA_VERSION);
  await insertSimpleTypes(q, SIMPLE_TYPES);
}

/** Inserts the simple types that are missing, as MLMD does on every read-write open. */
export async function insertSimpleTypes(q: Querier, types: readonly SimpleType[]): Promise<void> {
  for (const t of types) await q.query(PG_INSERT_SIMPLE_TYPE, [t.name, t.kind]);
}
