/** Types in PostgreSQL, with the semantics of the SQLite TypeStore (../type-store.ts). */
import type { PropertyType, TypeKind } from '../enums.js';
import { notFoundError } from '../errors.js';
import type { MlmdType, TypeSpec } from '../records.js';
import { SIMPLE_TYPE_NAMES } from '../schema.js';
import { typeExtension, validateSpec } from '../type-store.js';
import type { Querier, Session } from './session.js';

interface TypeRow {
  id: number;
  name: string;
  version: string | null;
  type_kind: number;
  description: string | null;
  input_type: string | null;
  output_type: string | null;
  external_id: string | null;
  /** [name, data_type] pairs in name order, or null. */
  props: [string, number][] | null;
  base_type: string | null;
}

/**
 * One statement reads a type with its declared properties and base type. Property names are
 * ordered as UTF-8 bytes (COLLATE "C"), as SQLite orders them.
 */
const SELECT_TYPE = `SELECT t.id, t.name, t.version, t.type_kind, t.description, t.input_type, t.output_type, t.external_id,
  (SELECT json_agg(json_build_array(p.name, p.data_type) ORDER BY p.name COLLATE "C") FROM TypeProperty p WHERE p.type_id = t.id) AS props,
  (SELECT b.name FROM ParentType pt JOIN Type b ON b.id = pt.parent_type_id WHERE pt.type_id = t.id ORDER BY pt.parent_type_id LIMIT 1) AS base_type
  FROM Type t`;

/**
 * Types by id. Declared properties only grow and never change data type, so a cached type
 * stays correct; a lookup that misses a property reloads it. A transaction works on a copy,
 * merged back on commit, so types created by a rolled-back transaction are forgotten.
 */
export class TypeCache {
  private readonly byId: Map<number, MlmdType>;
  constructor(byId = new Map<number, MlmdType>()) {
    this.byId = byId;
  }
  get(id: number): MlmdType | undefined {
    return this.byId.get(id);
  }
  set(t: MlmdType): void {
    this.byId.set(t.id, t);
  }
  delete(id: number): void {
    this.byId.delete(id);
  }
  fork(): TypeCache {
    return new TypeCache(new Map(this.byId));
  }
  merge(child: TypeCache): void {
    for (const [id, t] of child.byId) this.byId.set(id, t);
  }
}

export class PgTypeStore {
  private readonly session: Session;
  private readonly cache: TypeCache;

  constructor(session: Session, cache: TypeCache) {
    this.session = session;
    this.cache = cache;
  }

  /** The type of this kind and name with no version, or undefined. */
  get(kind: TypeKind, name: string): Promise<MlmdType | undefined> {
    return this.session.read((q) => this.getIn(q, kind, name));
  }

  getById(id: number): Promise<MlmdType | undefined> {
    return this.session.read((q) => this.getByIdIn(q, id));
  }

  /** Types of a kind in id order, without MLMD's simple types (as MLMD's Get*Types). */
  list(kind: TypeKind): Promise<MlmdType[]> {
    return this.session.read(async (q) => {
      const rows = await q.query<TypeRow>(`${SELECT_TYPE} WHERE t.type_kind = $1 ORDER BY t.id`, [
        kind,
      ]);
      return rows.filter((r) => !SIMPLE_TYPE_NAMES.has(r.name)).map((r) => this.load(r));
    });
  }

  /**
   * Get-or-create the type (kind, name). On an existing type, properties it does not declare
   * yet are added (unless `addProperties` is false); a property declared with another data
   * type, or another base type, is a MLMD_TYPE_CONFLICT.
   */
  async put(
    kind: TypeKind,
    name: string,
    spec: TypeSpec = {},
    opts: { addProperties?: boolean } = {},
  ): Promise<MlmdType> {
    validateSpec(kind, name, spec);
    return this.session.write(async (q) => {
      const existing = await this.getIn(q, kind, name);
      if (existing) return this.extend(q, existing, spec, opts.addProperties !== false);
      const [row] = await q.query<{ id: number }>(
        'INSERT INTO Type (name, type_kind, version, description, external_id) VALUES ($1, $2, NULL, $3, $4) RETURNING id',
        [name, kind, spec.description ?? null, spec.externalId ?? null],
      );
      const id = row!.id;
      for (const [prop, dataType] of Object.entries(spec.properties ?? {})) {
        await this.insertProperty(q, id, prop, dataType);
      }
      if (spec.baseType !== undefined) await this.insertBaseType(q, id, kind, spec.baseType);
      return this.reloadIn(q, id);
    });
  }

  async getIn(q: Querier, kind: TypeKind, name: string): Promise<MlmdType | undefined> {
    const [row] = await q.query<TypeRow>(
      `${SELECT_TYPE} WHERE t.name = $1 AND t.version IS NULL AND t.type_kind = $2 ORDER BY t.id LIMIT 1`,
      [name, kind],
    );
    return row ? this.load(row) : undefined;
  }

  async getByIdIn(q: Querier, id: number): Promise<MlmdType | undefined> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const [row] = await q.query<TypeRow>(`${SELECT_TYPE} WHERE t.id = $1`, [id]);
    return row ? this.load(row) : undefined;
  }

  /** The type with this id; throws MLMD_NOT_FOUND. */
  async requireIn(q: Querier, id: number): Promise<MlmdType> {
    const t = await this.getByIdIn(q, id);
    if (!t) throw notFoundError(`Type ${id}`, { typeId: id });
    return t;
  }

  /** The type with this id, read again (to see properties added meanwhile). */
  reloadIn(q: Querier, id: number): Promise<MlmdType> {
    this.cache.delete(id);
    return this.requireIn(q, id);
  }

  private async extend(
    q: Querier,
    t: MlmdType,
    spec: TypeSpec,
    addProperties: boolean,
  ): Promise<MlmdType> {
    const { add, addBase } = typeExtension(t, spec, addProperties);
    if (add.length === 0 && !addBase) return t;
    for (const [prop, dt] of add) await this.insertProperty(q, t.id, prop, dt);
    if (addBase) await this.insertBaseType(q, t.id, t.kind, spec.baseType as string);
    return this.reloadIn(q, t.id);
  }

  private async insertProperty(
    q: Querier,
    typeId: number,
    name: string,
    dataType: PropertyType,
  ): Promise<void> {
    await q.query('INSERT INTO TypeProperty (type_id, name, data_type) VALUES ($1, $2, $3)', [
      typeId,
      name,
      dataType,
    ]);
  }

  private async insertBaseType(
    q: Querier,
    typeId: number,
    kind: TypeKind,
    baseType: string,
  ): Promise<void> {
    const base = await this.getIn(q, kind, baseType);
    if (!base) throw notFoundError(`Simple type ${baseType}`, { baseType });
    await q.query(
      'INSERT INTO ParentType (type_id, parent_type_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [typeId, base.id],
    );
  }

  private load(row: TypeRow): MlmdType {
    const t: MlmdType = {
      id: Number(row.id),
      name: row.name,
      kind: Number(row.type_kind) as TypeKind,
      version: row.version,
      description: row.description,
      externalId: row.external_id,
      inputType: row.input_type,
      outputType: row.output_type,
      baseType: row.base_type ?? null,
      properties: Object.fromEntries(
        (row.props ?? []).map(([name, dataType]) => [name, Number(dataType)]),
      ) as Record<string, PropertyType>,
    };
    this.cache.set(t);
    return t;
  }
}
