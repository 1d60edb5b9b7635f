/**
 * Artifacts, executions and contexts in PostgreSQL, with the semantics of the SQLite stores
 * (../node-store.ts): the same kinds (../node-kinds.ts) decide how rows become records and
 * how inputs are checked; only the SQL differs.
 */
import { TypeKind, enumName } from '../enums.js';
import {
  alreadyExistsError,
  batchItemError,
  invalidArgumentError,
  notFoundError,
} from '../errors.js';
import {
  type NodeKind,
  type NodeProperties,
  type NodeRow,
  type PropertyRowInput,
  type ReadOptions,
  checkName,
  insertedRow,
  declaresAll,
  emptyProperties,
  propertiesAsRead,
  propertyRows,
} from '../node-kinds.js';
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
  Put,
} from '../records.js';
import { type PropertyInputs, type ValueColumns, decodeValue } from '../values.js';
import type { Querier, Session } from './session.js';
import type { PgTypeStore } from './type-store.js';
import { setOwn } from '../../util/own-keys.js';

/** A filter on `n` (and `t`); its parameters are $1, $2... */
interface Where {
  sql: string;
  params: unknown[];
}

/** A node row joined with one of its property rows (all p_* NULL when it has none). */
interface JoinedRow {
  id: number;
  type_id: number;
  type_name: string;
  name: string | null;
  external_id: string | null;
  create_time_since_epoch: string;
  last_update_time_since_epoch: string;
  p_name: string | null;
  [column: string]: unknown;
}

interface PropertyRow {
  node_id: number;
  p_name: string;
  is_custom_property: boolean;
  int_value: string | null;
  double_value: number | null;
  string_value: string | null;
  proto_value: Buffer | null;
  bool_value: boolean | null;
}

const PROPERTY_SELECT =
  'p.name AS p_name, p.is_custom_property, p.int_value, p.double_value, p.string_value, p.proto_value, p.bool_value';

/** Property columns as the SQLite decoder expects them (int8 arrives as text, bool as bool). */
function decodeRow(r: PropertyRow, where: Record<string, unknown>) {
  return decodeValue(
    {
      int_value: r.int_value === null ? null : BigInt(r.int_value),
      double_value: r.double_value,
      string_value: r.string_value,
      proto_value: r.proto_value,
      bool_value: r.bool_value === null ? null : r.bool_value ? 1 : 0,
    },
    where,
  );
}

/** Value columns as PostgreSQL stores them: protos as bytes (BYTEA), bools as booleans. */
function pgColumns(c: ValueColumns) {
  return {
    int_value: c.int_value === null ? null : c.int_value.toString(),
    // As text: node-postgres sends a number as String(x), which drops the sign of -0.
    double_value: c.double_value === null ? null : pgDoubleText(c.double_value),
    string_value: c.string_value,
    proto_value: c.proto_value === null ? null : Buffer.from(c.proto_value, 'base64'),
    bool_value: c.bool_value === null ? null : c.bool_value !== 0n,
  };
}

/** A double as PostgreSQL's float8 input reads it back exactly: -0 included, NaN, ±Infinity. */
function pgDoubleText(x: number): string {
  return Object.is(x, -0) ? '-0' : String(x);
}

/** PostgreSQL types of the kinds' extra columns, for typed parameters. */
const EXTRA_COLUMN_TYPES: Record<string, string> = {
  uri: 'text',
  state: 'int',
  last_known_state: 'int',
};

type StoredProperty = PropertyRowInput & { pg: ReturnType<typeof pgColumns> };

function storedProperties(rows: PropertyRowInput[]): StoredProperty[] {
  return rows.map((r) => ({ ...r, pg: pgColumns(r.columns) }));
}

/** The rows as seven parallel arrays, one per column, for `unnest`. */
function propertyArrays(stored: StoredProperty[]): unknown[] {
  return [
    stored.map((r) => r.name),
    stored.map((r) => r.custom),
    stored.map((r) => r.pg.int_value),
    stored.map((r) => r.pg.double_value),
    stored.map((r) => r.pg.string_value),
    stored.map((r) => r.pg.proto_value),
    stored.map((r) => r.pg.bool_value),
  ];
}

