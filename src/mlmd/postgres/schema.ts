/**
 * The MLMD v10 schema in PostgreSQL. Table and column names, constraint names and the
 * secondary indexes follow ml-metadata's own PostgreSQL layout (metadata_source_query_config,
 * POSTGRESQL_METADATA_SOURCE): unquoted identifiers, so PostgreSQL folds them to lower case
 * (`type`, `artifactproperty`...), SERIAL ids, BIGINT times, BOOLEAN flags, BYTEA protos.
 *
 * Where ml-metadata's layout cannot hold what the SQLite store holds, we deviate, so both
 * stores keep the same values:
 * - `int_value` and `eventpath.step_index` are BIGINT (ml-metadata: INT, which cannot hold
 *   an int64 property).
 * - Names, versions and external ids are TEXT (ml-metadata: VARCHAR(255)); SQLite does not
 *   enforce the length and cmf names (path:hash) can be longer.
 * - `eventpath` has one extra column, `seq`, so path steps read back in insertion order
 *   (ml-metadata relies on heap order). Its inserts name their columns, so it still writes
 *   this table; in a store ml-metadata created, steps are read in heap order as it does.
 *
 * A store created by ml-metadata (INT values, VARCHAR(255) names) is read and written as it
 * is; what its columns cannot hold is refused with MLMD_INVALID_ARGUMENT.
 * - The string-property indexes cover the first 255 characters of `string_value`: a B-tree
 *   entry must stay under ~2.7 kB and struct values are long.
 */
import { MLMD_SCHEMA_VERSION, SIMPLE_TYPES, TABLE_CHECKS } from '../schema.js';

const PROPERTY_COLUMNS = (idColumn: string): string =>
  `${idColumn} INT NOT NULL, name TEXT NOT NULL, is_custom_property BOOLEAN NOT NULL, ` +
  'int_value BIGINT, double_value DOUBLE PRECISION, string_value TEXT, byte_value BYTEA, ' +
  `proto_value BYTEA, bool_value BOOLEAN, PRIMARY KEY (${idColumn}, name, is_custom_property)`;

const TIMES =
  'create_time_since_epoch BIGINT NOT NULL DEFAULT 0, last_update_time_since_epoch BIGINT NOT NULL DEFAULT 0';

/** The 15 tables, in ml-metadata's order. */
export const PG_CREATE_TABLES: readonly string[] = [
  'CREATE TABLE Type (id SERIAL PRIMARY KEY, name TEXT NOT NULL, version TEXT, type_kind SMALLINT NOT NULL, description TEXT, input_type TEXT, output_type TEXT, external_id TEXT UNIQUE)',
  'CREATE TABLE TypeProperty (type_id INT NOT NULL, name TEXT NOT NULL, data_type INT NULL, PRIMARY KEY (type_id, name))',
  'CREATE TABLE ParentType (type_id INT NOT NULL, parent_type_id INT NOT NULL, PRIMARY KEY (type_id, parent_type_id))',
  `CREATE TABLE Artifact (id SERIAL PRIMARY KEY, type_id INT NOT NULL, uri TEXT, state INT, name TEXT, external_id TEXT UNIQUE, ${TIMES}, CONSTRAINT UniqueArtifactTypeName UNIQUE (type_id, name))`,
  `CREATE TABLE ArtifactProperty (${PROPERTY_COLUMNS('artifact_id')})`,
  `CREATE TABLE Execution (id SERIAL PRIMARY KEY, type_id INT NOT NULL, last_known_state INT, name TEXT, external_id TEXT UNIQUE, ${TIMES}, CONSTRAINT UniqueExecutionTypeName UNIQUE (type_id, name))`,
  `CREATE TABLE ExecutionProperty (${PROPERTY_COLUMNS('execution_id')})`,
  'CREATE TABLE Event (id SERIAL PRIMARY KEY, artifact_id INT NOT NULL, execution_id INT NOT NULL, type INT NOT NULL, milliseconds_since_epoch BIGINT, CONSTRAINT UniqueEvent UNIQUE (artifact_id, execution_id, type))',
  'CREATE TABLE EventPath (event_id INT NOT NULL, is_index_step BOOLEAN NOT NULL, step_index BIGINT, step_key TEXT, seq BIGSERIAL)',
  'CREATE TABLE MLMDEnv (schema_version INT PRIMARY KEY)',
  `CREATE TABLE Context (id SERIAL PRIMARY KEY, type_id INT NOT NULL, name TEXT NOT NULL, external_id TEXT UNIQUE, ${TIMES}, UNIQUE (type_id, name))`,
  `CREATE TABLE ContextProperty (${PROPERTY_COLUMNS('context_id')})`,
  'CREATE TABLE ParentContext (context_id INT NOT NULL, parent_context_id INT NOT NULL, PRIMARY KEY (context_id, parent_context_id))',
  'CREATE TABLE Association (id SERIAL PRIMARY KEY, context_id INT NOT NULL, execution_id INT NOT NULL, UNIQUE (context_id, execution_id))',
  'CREATE TABLE Attribution (id SERIAL PRIMARY KEY, context_id INT NOT NULL, artifact_id INT NOT NULL, UNIQUE (context_id, artifact_id))',
];

