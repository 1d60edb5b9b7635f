/**
 * What the three node kinds (artifacts, executions, contexts) are, independent of where
 * they are stored: their tables, how a row becomes a record, how inputs and updates are
 * checked, and how property values are validated against a type. Pure functions only, so
 * the SQLite store (node-store.ts) and the PostgreSQL store share one set of rules.
 */
import { ArtifactState, ExecutionState, PropertyType, TypeKind, enumName } from './enums.js';
import { invalidArgumentError, propertyTypeError, unknownPropertyError } from './errors.js';
import { getOwn, setOwn } from '../util/own-keys.js';
import type {
  ArtifactInput,
  ArtifactUpdate,
  ContextInput,
  ContextUpdate,
  ExecutionInput,
  ExecutionUpdate,
  MlmdArtifact,
  MlmdContext,
  MlmdExecution,
  MlmdType,
  NodeBase,
  NodeInputBase,
  NodeUpdateBase,
} from './records.js';
import {
  type Properties,
  type PropertyInputs,
  type ValueColumns,
  type ValueRow,
  decodeValue,
  encodeValue,
  propertyTypeOf,
  toPropertyValue,
} from './values.js';

/** How one node kind maps onto its tables. */
export interface NodeTable {
  kind: TypeKind;
  /** 'Artifact' | 'Execution' | 'Context' */
  table: string;
  propertyTable: string;
  /** The property table's foreign key column, e.g. 'artifact_id'. */
  idColumn: string;
  /** Extra columns of the node table this kind reads, after the common ones. */
  extraColumns: string[];
  label: string;
}

/** Columns every node select returns (`n` is the node table, `t` its Type). */
export interface NodeRow {
  id: number;
  type_id: number;
  type_name: string;
  name: string | null;
  external_id: string | null;
  create_time_since_epoch: number;
  last_update_time_since_epoch: number;
  [extra: string]: unknown;
}

/**
 * The row a read of a node inserted just now returns: both stores build the created record
 * from what they wrote instead of reading it back, and must build the same one.
 */
export function insertedRow(
  id: number,
  type: MlmdType,
  name: string | null,
  externalId: string | null,
  extra: Record<string, unknown>,
  now: bigint,
): NodeRow {
  return {
    ...extra,
    id,
    type_id: type.id,
    type_name: type.name,
    name,
    external_id: externalId,
    create_time_since_epoch: Number(now),
    last_update_time_since_epoch: Number(now),
  };
}

export interface ReadOptions {
  /** Fetch properties and custom properties (default true). */
  properties?: boolean;
  /**
   * Fetch only the properties and custom properties with these names (default: all). A
   * caller that needs one property of thousands of nodes reads one row per node, not ten.
   */
  propertyNames?: readonly string[];
}

export interface NodeProperties {
  properties: Properties;
  customProperties: Properties;
}

/** One node kind: its tables and the storage-independent rules for its rows. */
export interface NodeKind<
  TNode extends NodeBase,
  TInput extends NodeInputBase & { name?: string | null },
  TUpdate extends NodeUpdateBase,
> {
  table: NodeTable;
  /** Builds the record from a row and its properties. */
  toRecord(row: NodeRow, props: NodeProperties): TNode;
  /** The name to store: validated; null means unnamed. */
  checkedName(name: string | null | undefined): string | null;
  /** This kind's extra columns for a new row, validated. */
  insertColumns(input: TInput): Record<string, unknown>;
  /**
   * This kind's columns an update sets, validated. A `name` in the result is a rename; the
   * store checks that the new name is free.
   */
  updateColumns(patch: TUpdate, current: TNode): Record<string, unknown>;
}

export const ARTIFACT_KIND: NodeKind<MlmdArtifact, ArtifactInput, ArtifactUpdate> = {
  table: {
    kind: TypeKind.ARTIFACT,
    table: 'Artifact',
    propertyTable: 'ArtifactProperty',
    idColumn: 'artifact_id',
    extraColumns: ['uri', 'state'],
    label: 'Artifact',
  },
  toRecord: (r, p) => ({
    ...baseRecord(r, p),
    name: r.name,
    uri: (r.uri as string | null) ?? '',
    state: r.state === null ? null : (Number(r.state) as ArtifactState),
  }),
  checkedName: (name) => checkName('artifact name', name),
  insertColumns: (input) => ({
    // MLMD always binds the uri field, so an artifact without one gets '' (spec B4).
    uri: checkUri(input.uri ?? ''),
    state: optionalEnum('artifact state', ArtifactState, input.state),
  }),
  updateColumns: (patch) => {
    const set: Record<string, unknown> = {};
    if (patch.uri !== undefined) set.uri = checkUri(patch.uri);
    if (patch.state !== undefined)
      set.state = optionalEnum('artifact state', ArtifactState, patch.state);
    return set;
  },
};