export class PgNodeStore<
  TNode extends NodeBase,
  TInput extends NodeInputBase & { name?: string | null },
  TUpdate extends NodeUpdateBase,
> {
  protected readonly session: Session;
  protected readonly types: PgTypeStore;
  protected readonly kind: NodeKind<TNode, TInput, TUpdate>;

  constructor(session: Session, types: PgTypeStore, kind: NodeKind<TNode, TInput, TUpdate>) {
    this.session = session;
    this.types = types;
    this.kind = kind;
  }

  private get t() {
    return this.kind.table;
  }

  /** Inserts a node; MLMD_ALREADY_EXISTS if its type already has one with this name. */
  create(input: TInput): Promise<TNode> {
    return this.session.write((q) => this.insert(q, input));
  }

  /**
   * Inserts the nodes in the order given (so their ids ascend in that order) and returns
   * their records in that order: all checks in JS and one query, then ONE statement for the
   * rows and their properties. All or nothing: a refused input (a name taken, also by an
   * earlier input, or a bad property) throws its error with its position as `data.index`,
   * and nothing is written.
   */
  createMany(inputs: readonly TInput[]): Promise<TNode[]> {
    if (inputs.length === 0) return Promise.resolve([]);
    return this.session.write(async (q) => {
      const rows: {
        type: MlmdType;
        name: string | null;
        externalId: string | null;
        extra: Record<string, unknown>;
        stored: StoredProperty[];
      }[] = [];
      const names = new Set<string>();
      const externalIds = new Set<string>();
      for (const [i, input] of inputs.entries()) {
        try {
          const type = await this.typeOf(q, input.typeId);
          const name = this.kind.checkedName(input.name);
          const externalId = checkName('external id', input.externalId);
          const extra = this.kind.insertColumns(input);
          const props = await this.checkedProperties(
            q,
            type,
            input.properties,
            input.customProperties,
          );
          if (name !== null) {
            const key = `${type.id}:${name}`;
            if (names.has(key)) throw this.nameTaken(type.id, name);
            names.add(key);
          }
          if (externalId !== null) {
            if (externalIds.has(externalId)) throw this.externalIdTaken(externalId);
            externalIds.add(externalId);
          }
          rows.push({ type, name, externalId, extra, stored: storedProperties(props) });
        } catch (err) {
          throw batchItemError(err, i);
        }
      }
      const { table, propertyTable, idColumn } = this.t;
      const [taken] = await q.query<{ ord: string; by_name: boolean }>(
        `SELECT u.ord, EXISTS (SELECT 1 FROM ${table} WHERE type_id = u.t AND name = u.n) AS by_name FROM unnest($1::int[], $2::text[], $3::text[]) WITH ORDINALITY AS u(t, n, x, ord) WHERE EXISTS (SELECT 1 FROM ${table} WHERE type_id = u.t AND name = u.n) OR EXISTS (SELECT 1 FROM ${table} WHERE external_id = u.x) ORDER BY u.ord LIMIT 1`,
        [rows.map((r) => r.type.id), rows.map((r) => r.name), rows.map((r) => r.externalId)],
      );
      if (taken) {
        const i = Number(taken.ord) - 1;
        const r = rows[i]!;
        const err = taken.by_name
          ? this.nameTaken(r.type.id, r.name!)
          : this.externalIdTaken(r.externalId!);
        throw batchItemError(err, i);
      }
      const extraNames = Object.keys(rows[0]!.extra);
      const arrays: unknown[] = [
        rows.map((r) => r.type.id),
        rows.map((r) => r.name),
        rows.map((r) => r.externalId),
        ...extraNames.map((c) => rows.map((r) => r.extra[c])),
      ];
      const arrayTypes = ['int', 'text', 'text', ...extraNames.map((c) => EXTRA_COLUMN_TYPES[c])];
      const columns = ['type_id', 'name', 'external_id', ...extraNames];
      const now = q.now();
      const props = rows.flatMap((r, i) => r.stored.map((p) => ({ ord: i + 1, p })));
      const params: unknown[] = [
        ...arrays,
        now,
        props.map((x) => x.ord),
        ...propertyArrays(props.map((x) => x.p)),
      ];
      const unnest = arrayTypes.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
      const nowParam = `$${arrays.length + 1}::bigint`;
      const first = arrays.length + 2;
      const propArrays = [
        'bigint',
        'text',
        'boolean',
        'bigint',
        'float8',
        'text',
        'bytea',
        'boolean',
      ]
        .map((t, i) => `$${first + i}::${t}[]`)
        .join(', ');
      const inserted = await q.query<{ id: number }>(
        `WITH u AS (SELECT * FROM unnest(${unnest}) WITH ORDINALITY AS u(${columns.join(', ')}, ord)),
         ${newIds(table, 'u')},
         n AS (INSERT INTO ${table} (id, ${columns.join(', ')}, create_time_since_epoch, last_update_time_since_epoch) SELECT m.id, ${columns.map((c) => `u.${c}`).join(', ')}, ${nowParam}, ${nowParam} FROM u JOIN m ON m.rn = u.ord ORDER BY u.ord),
         p AS (INSERT INTO ${propertyTable} (${idColumn}, name, is_custom_property, int_value, double_value, string_value, byte_value, proto_value, bool_value) SELECT m.id, v.name, v.custom, v.i, v.d, v.s, NULL::bytea, v.p, v.b FROM unnest(${propArrays}) AS v(ord, name, custom, i, d, s, p, b) JOIN m ON m.rn = v.ord)
         SELECT id FROM m ORDER BY rn`,
        params,
      );
      return rows.map((r, i) => {
        const id = Number(inserted[i]!.id);
        const row = insertedRow(id, r.type, r.name, r.externalId, r.extra, now);
        return this.kind.toRecord(row, this.asRead(id, r.stored));
      });
    });
  }

  /** The node of this type and name, or a new one (properties are set only on creation). */
  getOrCreate(input: TInput & { name: string }): Promise<Put<TNode>> {
    return this.session.write(async (q) => {
      const name = this.kind.checkedName(input.name)!;
      const [found] = await this.selectIn(q, this.byName(input.typeId, name));
      return found
        ? { value: found, created: false }
        : { value: await this.insert(q, input), created: true };
    });
  }

  /** Sets the given fields and properties and bumps last_update_time_since_epoch. */
  update(id: number, patch: TUpdate): Promise<TNode> {
    return this.session.write(async (q) => {
      const current = await this.requireIn(q, id, { properties: false });
      const set = this.kind.updateColumns(patch, current);
      if (typeof set.name === 'string') await this.assertNameFree(q, current.typeId, set.name);
      if (patch.externalId !== undefined)
        set.external_id = checkName('external id', patch.externalId);
      const type = await this.typeOf(q, current.typeId);
      await this.writeProperties(q, id, type, patch.properties, patch.customProperties);
      const cols = Object.keys(set);
      const params = [...Object.values(set), q.now(), id];
      const assignments = cols.map((c, i) => `${c} = $${i + 1}, `).join('');
      await q.query(
        `UPDATE ${this.t.table} SET ${assignments}last_update_time_since_epoch = $${cols.length + 1} WHERE id = $${cols.length + 2}::bigint`,
        params,
      );
      return this.requireIn(q, id);
    });
  }

  get(id: number, opts?: ReadOptions): Promise<TNode | undefined> {
    return this.session.read(async (q) => (await this.selectIn(q, byId(id), opts))[0]);
  }

  /** The node with this id; throws MLMD_NOT_FOUND. */
  require(id: number, opts?: ReadOptions): Promise<TNode> {
    return this.session.read((q) => this.requireIn(q, id, opts));
  }

  /** Nodes with these ids, in id order; unknown ids are skipped. One statement. */
  getMany(ids: Iterable<number>, opts?: ReadOptions): Promise<TNode[]> {
    const list = Array.from(ids, (id) => Math.trunc(id));
    return this.select({ sql: 'n.id = ANY($1::bigint[])', params: [list] }, opts);
  }

  getByName(typeId: number, name: string, opts?: ReadOptions): Promise<TNode | undefined> {
    return this.session.read(
      async (q) => (await this.selectIn(q, this.byName(typeId, name), opts))[0],
    );
  }

  /** The nodes with these (type id, name) pairs, in id order; pairs naming none are skipped. */
  getByNames(
    keys: readonly { typeId: number; name: string }[],
    opts?: ReadOptions,
  ): Promise<TNode[]> {
    return this.select(
      {
        sql: '(n.type_id, n.name) IN (SELECT k.t, k.n FROM unnest($1::int[], $2::text[]) AS k(t, n))',
        params: [keys.map((k) => Math.trunc(k.typeId)), keys.map((k) => k.name)],
      },
      opts,
    );
  }

  /** All nodes of a type, in id order. */
  listByType(typeId: number, opts?: ReadOptions): Promise<TNode[]> {
    return this.select({ sql: 'n.type_id = $1::bigint', params: [typeId] }, opts);
  }

  /** All nodes of the type with this name (and no version), in id order. */
  listByTypeName(typeName: string, opts?: ReadOptions): Promise<TNode[]> {
    return this.select(
      {
        sql: 't.name = $1 AND t.version IS NULL AND t.type_kind = $2',
        params: [typeName, this.t.kind],
      },
      opts,
    );
  }

  /** All nodes of this kind, in id order. */
  list(opts?: ReadOptions): Promise<TNode[]> {
    return this.select({ sql: 'TRUE', params: [] }, opts);
  }

  /** Properties of many nodes in one query, keyed by node id (nodes without any are absent). */
  getProperties(ids: Iterable<number>): Promise<Map<number, NodeProperties>> {
    const list = Array.from(ids, (id) => Math.trunc(id));
    const { propertyTable, idColumn } = this.t;
    return this.session.read(async (q) => {
      const rows = await q.query<PropertyRow>(
        `SELECT p.${idColumn} AS node_id, ${PROPERTY_SELECT} FROM ${propertyTable} p WHERE p.${idColumn} = ANY($1::bigint[]) ORDER BY p.${idColumn}, p.is_custom_property, p.name COLLATE "C"`,
        [list],
      );
      const out = new Map<number, NodeProperties>();
      for (const r of rows) {
        let entry = out.get(r.node_id);
        if (!entry) out.set(r.node_id, (entry = emptyProperties()));
        this.addProperty(entry, r, r.node_id);
      }
      return out;
    });
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
  ): Promise<TNode[]> {
    const typed = eventType === undefined ? '' : ' AND type = $2::bigint';
    const params: unknown[] = [peerId];
    if (eventType !== undefined) params.push(eventType);
    const sql = `n.id IN (SELECT ${column} FROM Event WHERE ${peerColumn} = $1::bigint${typed})`;
    return this.select({ sql, params }, opts);
  }

  /** Nodes whose id is in the `column` of `table` rows whose `by` column is `id`. */
  protected linked(
    table: string,
    column: string,
    by: string,
    id: number,
    opts?: ReadOptions,
  ): Promise<TNode[]> {
    return this.select(
      { sql: `n.id IN (SELECT ${column} FROM ${table} WHERE ${by} = $1::bigint)`, params: [id] },
      opts,
    );
  }

  protected select(where: Where, opts?: ReadOptions): Promise<TNode[]> {
    return this.session.read((q) => this.selectIn(q, where, opts));
  }

  private byName(typeId: number, name: string): Where {
    return { sql: 'n.type_id = $1::bigint AND n.name = $2', params: [typeId, name] };
  }

  private async requireIn(q: Querier, id: number, opts?: ReadOptions): Promise<TNode> {
    const [node] = await this.selectIn(q, byId(id), opts);
    if (!node) throw notFoundError(`${this.t.label} ${id}`, { id });
    return node;
  }

  /**
   * Nodes and their properties in ONE statement (a left join, ordered by node id, then
   * declared before custom, then name as bytes), so a listing of any size is one round trip
   * and sees one snapshot.
   */
  private async selectIn(q: Querier, where: Where, opts: ReadOptions = {}): Promise<TNode[]> {
    const { table, propertyTable, idColumn, extraColumns } = this.t;
    const extra = extraColumns.map((c) => `, n.${c}`).join('');
    const withProps = opts.properties !== false;
    const params = [...where.params];
    const named = opts.propertyNames
      ? ` AND p.name = ANY($${params.push([...opts.propertyNames])}::text[])`
      : '';
    const sql = withProps
      ? `SELECT n.id, n.type_id, t.name AS type_name, n.name, n.external_id, n.create_time_since_epoch, n.last_update_time_since_epoch${extra}, ${PROPERTY_SELECT} FROM ${table} n JOIN Type t ON t.id = n.type_id LEFT JOIN ${propertyTable} p ON p.${idColumn} = n.id${named} WHERE ${where.sql} ORDER BY n.id, p.is_custom_property, p.name COLLATE "C"`
      : `SELECT n.id, n.type_id, t.name AS type_name, n.name, n.external_id, n.create_time_since_epoch, n.last_update_time_since_epoch${extra}, NULL AS p_name FROM ${table} n JOIN Type t ON t.id = n.type_id WHERE ${where.sql} ORDER BY n.id`;
    // Planned for each call: reads by lists of ids, uris or names run a few times per merge
    // batch, against tables that grow within the merge's transaction (see Querier).
    const rows = await q.query<JoinedRow>(sql, params, { planEach: true });
    const out: TNode[] = [];
    let current: { row: NodeRow; props: NodeProperties } | undefined;
    const flush = () => {
      if (current) out.push(this.kind.toRecord(current.row, current.props));
    };
    for (const r of rows) {
      if (current?.row.id !== r.id) {
        flush();
        current = { row: this.nodeRow(r), props: emptyProperties() };
      }
      if (r.p_name !== null) this.addProperty(current.props, r as unknown as PropertyRow, r.id);
    }
    flush();
    return out;
  }

  private nodeRow(r: JoinedRow): NodeRow {
    const row: NodeRow = {
      id: r.id,
      type_id: r.type_id,
      type_name: r.type_name,
      name: r.name,
      external_id: r.external_id,
      create_time_since_epoch: Number(r.create_time_since_epoch),
      last_update_time_since_epoch: Number(r.last_update_time_since_epoch),
    };
    for (const c of this.t.extraColumns) row[c] = r[c];
    return row;
  }

  private addProperty(entry: NodeProperties, r: PropertyRow, id: number): void {
    const { propertyTable, idColumn } = this.t;
    const value = decodeRow(r, { table: propertyTable, [idColumn]: id, name: r.p_name });
    setOwn(r.is_custom_property ? entry.customProperties : entry.properties, r.p_name, value);
  }

  /**
   * Inserts the row and its properties in ONE statement and returns the record as a read
   * would return it, built from what was written (no re-read). The insert happens only if
   * neither the name (within the type) nor the external id is taken; when it did not,
   * a lookup says which. Arguments are all checked before: a refused call writes nothing.
   * (Unlike the SQLite store, a duplicate name is found after the arguments are checked, so a
   * call with both a taken name and a bad property reports the property.)
   */
  private async insert(q: Querier, input: TInput): Promise<TNode> {
    const type = await this.typeOf(q, input.typeId);
    const name = this.kind.checkedName(input.name);
    const externalId = checkName('external id', input.externalId);
    const extra = this.kind.insertColumns(input);
    const props = await this.checkedProperties(q, type, input.properties, input.customProperties);
    const now = q.now();
    const { table } = this.t;
    const cols = ['type_id', 'name', 'external_id', ...Object.keys(extra)];
    const types = ['int', 'text', 'text', ...Object.keys(extra).map((c) => EXTRA_COLUMN_TYPES[c])];
    const values = [type.id, name, externalId, ...Object.values(extra), now, now];
    types.push('bigint', 'bigint');
    const selected = values.map((_, i) => `$${i + 1}::${types[i]}`).join(', ');
    const stored = storedProperties(props);
    let sql = `WITH n AS (INSERT INTO ${table} (${cols.join(', ')}, create_time_since_epoch, last_update_time_since_epoch) SELECT ${selected} WHERE NOT EXISTS (SELECT 1 FROM ${table} WHERE type_id = $1::int AND name = $2::text) AND NOT EXISTS (SELECT 1 FROM ${table} WHERE external_id = $3::text) RETURNING id)`;
    const params: unknown[] = values;
    if (stored.length > 0) {
      sql += `, p AS (${this.propertyUpsert('n.id', 'n, ', values.length + 1)})`;
      params.push(...propertyArrays(stored));
    }
    const [inserted] = await q.query<{ id: number }>(`${sql} SELECT id FROM n`, params);
    if (!inserted) {
      await this.assertNameFree(q, type.id, name);
      throw this.externalIdTaken(externalId!);
    }
    const id = inserted.id;
    const row = insertedRow(id, type, name, externalId, extra, now);
    return this.kind.toRecord(row, this.asRead(id, stored));
  }

  /** Validated rows; a declared property missing from the cached type re-reads it first. */
  private async checkedProperties(
    q: Querier,
    type: MlmdType,
    properties: PropertyInputs | undefined,
    customProperties: PropertyInputs | undefined,
  ): Promise<PropertyRowInput[]> {
    const checked = declaresAll(type, properties) ? type : await this.types.reloadIn(q, type.id);
    return propertyRows(checked, properties, customProperties);
  }

  private async writeProperties(
    q: Querier,
    id: number,
    type: MlmdType,
    properties: PropertyInputs | undefined,
    customProperties: PropertyInputs | undefined,
  ): Promise<void> {
    const rows = await this.checkedProperties(q, type, properties, customProperties);
    const stored = storedProperties(rows);
    if (stored.length === 0) return;
    await q.query(this.propertyUpsert('$1::int', '', 2), [id, ...propertyArrays(stored)]);
  }

  /**
   * Upserts property rows given as arrays (parameters `$first`…`$first+6`, see
   * propertyArrays) for the node `idSql`: a row with the same name and space is replaced
   * whole, as SQLite's INSERT OR REPLACE does.
   */
  private propertyUpsert(idSql: string, from: string, first: number): string {
    const { propertyTable, idColumn } = this.t;
    const arrays = ['text', 'boolean', 'bigint', 'float8', 'text', 'bytea', 'boolean']
      .map((t, i) => `$${first + i}::${t}[]`)
      .join(', ');
    return `INSERT INTO ${propertyTable} (${idColumn}, name, is_custom_property, int_value, double_value, string_value, byte_value, proto_value, bool_value) SELECT ${idSql}, u.name, u.custom, u.i, u.d, u.s, NULL::bytea, u.p, u.b FROM ${from}unnest(${arrays}) AS u(name, custom, i, d, s, p, b) ON CONFLICT (${idColumn}, name, is_custom_property) DO UPDATE SET int_value = EXCLUDED.int_value, double_value = EXCLUDED.double_value, string_value = EXCLUDED.string_value, byte_value = EXCLUDED.byte_value, proto_value = EXCLUDED.proto_value, bool_value = EXCLUDED.bool_value`;
  }

  /** The properties as a read returns them; a proto as the Base64 of its stored bytes. */
  private asRead(id: number, stored: StoredProperty[]): NodeProperties {
    const { propertyTable, idColumn } = this.t;
    const rows = stored.map((r) => ({
      ...r,
      columns: {
        ...r.columns,
        proto_value: r.pg.proto_value === null ? null : r.pg.proto_value.toString('base64'),
      },
    }));
    return propertiesAsRead(rows, { table: propertyTable, [idColumn]: id });
  }

  /** Fails with MLMD_ALREADY_EXISTS if a node of this type has this name. */
  private async assertNameFree(q: Querier, typeId: number, name: string | null): Promise<void> {
    if (name === null) return;
    const [row] = await q.query<{ id: number }>(
      `SELECT id FROM ${this.t.table} WHERE type_id = $1::bigint AND name = $2`,
      [typeId, name],
    );
    if (row) throw this.nameTaken(typeId, name, row.id);
  }

  private nameTaken(typeId: number, name: string, id?: number): Error {
    return alreadyExistsError(`${this.t.label} "${name}" of type ${typeId}`, {
      ...(id === undefined ? {} : { id }),
      typeId,
      name,
    });
  }

  private externalIdTaken(externalId: string): Error {
    return alreadyExistsError(
      `A row with the same unique key (${this.t.table}.external_id ${JSON.stringify(externalId)})`,
      { externalId },
    );
  }

  /** The node's type, checked to be of this kind. */
  private async typeOf(q: Querier, typeId: number): Promise<MlmdType> {
    const type = await this.types.requireIn(q, typeId);
    if (type.kind !== this.t.kind) {
      throw invalidArgumentError(
        `Type ${type.name} (${typeId}) is a ${enumName(TypeKind, type.kind)} type, not ${enumName(TypeKind, this.t.kind)}.`,
      );
    }
    return type;
  }
}

