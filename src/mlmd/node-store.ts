/**
 * What artifacts, executions and contexts share: their property tables, timestamps,
 * get-by-id/name, and listings that fetch all properties of a result set in one query.
 */
import { type Connection, i64, idList } from './connection.js';
import { PropertyType, TypeKind, enumName } from './enums.js';
import {
  alreadyExistsError,
  invalidArgumentError,
  notFoundError,
  propertyTypeError,
  unknownPropertyError,
} from './errors.js';
import type { MlmdType, NodeBase, NodeInputBase, NodeUpdateBase, Put } from './records.js';
import type { TypeStore } from './type-store.js';
import {
  type Properties,
  type PropertyInputs,
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

export interface ReadOptions {
  /** Fetch properties and custom properties (default true). */
  properties?: boolean;
}

export interface NodeProperties {
  properties: Properties;
  customProperties: Properties;
}

interface PropertyRow extends ValueRow {
  node_id: bigint;
  name: string;
  is_custom_property: bigint | string;
}

/** A filter on `n` (and `t`), with its parameters. */
export interface Where {
  sql: string;
  params: unknown[];
}

/**
 * One node kind. Subclasses say how their extra columns are read, inserted and updated;
 * creating, get-or-create and updating work the same for all three kinds.
 */
export abstract class NodeStore<
  TNode extends NodeBase,
  TInput extends NodeInputBase & { name?: string | null },
  TUpdate extends NodeUpdateBase,
> {
  constructor(
    protected readonly conn: Connection,
    protected readonly types: TypeStore,
    protected readonly t: NodeTable,
  ) {}

  /** Builds the record from a row and its properties (`baseRecord` holds the common part). */
  protected abstract toRecord(row: NodeRow, props: NodeProperties): TNode;

  /** This kind's extra columns for a new row, validated. */
  protected abstract insertColumns(input: TInput): Record<string, unknown>;

  /** This kind's extra columns an update sets, validated. */
  protected abstract updateColumns(patch: TUpdate, current: TNode): Record<string, unknown>;

  /** The name to store: validated; undefined/null means unnamed. */
  protected checkedName(name: string | null | undefined): string | null {
    return checkName(`${this.t.label.toLowerCase()} name`, name);
  }

  /** Inserts a node; MLMD_ALREADY_EXISTS if its type already has one with this name. */
  create(input: TInput): TNode {
    return this.conn.write(() => this.insert(input));
  }

  /** The node of this type and name, or a new one (properties are set only on creation). */
  getOrCreate(input: TInput & { name: string }): Put<TNode> {
    return this.conn.write(() => {
      const found = this.getByName(input.typeId, this.checkedName(input.name)!);
      return found
        ? { value: found, created: false }
        : { value: this.insert(input), created: true };
    });
  }

  /** Sets the given fields and properties and bumps last_update_time_since_epoch. */
  update(id: number, patch: TUpdate): TNode {
    return this.conn.write(() => {
      const current = this.require(id, { properties: false });
      const set = this.updateColumns(patch, current);
      if (patch.externalId !== undefined)
        set.external_id = checkName('external id', patch.externalId);
      const type = this.typeOf(current.typeId);
      this.writeProperties(id, type, patch.properties, patch.customProperties);
      this.updateRow(id, set);
      return this.require(id);
    });
  }

  /**
   * Inserts the row and its properties and returns the record as a read would return it,
   * built from what was written (no re-read: logging inserts thousands of nodes per batch).
   */
  private insert(input: TInput): TNode {
    const type = this.typeOf(input.typeId);
    const name = this.checkedName(input.name);
    this.assertNameFree(type.id, name);
    const externalId = checkName('external id', input.externalId);
    const extra = this.insertColumns(input);
    const now = this.conn.now();
    const id = this.insertRow(type.id, name, externalId, extra, now);
    const written = this.writeProperties(id, type, input.properties, input.customProperties);
    const row: NodeRow = {
      ...extra,
      id,
      type_id: type.id,
      type_name: type.name,
      name,
      external_id: externalId,
      create_time_since_epoch: Number(now),
      last_update_time_since_epoch: Number(now),
    };
    return this.toRecord(row, written);
  }

  get(id: number, opts?: ReadOptions): TNode | undefined {
    return this.select({ sql: 'n.id = ?', params: [i64(id)] }, opts)[0];
  }

  /** The node with this id; throws MLMD_NOT_FOUND. */
  require(id: number, opts?: ReadOptions): TNode {
    const node = this.get(id, opts);
    if (!node) throw notFoundError(`${this.t.label} ${id}`, { id });
    return node;
  }

  /** Nodes with these ids, in id order; unknown ids are skipped. Two queries in all. */
  getMany(ids: Iterable<number>, opts?: ReadOptions): TNode[] {
    return this.select(
      { sql: 'n.id IN (SELECT value FROM json_each(?))', params: [idList(ids)] },
      opts,
    );
  }

  getByName(typeId: number, name: string, opts?: ReadOptions): TNode | undefined {
    return this.select(
      { sql: 'n.type_id = ? AND n.name = ?', params: [i64(typeId), name] },
      opts,
    )[0];
  }

  /** All nodes of a type, in id order. */
  listByType(typeId: number, opts?: ReadOptions): TNode[] {
    return this.select({ sql: 'n.type_id = ?', params: [i64(typeId)] }, opts);
  }

  /** All nodes of the type with this name (and no version), in id order. */
  listByTypeName(typeName: string, opts?: ReadOptions): TNode[] {
    return this.select(
      {
        sql: 't.name = ? AND t.version IS NULL AND t.type_kind = ?',
        params: [typeName, i64(this.t.kind)],
      },
      opts,
    );
  }

  /** All nodes of this kind, in id order. */
  list(opts?: ReadOptions): TNode[] {
    return this.select({ sql: '1', params: [] }, opts);
  }

  /**
   * Nodes linked by an event to `peerId` (an execution for artifacts, an artifact for
   * executions), optionally of one event type, in id order.
   */
  protected viaEvents(
    column: 'artifact_id' | 'execution_id',
    peerColumn: 'artifact_id' | 'execution_id',
    peerId: number,
    eventType: number | undefined,
    opts?: ReadOptions,
  ): TNode[] {
    const typed = eventType === undefined ? '' : ' AND type = ?';
    const params: unknown[] = [i64(peerId)];
    if (eventType !== undefined) params.push(i64(eventType));
    const sql = `n.id IN (SELECT ${column} FROM Event WHERE ${peerColumn} = ?${typed})`;
    return this.select({ sql, params }, opts);
  }

  /** Properties of many nodes in one query, keyed by node id (nodes without any are absent). */
  getProperties(ids: Iterable<number>): Map<number, NodeProperties> {
    return this.conn.read(() =>
      this.fetchProperties(`SELECT value FROM json_each(?)`, [idList(ids)]),
    );
  }

  /**
   * Runs the node query and one property query with the same filter, so a listing of any
   * size costs two statements (never one per node).
   */
  protected select(where: Where, opts: ReadOptions = {}): TNode[] {
    const extra = this.t.extraColumns.map((c) => `, n.${c}`).join('');
    const from = `${this.t.table} n JOIN Type t ON t.id = n.type_id`;
    return this.conn.read(() => {
      const rows = this.conn
        .stmt(
          `SELECT n.id, n.type_id, t.name AS type_name, n.name, n.external_id, n.create_time_since_epoch, n.last_update_time_since_epoch${extra} FROM ${from} WHERE ${where.sql} ORDER BY n.id`,
        )
        .all(...where.params) as NodeRow[];
      if (rows.length === 0) return [];
      const props =
        opts.properties === false
          ? new Map<number, NodeProperties>()
          : this.fetchProperties(`SELECT n.id FROM ${from} WHERE ${where.sql}`, where.params);
      return rows.map((r) => this.toRecord(r, props.get(r.id) ?? emptyProperties()));
    });
  }

  private fetchProperties(idsSql: string, params: unknown[]): Map<number, NodeProperties> {
    const { propertyTable, idColumn } = this.t;
    const rows = this.conn
      .bigintStmt(
        `SELECT ${idColumn} AS node_id, name, is_custom_property, int_value, double_value, string_value, proto_value, bool_value FROM ${propertyTable} WHERE ${idColumn} IN (${idsSql}) ORDER BY ${idColumn}, is_custom_property, name`,
      )
      .all(...params) as PropertyRow[];
    const out = new Map<number, NodeProperties>();
    for (const r of rows) {
      const id = Number(r.node_id);
      let entry = out.get(id);
      if (!entry) {
        entry = emptyProperties();
        out.set(id, entry);
      }
      const custom = r.is_custom_property === 'true' || Number(r.is_custom_property) === 1;
      const value = decodeValue(r, { table: propertyTable, [idColumn]: id, name: r.name });
      (custom ? entry.customProperties : entry.properties)[r.name] = value;
    }
    return out;
  }

  /** Inserts the node row; common columns first, then this kind's extras. */
  protected insertRow(
    typeId: number,
    name: string | null,
    externalId: string | null,
    extra: Record<string, unknown>,
    now = this.conn.now(),
  ): number {
    const cols = ['type_id', 'name', 'external_id', ...Object.keys(extra)];
    const sql = `INSERT INTO ${this.t.table} (${cols.join(', ')}, create_time_since_epoch, last_update_time_since_epoch) VALUES (${cols.map(() => '?').join(', ')}, ?, ?)`;
    const info = this.conn
      .stmt(sql)
      .run(i64(typeId), name, externalId, ...Object.values(extra), now, now);
    return Number(info.lastInsertRowid);
  }

  /** Sets the given columns and bumps last_update_time_since_epoch. */
  protected updateRow(id: number, set: Record<string, unknown>): void {
    const cols = Object.keys(set);
    const sql = `UPDATE ${this.t.table} SET ${cols.map((c) => `${c} = ?, `).join('')}last_update_time_since_epoch = ? WHERE id = ?`;
    const info = this.conn.stmt(sql).run(...Object.values(set), this.conn.now(), i64(id));
    if (info.changes === 0) throw notFoundError(`${this.t.label} ${id}`, { id });
  }

  /** Fails with MLMD_ALREADY_EXISTS if a node of this type has this name. */
  protected assertNameFree(typeId: number, name: string | null): void {
    if (name === null) return;
    const row = this.conn
      .stmt(`SELECT id FROM ${this.t.table} WHERE type_id = ? AND name = ?`)
      .get(i64(typeId), name) as { id: number } | undefined;
    if (row) {
      throw alreadyExistsError(`${this.t.label} "${name}" of type ${typeId}`, {
        id: row.id,
        typeId,
        name,
      });
    }
  }

  /** The node's type, checked to be of this kind. */
  protected typeOf(typeId: number): MlmdType {
    const type = this.types.require(typeId);
    if (type.kind !== this.t.kind) {
      throw invalidArgumentError(
        `Type ${type.name} (${typeId}) is a ${enumName(TypeKind, type.kind)} type, not ${enumName(TypeKind, this.t.kind)}.`,
      );
    }
    return type;
  }

  /**
   * Validates and writes properties (upsert: a row with the same name and space is
   * replaced). Declared properties must match the type's TypeProperty data_type. Returns the
   * values written, as a read returns them (decoded, each space in name order).
   */
  protected writeProperties(
    id: number,
    type: MlmdType,
    properties: PropertyInputs | undefined,
    customProperties: PropertyInputs | undefined,
  ): NodeProperties {
    const rows: [string, 0n | 1n, ReturnType<typeof encodeValue>][] = [];
    for (const [name, input] of Object.entries(properties ?? {})) {
      const value = toPropertyValue(input);
      let declared = type.properties[name];
      if (declared === undefined) declared = this.types.reload(type.id).properties[name];
      if (declared === undefined) throw unknownPropertyError(type.name, name);
      if (declared !== propertyTypeOf(value)) {
        throw propertyTypeError(
          type.name,
          name,
          enumName(PropertyType, declared),
          enumName(PropertyType, propertyTypeOf(value)),
        );
      }
      rows.push([name, 0n, encodeValue(name, value)]);
    }
    for (const [name, input] of Object.entries(customProperties ?? {})) {
      rows.push([name, 1n, encodeValue(name, toPropertyValue(input))]);
    }
    const { propertyTable, idColumn } = this.t;
    const stmt = this.conn.stmt(
      `INSERT OR REPLACE INTO ${propertyTable} (${idColumn}, name, is_custom_property, int_value, double_value, string_value, byte_value, proto_value, bool_value) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)`,
    );
    const nodeId = i64(id);
    for (const [name, custom, c] of rows) {
      stmt.run(
        nodeId,
        name,
        custom,
        c.int_value,
        c.double_value,
        c.string_value,
        c.proto_value,
        c.bool_value,
      );
    }
    // The order of `ORDER BY is_custom_property, name` (SQLite compares UTF-8 bytes).
    rows.sort(
      (a, b) => Number(a[1] - b[1]) || Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])),
    );
    const out = emptyProperties();
    for (const [name, custom, c] of rows) {
      const value = decodeValue(c, { table: propertyTable, [idColumn]: id, name });
      (custom === 1n ? out.customProperties : out.properties)[name] = value;
    }
    return out;
  }
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

function emptyProperties(): NodeProperties {
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
  return i64(v);
}

/** Name columns cannot hold NUL, and MLMD reads its NULL marker as NULL. */
export function checkName(label: string, name: string | null | undefined): string | null {
  if (name === undefined || name === null) return null;
  if (typeof name !== 'string' || name.includes('\0') || name === '__MLMD_NULL__') {
    throw invalidArgumentError(`Invalid ${label} ${JSON.stringify(name)}.`);
  }
  return name;
}