export const EXECUTION_KIND: NodeKind<MlmdExecution, ExecutionInput, ExecutionUpdate> = {
  table: {
    kind: TypeKind.EXECUTION,
    table: 'Execution',
    propertyTable: 'ExecutionProperty',
    idColumn: 'execution_id',
    extraColumns: ['last_known_state'],
    label: 'Execution',
  },
  toRecord: (r, p) => ({
    ...baseRecord(r, p),
    name: r.name,
    lastKnownState:
      r.last_known_state === null ? null : (Number(r.last_known_state) as ExecutionState),
  }),
  checkedName: (name) => checkName('execution name', name),
  insertColumns: (input) => ({
    last_known_state: optionalEnum('execution state', ExecutionState, input.lastKnownState),
  }),
  updateColumns: (patch) => {
    if (patch.lastKnownState === undefined) return {};
    const state = optionalEnum('execution state', ExecutionState, patch.lastKnownState);
    return { last_known_state: state };
  },
};

export const CONTEXT_KIND: NodeKind<MlmdContext, ContextInput, ContextUpdate> = {
  table: {
    kind: TypeKind.CONTEXT,
    table: 'Context',
    propertyTable: 'ContextProperty',
    idColumn: 'context_id',
    extraColumns: [],
    label: 'Context',
  },
  toRecord: (r, p) => ({ ...baseRecord(r, p), name: r.name ?? '' }),
  checkedName: checkContextName,
  insertColumns: () => ({}),
  /** MLMD's context update rewrites the name. */
  updateColumns: (patch, current) => {
    if (patch.name === undefined || patch.name === current.name) return {};
    return { name: checkContextName(patch.name) };
  },
};

/** MLMD rejects contexts without a name. */
function checkContextName(name: string | null | undefined): string {
  const checked = checkName('context name', name);
  if (!checked) throw invalidArgumentError('A context needs a non-empty name.');
  return checked;
}

/** The fields every node record has, from its row and properties. */
export function baseRecord(r: NodeRow, p: NodeProperties): NodeBase {
  return {
    id: r.id,
    typeId: r.type_id,
    typeName: r.type_name,
    externalId: r.external_id,
    createTimeSinceEpoch: r.create_time_since_epoch,
    lastUpdateTimeSinceEpoch: r.last_update_time_since_epoch,
    ...p,
  };
}

export function emptyProperties(): NodeProperties {
  return { properties: {}, customProperties: {} };
}

/** `null`/undefined stay as they are; anything else must be a non-negative int enum value. */
export function optionalEnum(
  label: string,
  e: Record<string, number>,
  v: number | null | undefined,
): bigint | null {
  if (v === undefined || v === null) return null;
  if (!Object.values(e).includes(v)) throw invalidArgumentError(`Unknown ${label} ${String(v)}.`);
  return BigInt(v);
}

/** Name columns cannot hold NUL, and MLMD reads its NULL marker as NULL. */
export function checkName(label: string, name: string | null | undefined): string | null {
  if (name === undefined || name === null) return null;
  if (typeof name !== 'string' || name.includes('\0') || name === '__MLMD_NULL__') {
    throw invalidArgumentError(`Invalid ${label} ${JSON.stringify(name)}.`);
  }
  return name;
}

export function checkUri(uri: string): string {
  if (typeof uri !== 'string' || uri.includes('\0')) {
    throw invalidArgumentError(`Invalid artifact uri ${JSON.stringify(uri)}.`);
  }
  return uri;
}

/** One property to write: name, custom or declared, and its value columns. */
export interface PropertyRowInput {
  name: string;
  custom: boolean;
  columns: ValueColumns;
}

/** Whether `properties` names a property `type` does not declare (yet: reload it first). */
export function declaresAll(type: MlmdType, properties: PropertyInputs | undefined): boolean {
  return Object.keys(properties ?? {}).every((name) => getOwn(type.properties, name) !== undefined);
}

/**
 * Validates properties against the type (declared ones must be declared with the same data
 * type) and encodes them, declared first, each group in the order given.
 */
export function propertyRows(
  type: MlmdType,
  properties: PropertyInputs | undefined,
  customProperties: PropertyInputs | undefined,
): PropertyRowInput[] {
  const rows: PropertyRowInput[] = [];
  for (const [name, input] of Object.entries(properties ?? {})) {
    const value = toPropertyValue(input);
    const declared = getOwn(type.properties, name);
    if (declared === undefined) throw unknownPropertyError(type.name, name);
    if (declared !== propertyTypeOf(value)) {
      throw propertyTypeError(
        type.name,
        name,
        enumName(PropertyType, declared),
        enumName(PropertyType, propertyTypeOf(value)),
      );
    }
    rows.push({ name, custom: false, columns: encodeValue(name, value) });
  }
  for (const [name, input] of Object.entries(customProperties ?? {})) {
    rows.push({ name, custom: true, columns: encodeValue(name, toPropertyValue(input)) });
  }
  return rows;
}

/**
 * The properties as a read returns them: decoded, declared before custom, each space in
 * name order compared as UTF-8 bytes (SQLite's `ORDER BY name`, PostgreSQL's COLLATE "C").
 */
export function propertiesAsRead(
  rows: readonly PropertyRowInput[],
  where: Record<string, unknown>,
): NodeProperties {
  const sorted = [...rows].sort(
    (a, b) =>
      Number(a.custom) - Number(b.custom) ||
      Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)),
  );
  const out = emptyProperties();
  for (const r of sorted) {
    const value = decodeValue(r.columns as ValueRow, { ...where, name: r.name });
    setOwn(r.custom ? out.customProperties : out.properties, r.name, value);
  }
  return out;
}