/**
 * CTEs `ids` and `m (id, rn)`: one new id of `table`'s sequence per row of the CTE `rows`,
 * numbered 1, 2... in ascending id order, so row `rn` of an ordered batch gets the rn-th
 * smallest: ids ascend in batch order (as one insert after another would number them)
 * without relying on the order in which PostgreSQL evaluates a column default.
 */
export function newIds(table: string, rows: string): string {
  return `ids AS (SELECT nextval(pg_get_serial_sequence('${table}', 'id')) AS id FROM ${rows}), m AS (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM ids)`;
}

function byId(id: number): Where {
  return { sql: 'n.id = $1::bigint', params: [id] };
}

export class PgArtifactStore extends PgNodeStore<MlmdArtifact, ArtifactInput, ArtifactUpdate> {
  /** Artifacts with exactly this uri, in id order. */
  getByUri(uri: string, opts?: ReadOptions): Promise<MlmdArtifact[]> {
    return this.select({ sql: 'n.uri = $1', params: [uri] }, opts);
  }

  /** Artifacts with any of these uris, in id order. */
  getByUris(uris: readonly string[], opts?: ReadOptions): Promise<MlmdArtifact[]> {
    return this.select({ sql: 'n.uri = ANY($1::text[])', params: [[...uris]] }, opts);
  }

