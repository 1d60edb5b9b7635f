/**
 * The MLMD v10 SQLite schema, statement for statement as ml-metadata 1.15.0 executes it
 * (spec/formats.md B2 and Appendix B-X). The text keeps MLMD's original one-line spacing so
 * that `sqlite_master.sql` in a file we create is identical to one MLMD creates; SQLite
 * stores each statement without `IF NOT EXISTS`.
 */
import { TypeKind } from './enums.js';

/** The schema version this library reads and writes. */
export const MLMD_SCHEMA_VERSION = 10;

/** The 15 CREATE TABLE statements, in MLMD's order. */
export const CREATE_TABLES: readonly string[] = [
  ' CREATE TABLE IF NOT EXISTS `Type` (    `id` INTEGER PRIMARY KEY AUTOINCREMENT,    `name` VARCHAR(255) NOT NULL,    `version` VARCHAR(255),    `type_kind` TINYINT(1) NOT NULL,    `description` TEXT,    `input_type` TEXT,    `output_type` TEXT,    `external_id` VARCHAR(255) UNIQUE ); ',
  ' CREATE TABLE IF NOT EXISTS `TypeProperty` (    `type_id` INT NOT NULL,    `name` VARCHAR(255) NOT NULL,    `data_type` INT NULL,  PRIMARY KEY (`type_id`, `name`)); ',
  ' CREATE TABLE IF NOT EXISTS `ParentType` (    `type_id` INT NOT NULL,    `parent_type_id` INT NOT NULL,  PRIMARY KEY (`type_id`, `parent_type_id`)); ',
  ' CREATE TABLE IF NOT EXISTS `Artifact` (    `id` INTEGER PRIMARY KEY AUTOINCREMENT,    `type_id` INT NOT NULL,    `uri` TEXT,    `state` INT,    `name` VARCHAR(255),    `external_id` VARCHAR(255) UNIQUE,    `create_time_since_epoch` INT NOT NULL DEFAULT 0,    `last_update_time_since_epoch` INT NOT NULL DEFAULT 0,    UNIQUE(`type_id`, `name`)  ); ',
  ' CREATE TABLE IF NOT EXISTS `ArtifactProperty` (    `artifact_id` INT NOT NULL,    `name` VARCHAR(255) NOT NULL,    `is_custom_property` TINYINT(1) NOT NULL,    `int_value` INT,    `double_value` DOUBLE,    `string_value` TEXT,    `byte_value` BLOB,    `proto_value` BLOB,    `bool_value` BOOLEAN,  PRIMARY KEY (`artifact_id`, `name`, `is_custom_property`)); ',
  ' CREATE TABLE IF NOT EXISTS `Execution` (    `id` INTEGER PRIMARY KEY AUTOINCREMENT,    `type_id` INT NOT NULL,    `last_known_state` INT,    `name` VARCHAR(255),    `external_id` VARCHAR(255) UNIQUE,    `create_time_since_epoch` INT NOT NULL DEFAULT 0,    `last_update_time_since_epoch` INT NOT NULL DEFAULT 0,    UNIQUE(`type_id`, `name`)  ); ',
  ' CREATE TABLE IF NOT EXISTS `ExecutionProperty` (    `execution_id` INT NOT NULL,    `name` VARCHAR(255) NOT NULL,    `is_custom_property` TINYINT(1) NOT NULL,    `int_value` INT,    `double_value` DOUBLE,    `string_value` TEXT,    `byte_value` BLOB,    `proto_value` BLOB,    `bool_value` BOOLEAN,  PRIMARY KEY (`execution_id`, `name`, `is_custom_property`)); ',
  ' CREATE TABLE IF NOT EXISTS `Event` (    `id` INTEGER PRIMARY KEY AUTOINCREMENT,    `artifact_id` INT NOT NULL,    `execution_id` INT NOT NULL,    `type` INT NOT NULL,    `milliseconds_since_epoch` INT,    UNIQUE(`artifact_id`, `execution_id`, `type`)  ); ',
  ' CREATE TABLE IF NOT EXISTS `EventPath` (    `event_id` INT NOT NULL,    `is_index_step` TINYINT(1) NOT NULL,    `step_index` INT,    `step_key` TEXT  ); ',
  ' CREATE TABLE IF NOT EXISTS `MLMDEnv` (    `schema_version` INTEGER PRIMARY KEY  ); ',
  ' CREATE TABLE IF NOT EXISTS `Context` (    `id` INTEGER PRIMARY KEY AUTOINCREMENT,    `type_id` INT NOT NULL,    `name` VARCHAR(255) NOT NULL,    `external_id` VARCHAR(255) UNIQUE,    `create_time_since_epoch` INT NOT NULL DEFAULT 0,    `last_update_time_since_epoch` INT NOT NULL DEFAULT 0,    UNIQUE(`type_id`, `name`)  ); ',
  ' CREATE TABLE IF NOT EXISTS `ContextProperty` (    `context_id` INT NOT NULL,    `name` VARCHAR(255) NOT NULL,    `is_custom_property` TINYINT(1) NOT NULL,    `int_value` INT,    `double_value` DOUBLE,    `string_value` TEXT,    `byte_value` BLOB,    `proto_value` BLOB,    `bool_value` BOOLEAN,  PRIMARY KEY (`context_id`, `name`, `is_custom_property`)); ',
  ' CREATE TABLE IF NOT EXISTS `ParentContext` (    `context_id` INT NOT NULL,    `parent_context_id` INT NOT NULL,  PRIMARY KEY (`context_id`, `parent_context_id`)); ',
  ' CREATE TABLE IF NOT EXISTS `Association` (    `id` INTEGER PRIMARY KEY AUTOINCREMENT,    `context_id` INT NOT NULL,    `execution_id` INT NOT NULL,    UNIQUE(`context_id`, `execution_id`)  ); ',
  ' CREATE TABLE IF NOT EXISTS `Attribution` (    `id` INTEGER PRIMARY KEY AUTOINCREMENT,    `context_id` INT NOT NULL,    `artifact_id` INT NOT NULL,    UNIQUE(`context_id`, `artifact_id`)  ); ',
];

