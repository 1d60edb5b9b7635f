/**
 * Types: get-or-create by (kind, name) with `version IS NULL`, declared properties
 * (TypeProperty), and an optional simple base type (ParentType).
 */
import { type Connection, i64 } from './connection.js';
import { PropertyType, TypeKind, enumName } from './enums.js';
import { invalidArgumentError, notFoundError, typeConflictError } from './errors.js';
import type { MlmdType, TypeSpec } from './records.js';
import { SIMPLE_TYPE_NAMES, SIMPLE_TYPES } from './schema.js';
import { getOwn } from '../util/own-keys.js';

interface TypeRow {
  id: number;
  name: string;
  version: string | null;
  type_kind: number;
  description: string | null;
  input_type: string | null;
  output_type: string | null;
  external_id: string | null;
}

const TYPE_COLUMNS =
  'id, name, version, type_kind, description, input_type, output_type, external_id';

export class TypeStore {
  // Declared properties only grow and never change data type, so a cached type stays
  // correct; a lookup that misses a property reloads it (another process may have added it).
  private readonly cache = new Map<number, MlmdType>();
  private readonly conn: Connection;

  constructor(conn: Connection) {
    this.conn = conn;
  }

  /** The type of this kind and name with no version, or undefined. */
  get(kind: TypeKind, name: string): MlmdType | undefined {
    return this.conn.read(() => {
      const row = this.conn
        .stmt(
          `SELECT ${TYPE_COLUMNS} FROM Type WHERE name = ? AND version IS NULL AND type_kind = ? ORDER BY id LIMIT 1`,
        )
        .get(name, i64(kind)) as TypeRow | undefined;
      return row ? this.load(row) : undefined;
    });
  }

  getById(id: number): MlmdType | undefined {
    const cached = this.cache.get(id);
    if (cached) return cached;
    return this.conn.read(() => {
      const row = this.conn.stmt(`SELECT ${TYPE_COLUMNS} FROM Type WHERE id = ?`).get(i64(id)) as
        TypeRow | undefined;
      return row ? this.load(row) : undefined;
    });
  }

  /** The type with this id; throws MLMD_NOT_FOUND. */
  require(id: number): MlmdType {
    const t = this.getById(id);
    if (!t) throw notFoundError(`Type ${id}`, { typeId: id });
    return t;
  }

  /** The type with this id, re-read from the file (to see properties added meanwhile). */
  reload(id: number): MlmdType {
    this.cache.delete(id);
    return this.require(id);
  }

  /** Types of a kind in id order, without MLMD's simple types (as MLMD's Get*Types). */
  list(kind: TypeKind): MlmdType[] {
    return this.conn.read(() => {
      const rows = this.conn
        .stmt(`SELECT ${TYPE_COLUMNS} FROM Type WHERE type_kind = ? ORDER BY id`)
        .all(i64(kind)) as TypeRow[];
      return rows.filter((r) => !SIMPLE_TYPE_NAMES.has(r.name)).map((r) => this.load(r));
    });
  }

  /**
   * Get-or-create the type (kind, name). On an existing type, properties it does not declare
   * yet are added (unless `addProperties` is false); a property declared with another data
   * type, or another base type, is a MLMD_TYPE_CONFLICT.
   */
  put(kind: TypeKind, name: string, spec: TypeSpec = {}, opts: { addProperties?: boolean } = {}) {
    validateSpec(kind, name, spec);
    return this.conn.write(() => {
      const existing = this.get(kind, name);
      if (existing) return this.extend(existing, spec, opts.addProperties !== false);
      const info = this.conn
        .stmt(
          'INSERT INTO Type (name, type_kind, version, description, external_id) VALUES (?, ?, NULL, ?, ?)',
        )
        .run(name, i64(kind), spec.description ?? null, spec.externalId ?? null);
      const id = Number(info.lastInsertRowid);
      for (const [prop, dataType] of Object.entries(spec.properties ?? {})) {
        this.insertProperty(id, prop, dataType);
      }
      if (spec.baseType !== undefined) this.insertBaseType(id, kind, spec.baseType);
      return this.reload(id);
    });
  }

  private extend(t: MlmdType, spec: TypeSpec, addProperties: boolean): MlmdType {
    const { add, addBase } = typeExtension(t, spec, addProperties);
    if (add.length === 0 && !addBase) return t;
    for (const [prop, dt] of add) this.insertProperty(t.id, prop, dt);
    if (addBase) this.insertBaseType(t.id, t.kind, spec.baseType as string);
    return this.reload(t.id);
  }