const propertyIndexes = (table: string, prefix: string): string[] => [
  `CREATE INDEX idx_${prefix}_property_int ON ${table} (name, is_custom_property, int_value)`,
  `CREATE INDEX idx_${prefix}_property_double ON ${table} (name, is_custom_property, double_value)`,
  `CREATE INDEX idx_${prefix}_property_string ON ${table} (name, is_custom_property, left(string_value, 255))`,
];

/** ml-metadata's secondary indexes for PostgreSQL, with its names. */
export const PG_CREATE_INDEXES: readonly string[] = [
  'CREATE INDEX idx_artifact_uri ON Artifact (uri)',
  'CREATE INDEX idx_artifact_create_time_since_epoch ON Artifact (create_time_since_epoch)',
  'CREATE INDEX idx_artifact_last_update_time_since_epoch ON Artifact (last_update_time_since_epoch)',
  'CREATE INDEX idx_event_execution_id ON Event (execution_id)',
  'CREATE INDEX idx_parentcontext_parent_context_id ON ParentContext (parent_context_id)',
  'CREATE INDEX idx_type_name ON Type (name)',
  'CREATE INDEX idx_execution_create_time_since_epoch ON Execution (create_time_since_epoch)',
  'CREATE INDEX idx_execution_last_update_time_since_epoch ON Execution (last_update_time_since_epoch)',
  'CREATE INDEX idx_context_create_time_since_epoch ON Context (create_time_since_epoch)',
  'CREATE INDEX idx_context_last_update_time_since_epoch ON Context (last_update_time_since_epoch)',
  'CREATE INDEX idx_eventpath_event_id ON EventPath (event_id)',
  ...propertyIndexes('ArtifactProperty', 'artifact'),
  ...propertyIndexes('ExecutionProperty', 'execution'),
  ...propertyIndexes('ContextProperty', 'context'),
  'CREATE INDEX idx_type_external_id ON Type (external_id)',
  'CREATE INDEX idx_artifact_external_id ON Artifact (external_id)',
  'CREATE INDEX idx_execution_external_id ON Execution (external_id)',
  'CREATE INDEX idx_context_external_id ON Context (external_id)',
];

export const PG_INSERT_SCHEMA_VERSION = `INSERT INTO MLMDEnv (schema_version) VALUES (${MLMD_SCHEMA_VERSION})`;

/** Inserts one simple type; parameters: name, type_kind. */
export const PG_INSERT_SIMPLE_TYPE =
  'INSERT INTO Type (name, type_kind, version, description, input_type, output_type, external_id) VALUES ($1, $2, NULL, NULL, NULL, NULL, NULL)';

/** MLMD's table checks with PostgreSQL's folded names: each table needs these columns. */
export const PG_TABLE_CHECKS = TABLE_CHECKS.map((c) => ({
  table: c.table,
  folded: c.table.toLowerCase(),
  columns: c.columns,
}));

export { MLMD_SCHEMA_VERSION, SIMPLE_TYPES };