/** The 24 secondary indexes MLMD's SQLite config creates, in MLMD's order. */
export const CREATE_INDEXES: readonly string[] = [
  ' CREATE INDEX IF NOT EXISTS `idx_artifact_uri`  ON `Artifact`(`uri`); ',
  ' CREATE INDEX IF NOT EXISTS    `idx_artifact_create_time_since_epoch`  ON `Artifact`(`create_time_since_epoch`); ',
  ' CREATE INDEX IF NOT EXISTS    `idx_artifact_last_update_time_since_epoch`  ON `Artifact`(`last_update_time_since_epoch`); ',
  ' CREATE INDEX IF NOT EXISTS `idx_event_execution_id`  ON `Event`(`execution_id`); ',
  ' CREATE INDEX IF NOT EXISTS `idx_parentcontext_parent_context_id`  ON `ParentContext`(`parent_context_id`); ',
  ' CREATE INDEX IF NOT EXISTS `idx_type_name`  ON `Type`(`name`); ',
  ' CREATE INDEX IF NOT EXISTS    `idx_execution_create_time_since_epoch`  ON `Execution`(`create_time_since_epoch`); ',
  ' CREATE INDEX IF NOT EXISTS    `idx_execution_last_update_time_since_epoch`  ON `Execution`(`last_update_time_since_epoch`); ',
  ' CREATE INDEX IF NOT EXISTS    `idx_context_create_time_since_epoch`  ON `Context`(`create_time_since_epoch`); ',
  ' CREATE INDEX IF NOT EXISTS    `idx_context_last_update_time_since_epoch`  ON `Context`(`last_update_time_since_epoch`); ',
  ' CREATE INDEX IF NOT EXISTS `idx_eventpath_event_id`  ON `EventPath`(`event_id`); ',
  ' CREATE INDEX IF NOT EXISTS `idx_artifact_property_int`  ON `ArtifactProperty`(`name`, `is_custom_property`, `int_value`)  WHERE `int_value` IS NOT NULL; ',
  ' CREATE INDEX IF NOT EXISTS `idx_artifact_property_double`  ON `ArtifactProperty`(`name`, `is_custom_property`, `double_value`)  WHERE `double_value` IS NOT NULL; ',
  ' CREATE INDEX IF NOT EXISTS `idx_artifact_property_string`  ON `ArtifactProperty`(`name`, `is_custom_property`, `string_value`)  WHERE `string_value` IS NOT NULL; ',
  ' CREATE INDEX IF NOT EXISTS `idx_execution_property_int`  ON `ExecutionProperty`(`name`, `is_custom_property`, `int_value`)  WHERE `int_value` IS NOT NULL; ',
  ' CREATE INDEX IF NOT EXISTS `idx_execution_property_double`  ON `ExecutionProperty`(`name`, `is_custom_property`, `double_value`)  WHERE `double_value` IS NOT NULL; ',
  ' CREATE INDEX IF NOT EXISTS `idx_execution_property_string`  ON `ExecutionProperty`(`name`, `is_custom_property`, `string_value`)  WHERE `string_value` IS NOT NULL; ',
  ' CREATE INDEX IF NOT EXISTS `idx_context_property_int`  ON `ContextProperty`(`name`, `is_custom_property`, `int_value`)  WHERE `int_value` IS NOT NULL; ',
  ' CREATE INDEX IF NOT EXISTS `idx_context_property_double`  ON `ContextProperty`(`name`, `is_custom_property`, `double_value`)  WHERE `double_value` IS NOT NULL; ',
  ' CREATE INDEX IF NOT EXISTS `idx_context_property_string`  ON `ContextProperty`(`name`, `is_custom_property`, `string_value`)  WHERE `string_value` IS NOT NULL; ',
  ' CREATE INDEX IF NOT EXISTS `idx_type_external_id`  ON `Type`(`external_id`); ',
  ' CREATE INDEX IF NOT EXISTS `idx_artifact_external_id`  ON `Artifact`(`external_id`); ',
  ' CREATE INDEX IF NOT EXISTS `idx_execution_external_id`  ON `Execution`(`external_id`); ',
  ' CREATE INDEX IF NOT EXISTS `idx_context_external_id`  ON `Context`(`external_id`); ',
];