  private insertProperty(typeId: number, name: string, dataType: PropertyType): void {
    this.conn
      .stmt('INSERT INTO TypeProperty (type_id, name, data_type) VALUES (?, ?, ?)')
      .run(i64(typeId), name, i64(dataType));
  }

  private insertBaseType(typeId: number, kind: TypeKind, baseType: string): void {
    const base = this.get(kind, baseType);
    if (!base) throw notFoundError(`Simple type ${baseType}`, { baseType });
    this.conn
      .stmt('INSERT OR IGNORE INTO ParentType (type_id, parent_type_id) VALUES (?, ?)')
      .run(i64(typeId), i64(base.id));
  }

  private load(row: TypeRow): MlmdType {
    const props = this.conn
      .stmt('SELECT name, data_type FROM TypeProperty WHERE type_id = ? ORDER BY name')
      .all(i64(row.id)) as { name: string; data_type: number }[];
    const base = this.conn
      .stmt(
        'SELECT t.name FROM ParentType p JOIN Type t ON t.id = p.parent_type_id WHERE p.type_id = ? ORDER BY p.parent_type_id LIMIT 1',
      )
      .get(i64(row.id)) as { name: string } | undefined;
    const t: MlmdType = {
      id: Number(row.id),
      name: row.name,
      kind: Number(row.type_kind) as TypeKind,
      version: row.version,
      description: row.description,
      externalId: row.external_id,
      inputType: row.input_type,
      outputType: row.output_type,
      baseType: base?.name ?? null,
      properties: Object.fromEntries(props.map((p) => [p.name, Number(p.data_type)])) as Record<
        string,
        PropertyType
      >,
    };
    this.cache.set(t.id, t);
    return t;
  }
}

/**
 * What putting `spec` on the existing type `t` adds: the properties it does not declare yet
 * (none unless `addProperties`) and whether it gains its base type. Throws
 * MLMD_TYPE_CONFLICT for a property declared with another data type or another base type.
 */
export function typeExtension(
  t: MlmdType,
  spec: TypeSpec,
  addProperties: boolean,
): { add: [string, PropertyType][]; addBase: boolean } {
  const missing: [string, PropertyType][] = [];
  for (const [prop, dataType] of Object.entries(spec.properties ?? {})) {
    const have = getOwn(t.properties, prop);
    if (have === undefined) missing.push([prop, dataType]);
    else if (have !== dataType) {
      throw typeConflictError(
        `Type ${t.name} declares property "${prop}" as ${enumName(PropertyType, have)}, not ${enumName(PropertyType, dataType)}.`,
        { typeName: t.name, property: prop, declared: have, requested: dataType },
      );
    }
  }
  if (spec.baseType !== undefined && t.baseType !== spec.baseType && t.baseType !== null) {
    throw typeConflictError(`Type ${t.name} has base type ${t.baseType}, not ${spec.baseType}.`, {
      typeName: t.name,
      baseType: t.baseType,
      requested: spec.baseType,
    });
  }
  const addBase = spec.baseType !== undefined && t.baseType === null;
  return { add: addProperties ? missing : [], addBase };
}

const VALID_DATA_TYPES = new Set<number>([1, 2, 3, 4, 5, 6]);

/** Checks a type definition before anything is written (shared with the PostgreSQL store). */
export function validateSpec(kind: TypeKind, name: string, spec: TypeSpec): void {
  if (![TypeKind.ARTIFACT, TypeKind.EXECUTION, TypeKind.CONTEXT].includes(kind)) {
    throw invalidArgumentError(`Unknown type kind ${String(kind)}.`);
  }
  if (typeof name !== 'string' || name.length === 0) {
    throw invalidArgumentError('A type needs a non-empty name.');
  }
  if (SIMPLE_TYPE_NAMES.has(name)) {
    throw invalidArgumentError(`${name} is one of MLMD's system types.`);
  }
  for (const [prop, dt] of Object.entries(spec.properties ?? {})) {
    if (!VALID_DATA_TYPES.has(dt)) {
      throw invalidArgumentError(
        `Property "${prop}" of type ${name}: data type must be INT, DOUBLE, STRING, STRUCT, PROTO or BOOLEAN (1-6), not ${String(dt)}.`,
      );
    }
  }
  if (spec.baseType !== undefined) {
    const simple = SIMPLE_TYPES.find((t) => t.name === spec.baseType);
    // MLMD fails to read a type whose parent is not a simple type (spec B6 item 11).
    if (!simple || simple.kind !== kind) {
      throw invalidArgumentError(
        `Base type of ${name} must be one of ${SIMPLE_TYPES.filter((t) => t.kind === kind)
          .map((t) => t.name)
          .join(', ')}; got ${spec.baseType}.`,
      );
    }
  }
}
