/**
 * What artifacts, executions and contexts share: their property tables, timestamps,
 * get-by-id/name, and listings that fetch all properties of a result set in one query.
 */
import { type Connection, i64, idList } from './connection.js';
import { TypeKind, enumName } from './enums.js';
import {
  alreadyExistsError,
  batchItemError,
  invalidArgumentError,
  notFoundError,
} from './errors.js';
import {
  type NodeKind,
  type NodeProperties,
  type NodeRow,
  type NodeTable,
  type ReadOptions,
  checkName,
  insertedRow,
  declaresAll,
  emptyProperties,
  propertiesAsRead,
  propertyRows,
} from './node-kinds.js';
import type { MlmdType, NodeBase, NodeInputBase, NodeUpdateBase, Put } from './records.js';
import type { TypeStore } from './type-store.js';
import { type PropertyInputs, type ValueRow, decodeValue, sqliteDouble } from './values.js';
import { setOwn } from '../util/own-keys.js';

export type { NodeProperties, NodeRow, NodeTable, ReadOptions } from './node-kinds.js';
export { baseRecord, checkName, optionalEnum } from './node-kinds.js';

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
 * One node kind, stored in SQLite. `kind` says how its rows are read, inserted and updated
 * (shared with the PostgreSQL store); subclasses add the kind's own queries.
 */
export class NodeStore<
  TNode extends NodeBase,
  TInput extends NodeInputBase & { name?: string | null },
  TUpdate extends NodeUpdateBase,
> {
  protected readonly t: NodeTable;
  protected readonly conn: Connection;
  protected readonly types: TypeStore;
  protected readonly kind: NodeKind<TNode, TInput, TUpdate>;

  constructor(conn: Connection, types: TypeStore, kind: NodeKind<TNode, TInput, TUpdate>) {
    this.conn = conn;
    this.types = types;
    this.kind = kind;
    this.t = kind.table;
  }

  /** Inserts a node; MLMD_ALREADY_EXISTS if its type already has one with this name. */
  create(input: TInput): TNode {
    return this.conn.write(() => this.insert(input));
  }

  /**
   * Inserts the nodes in the order given (so their ids ascend in that order) and returns
   * their records in that order. All or nothing: a refused input (a name taken, also by an
   * earlier input, or a bad property) throws its error with its position as `data.index`,
   * and none of the nodes is written.
   */
  createMany(inputs: readonly TInput[]): TNode[] {
    return this.conn.write(() =>
      inputs.map((input, i) => {
        try {
          return this.insert(input);
        } catch (err) {
          throw batchItemError(err, i);
        }
      }),
    );
  }

  /** The node of this type and name, or a new one (properties are set only on creation). */
  getOrCreate(input: TInput & { name: string }): Put<TNode> {
    return this.conn.write(() => {
      const found = this.getByName(input.typeId, this.kind.checkedName(input.name)!);
      return found
        ? { value: found, created: false }
        : { value: this.insert(input), created: true };
    });
  }

  /** Sets the given fields and properties and bumps last_update_time_since_epoch. */
  update(id: number, patch: TUpdate): TNode {
    return this.conn.write(() => {
      const current = this.require(id, { properties: false });
      const set = this.kind.updateColumns(patch, current);
      if (typeof set.name === 'string') this.assertNameFree(current.typeId, set.name);
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
    const name = this.kind.checkedName(input.name);
    this.assertNameFree(type.id, name);
    const externalId = checkName('external id', input.externalId);
    const extra = this.kind.insertColumns(input);
    const now = this.conn.now();
    const id = this.insertRow(type.id, name, externalId, extra, now);
    const written = this.writeProperties(id, type, input.properties, input.customProperties);
    const row = insertedRow(id, type, name, externalId, extra, now);
    return this.kind.toRecord(row, written);
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

  /** The nodes with these (type id, name) pairs, in id order; pairs naming none are skipped. */
  getByNames(keys: readonly { typeId: number; name: string }[], opts?: ReadOptions): TNode[] {
    const pairs = JSON.stringify(keys.map((k) => [Math.trunc(k.typeId), k.name]));
    return this.select(
      {
        sql: `(n.type_id, n.name) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))`,
        params: [pairs],
      },
      opts,
    );
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
          : this.fetchProperties(
              `SELECT n.id FROM ${from} WHERE ${where.sql}`,
              where.params,
              opts.propertyNames,
            );
      return rows.map((r) => this.kind.toRecord(r, props.get(r.id) ?? emptyProperties()));
    });
  }

  private fetchProperties(
    idsSql: string,
    params: unknown[],
    names?: readonly string[],
  ): Map<number, NodeProperties> {
    const { propertyTable, idColumn } = this.t;
    const named = names ? ' AND name IN (SELECT value FROM json_each(?))' : '';
    const rows = this.conn
      .bigintStmt(
        `SELECT ${idColumn} AS node_id, name, is_custom_property, int_value, double_value, string_value, proto_value, bool_value FROM ${propertyTable} WHERE ${idColumn} IN (${idsSql})${named} ORDER BY ${idColumn}, is_custom_property, name`,
      )
      .all(...params, ...(names ? [JSON.stringify(names)] : [])) as PropertyRow[];
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
      setOwn(custom ? entry.customProperties : entry.properties, r.name, value);
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
    // Declared properties only grow: one another process added since we cached the type
    // is found by reading it again.
    const checked = declaresAll(type, properties) ? type : this.types.reload(type.id);
    const rows = propertyRows(checked, properties, customProperties);
    const { propertyTable, idColumn } = this.t;
    const stmt = this.conn.stmt(
      `INSERT OR REPLACE INTO ${propertyTable} (${idColumn}, name, is_custom_property, int_value, double_value, string_value, byte_value, proto_value, bool_value) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)`,
    );
    const nodeId = i64(id);
    for (const { name, custom, columns: c } of rows) {
      stmt.run(
        nodeId,
        name,
        custom ? 1n : 0n,
        c.int_value,
        sqliteDouble(c.double_value),
        c.string_value,
        c.proto_value,
        c.bool_value,
      );
    }
    // SQLite keeps a REAL that is a whole number as an integer: -0.0 reads back as 0.0.
    const asRead = rows.map((r) =>
      Object.is(r.columns.double_value, -0)
        ? { ...r, columns: { ...r.columns, double_value: 0 } }
        : r,
    );
    return propertiesAsRead(asRead, { table: propertyTable, [idColumn]: id });
  }
}