export const INSERT_SCHEMA_VERSION = ' INSERT INTO `MLMDEnv`(`schema_version`) VALUES(10); ';

export interface SimpleType {
  readonly name: string;
  readonly kind: TypeKind;
  /** MLMD's own insert statement (artifact and execution kinds differ in their column lists). */
  readonly insertSql: string;
}

/**
 * The 9 system ("simple") types MLMD upserts on every open, in insertion order: on a fresh
 * file they get ids 1–9. User types may have one of them as base type (a ParentType row).
 */
export const SIMPLE_TYPES: readonly SimpleType[] = [
  {
    name: 'mlmd.Dataset',
    kind: TypeKind.ARTIFACT,
    insertSql:
      " INSERT INTO `Type`(    `name`, `type_kind`, `version`, `description`, `external_id` ) VALUES('mlmd.Dataset', 1, NULL, NULL, NULL);",
  },
  {
    name: 'mlmd.Model',
    kind: TypeKind.ARTIFACT,
    insertSql:
      " INSERT INTO `Type`(    `name`, `type_kind`, `version`, `description`, `external_id` ) VALUES('mlmd.Model', 1, NULL, NULL, NULL);",
  },
  {
    name: 'mlmd.Metrics',
    kind: TypeKind.ARTIFACT,
    insertSql:
      " INSERT INTO `Type`(    `name`, `type_kind`, `version`, `description`, `external_id` ) VALUES('mlmd.Metrics', 1, NULL, NULL, NULL);",
  },
  {
    name: 'mlmd.Statistics',
    kind: TypeKind.ARTIFACT,
    insertSql:
      " INSERT INTO `Type`(    `name`, `type_kind`, `version`, `description`, `external_id` ) VALUES('mlmd.Statistics', 1, NULL, NULL, NULL);",
  },
  {
    name: 'mlmd.Train',
    kind: TypeKind.EXECUTION,
    insertSql:
      " INSERT INTO `Type`(    `name`, `type_kind`, `version`, `description`,    `input_type`, `output_type`, `external_id`  ) VALUES('mlmd.Train', 0, NULL, NULL, null, null, NULL);",
  },
  {
    name: 'mlmd.Transform',
    kind: TypeKind.EXECUTION,
    insertSql:
      " INSERT INTO `Type`(    `name`, `type_kind`, `version`, `description`,    `input_type`, `output_type`, `external_id`  ) VALUES('mlmd.Transform', 0, NULL, NULL, null, null, NULL);",
  },
  {
    name: 'mlmd.Process',
    kind: TypeKind.EXECUTION,
    insertSql:
      " INSERT INTO `Type`(    `name`, `type_kind`, `version`, `description`,    `input_type`, `output_type`, `external_id`  ) VALUES('mlmd.Process', 0, NULL, NULL, null, null, NULL);",
  },
  {
    name: 'mlmd.Evaluate',
    kind: TypeKind.EXECUTION,
    insertSql:
      " INSERT INTO `Type`(    `name`, `type_kind`, `version`, `description`,    `input_type`, `output_type`, `external_id`  ) VALUES('mlmd.Evaluate', 0, NULL, NULL, null, null, NULL);",
  },
  {
    name: 'mlmd.Deploy',
    kind: TypeKind.EXECUTION,
    insertSql:
      " INSERT INTO `Type`(    `name`, `type_kind`, `version`, `description`,    `input_type`, `output_type`, `external_id`  ) VALUES('mlmd.Deploy', 0, NULL, NULL, null, null, NULL);",
  },
];