  /** Artifacts attributed to a context, in id order. */
  byContext(contextId: number, opts?: ReadOptions): Promise<MlmdArtifact[]> {
    return this.linked('Attribution', 'artifact_id', 'context_id', contextId, opts);
  }

  /** Artifacts linked to an execution by an event (of one type if given), in id order. */
  byExecution(
    executionId: number,
    eventType?: number,
    opts?: ReadOptions,
  ): Promise<MlmdArtifact[]> {
    return this.viaEvents('artifact_id', 'execution_id', executionId, eventType, opts);
  }
}

export class PgExecutionStore extends PgNodeStore<MlmdExecution, ExecutionInput, ExecutionUpdate> {
  /** Executions associated with a context, in id order. */
  byContext(contextId: number, opts?: ReadOptions): Promise<MlmdExecution[]> {
    return this.linked('Association', 'execution_id', 'context_id', contextId, opts);
  }

  /** Executions linked to an artifact by an event (of one type if given), in id order. */
  byArtifact(artifactId: number, eventType?: number, opts?: ReadOptions): Promise<MlmdExecution[]> {
    return this.viaEvents('execution_id', 'artifact_id', artifactId, eventType, opts);
  }
}

export class PgContextStore extends PgNodeStore<MlmdContext, ContextInput, ContextUpdate> {
  /** Child contexts of a parent, in id order. */
  children(parentId: number, opts?: ReadOptions): Promise<MlmdContext[]> {
    return this.linked('ParentContext', 'context_id', 'parent_context_id', parentId, opts);
  }

  /** Parent contexts of a child, in id order. */
  parents(childId: number, opts?: ReadOptions): Promise<MlmdContext[]> {
    return this.linked('ParentContext', 'parent_context_id', 'context_id', childId, opts);
  }

  /** Contexts an execution is associated with, in id order. */
  ofExecution(executionId: number, opts?: ReadOptions): Promise<MlmdContext[]> {
    return this.linked('Association', 'context_id', 'execution_id', executionId, opts);
  }

  /** Contexts an artifact is attributed to, in id order. */
  ofArtifact(artifactId: number, opts?: ReadOptions): Promise<MlmdContext[]> {
    return this.linked('Attribution', 'context_id', 'artifact_id', artifactId, opts);
  }
}