/** Names of the simple types; MLMD hides them from type listings. */
export const SIMPLE_TYPE_NAMES: ReadonlySet<string> = new Set(SIMPLE_TYPES.map((t) => t.name));

const PROPERTY_COLUMNS = [
  'name',
  'is_custom_property',
  'int_value',
  'double_value',
  'string_value',
  'byte_value',
  'proto_value',
  'bool_value',
];

/**
 * MLMD's 15 table checks (B5): on open, each `SELECT <columns> FROM <table> LIMIT 1` must
 * succeed. All passing means a v10 store; some passing means a damaged store ("subset of
 * tables"); none passing means an empty database that MLMD would initialise.
 */
export const TABLE_CHECKS: ReadonlyArray<{ table: string; columns: readonly string[] }> = [
  {
    table: 'Type',
    columns: ['id', 'name', 'version', 'type_kind', 'description', 'input_type', 'output_type'],
  },
  { table: 'ParentType', columns: ['type_id', 'parent_type_id'] },
  { table: 'TypeProperty', columns: ['type_id', 'name', 'data_type'] },
  {
    table: 'Artifact',
    columns: [
      'id',
      'type_id',
      'uri',
      'state',
      'name',
      'create_time_since_epoch',
      'last_update_time_since_epoch',
    ],
  },
  { table: 'ArtifactProperty', columns: ['artifact_id', ...PROPERTY_COLUMNS] },
  {
    table: 'Execution',
    columns: [
      'id',
      'type_id',
      'last_known_state',
      'name',
      'create_time_since_epoch',
      'last_update_time_since_epoch',
    ],
  },
  { table: 'ExecutionProperty', columns: ['execution_id', ...PROPERTY_COLUMNS] },
  {
    table: 'Event',
    columns: ['id', 'artifact_id', 'execution_id', 'type', 'milliseconds_since_epoch'],
  },
  { table: 'EventPath', columns: ['event_id', 'is_index_step', 'step_index', 'step_key'] },
  { table: 'MLMDEnv', columns: ['schema_version'] },
  {
    table: 'Context',
    columns: ['id', 'type_id', 'name', 'create_time_since_epoch', 'last_update_time_since_epoch'],
  },
  { table: 'ParentContext', columns: ['context_id', 'parent_context_id'] },
  { table: 'ContextProperty', columns: ['context_id', ...PROPERTY_COLUMNS] },
  { table: 'Association', columns: ['id', 'context_id', 'execution_id'] },
  { table: 'Attribution', columns: ['id', 'context_id', 'artifact_id'] },
];
