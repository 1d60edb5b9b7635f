/**
 * Property values. JS numbers cannot tell `3000` from `3000.0`, but MLMD (and cmf's JSON
 * exchange) keep ints and doubles apart, so a value carries its kind explicitly. Use the
 * helpers (`intValue(3)`, `doubleValue(3000)`) or `toPropertyValue`, which maps safe-integer
 * numbers to int and every other number to double.
 */
import { PropertyType } from './enums.js';
import { badRowError, invalidArgumentError } from './errors.js';

export type PropertyValue =
  /** int64; read back as a number when it is a safe integer, as a bigint beyond 2^53. */
  | { readonly type: 'int'; readonly value: number | bigint }
  | { readonly type: 'double'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'bool'; readonly value: boolean }
  /** Standard Base64 of a serialized google.protobuf.Struct (stored as `mlmd-struct::<b64>`). */
  | { readonly type: 'struct'; readonly value: string }
  /** Standard Base64 of a serialized google.protobuf.Any with a non-empty type_url. */
  | { readonly type: 'proto'; readonly value: string };

export type PropertyValueKind = PropertyValue['type'];

/** What the write APIs accept: a typed value, or a plain JS value for `toPropertyValue`. */
export type PropertyInput = PropertyValue | number | bigint | string | boolean;

/** A property map as read from the store. */
export type Properties = Record<string, PropertyValue>;
/** A property map as given to the write APIs. */
export type PropertyInputs = Record<string, PropertyInput>;

export const intValue = (value: number | bigint): PropertyValue => ({ type: 'int', value });
export const doubleValue = (value: number): PropertyValue => ({ type: 'double', value });
export const stringValue = (value: string): PropertyValue => ({ type: 'string', value });
export const boolValue = (value: boolean): PropertyValue => ({ type: 'bool', value });
export const structValue = (base64: string): PropertyValue => ({ type: 'struct', value: base64 });
export const protoValue = (base64: string): PropertyValue => ({ type: 'proto', value: base64 });

/**
 * Plain JS value → typed value: safe-integer numbers and bigints become int, other numbers
 * double, strings string, booleans bool. Typed values pass through unchanged, so wrap a
 * number in `doubleValue` to keep `3000.0` a double.
 */
export function toPropertyValue(v: PropertyInput): PropertyValue {
  switch (typeof v) {
    case 'number':
      return Number.isSafeInteger(v) ? intValue(v) : doubleValue(v);
    case 'bigint':
      return intValue(v);
    case 'string':
      return stringValue(v);
    case 'boolean':
      return boolValue(v);
    default:
      return v;
  }
}

/** The unwrapped JS value (struct and proto stay Base64 strings). */
export function plainValue(v: PropertyValue): number | bigint | string | boolean {
  return v.value;
}

const KIND_TO_PROPERTY_TYPE: Record<PropertyValueKind, PropertyType> = {
  int: PropertyType.INT,
  double: PropertyType.DOUBLE,
  string: PropertyType.STRING,
  bool: PropertyType.BOOLEAN,
  struct: PropertyType.STRUCT,
  proto: PropertyType.PROTO,
};

/** The `TypeProperty.data_type` a value of this kind needs. */
export function propertyTypeOf(v: PropertyValue): PropertyType {
  return KIND_TO_PROPERTY_TYPE[v.type];
}

/** The value columns of a property row; exactly one is non-NULL. `byte_value` stays NULL. */
export interface ValueColumns {
  int_value: bigint | null;
  double_value: number | null;
  string_value: string | null;
  proto_value: string | null;
  bool_value: bigint | null;
}

export const STRUCT_PREFIX = 'mlmd-struct::';
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// MLMD reads every cell as a C string and maps this marker to NULL (spec B6 item 14).
const MLMD_NULL_MARKER = '__MLMD_NULL__';

function checkText(name: string, s: string): void {
  if (s.includes('\0')) throw invalidArgumentError(`Property "${name}": strings cannot hold NUL.`);
  if (s === MLMD_NULL_MARKER) {
    throw invalidArgumentError(`Property "${name}": MLMD reads "${MLMD_NULL_MARKER}" as NULL.`);
  }
}

function checkBase64(name: string, s: string): void {
  if (s.length === 0 || !BASE64.test(s)) {
    throw invalidArgumentError(`Property "${name}": expected non-empty standard Base64.`);
  }
}

/** Validates a value and lays it out in the columns MLMD uses (spec B4). */
export function encodeValue(name: string, v: PropertyValue): ValueColumns {
  const cols: ValueColumns = {
    int_value: null,
    double_value: null,
    string_value: null,
    proto_value: null,
    bool_value: null,
  };
  switch (v.type) {
    case 'int': {
      // Bound as bigint so SQLite stores an INTEGER whatever the column affinity does.
      if (typeof v.value === 'number' && !Number.isSafeInteger(v.value)) {
        throw invalidArgumentError(
          `Property "${name}": int value ${v.value} is not a safe integer; pass a bigint.`,
        );
      }
      const b = BigInt(v.value);
      if (b < INT64_MIN || b > INT64_MAX) {
        throw invalidArgumentError(`Property "${name}": int value ${b} does not fit in int64.`);
      }
      cols.int_value = b;
      break;
    }
    case 'double':
      // NaN and infinities too (see sqliteDouble for how a SQLite file keeps NaN).
      if (typeof v.value !== 'number') {
        throw invalidArgumentError(`Property "${name}": double value must be a number.`);
      }
      cols.double_value = v.value;
      break;
    case 'string':
      checkText(name, v.value);
      cols.string_value = v.value;
      break;
    case 'struct':
      checkBase64(name, v.value);
      cols.string_value = STRUCT_PREFIX + v.value;
      break;
    case 'proto':
      // MLMD writes proto_value as Base64 *text*; raw bytes could not be read back (B6 item 7).
      checkBase64(name, v.value);
      cols.proto_value = v.value;
      break;
    case 'bool':
      cols.bool_value = v.value ? 1n : 0n;
      break;
    default:
      throw invalidArgumentError(
        `Property "${name}": unknown value kind ${JSON.stringify((v as { type?: unknown }).type)}.`,
      );
  }
  return cols;
}

/**
 * A double as bound into a SQLite `double_value` cell. ml-metadata 1.15 cannot write NaN or
 * an infinity itself (it splices `std::to_string(x)`, i.e. `nan`/`inf`, into its SQL text,
 * which both SQLite and PostgreSQL refuse), but it reads them: it takes each cell as text and
 * parses it with absl::SimpleAtod, which accepts `Inf`, `-Inf` and `NaN`. SQLite keeps an
 * infinity as a REAL (its text is `Inf`); a NaN bound as a REAL becomes NULL, which would
 * leave the row without a value, so NaN is stored as the TEXT `NaN` (the column's REAL
 * affinity leaves text that is not a number as it is). PostgreSQL's DOUBLE PRECISION holds
 * all three as they are.
 */
export function sqliteDouble(x: number | null): number | string | null {
  return x !== null && Number.isNaN(x) ? 'NaN' : x;
}

// What absl::SimpleAtod takes besides decimal numbers (MLMD reads double cells with it).
const NON_FINITE_TEXT = /^\s*([+-]?)(nan|inf|infinity)\s*$/i;

/** A double cell as MLMD reads it: a REAL, or text holding a number, NaN or an infinity. */
function doubleCell(v: number | bigint | string, where: Record<string, unknown>): number {
  if (typeof v !== 'string') return Number(v);
  const m = NON_FINITE_TEXT.exec(v);
  if (m) return m[2]!.toLowerCase() === 'nan' ? NaN : m[1] === '-' ? -Infinity : Infinity;
  const n = v.trim() === '' ? NaN : Number(v);
  if (Number.isNaN(n))
    throw badRowError(
      `${rowLabel(where)}: its double_value holds text ${JSON.stringify(v)}.`,
      where,
    );
  return n;
}

/** A property row as read with safe integers on (integers arrive as bigint). */
export interface ValueRow {
  int_value: bigint | number | null;
  double_value: number | bigint | string | null;
  string_value: string | null;
  proto_value: string | Buffer | null;
  bool_value: bigint | number | string | null;
}

function narrowInt(v: bigint | number): number | bigint {
  if (typeof v === 'number') return v;
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(v)
    : v;
}

/** Reads a value the way MLMD does: the first non-NULL of int, double, string, proto, bool. */
export function decodeValue(row: ValueRow, where: Record<string, unknown>): PropertyValue {
  if (row.int_value !== null) return intValue(narrowInt(row.int_value));
  if (row.double_value !== null) return doubleValue(doubleCell(row.double_value, where));
  if (row.string_value !== null) {
    const s = String(row.string_value);
    return s.startsWith(STRUCT_PREFIX)
      ? structValue(s.slice(STRUCT_PREFIX.length))
      : stringValue(s);
  }
  if (row.proto_value !== null) {
    const p = row.proto_value;
    return protoValue(typeof p === 'string' ? p : Buffer.from(p).toString('base64'));
  }
  if (row.bool_value !== null) {
    const b = row.bool_value;
    return boolValue(typeof b === 'string' ? b === '1' || b.toLowerCase() === 'true' : b != 0);
  }
  throw badRowError(
    `${rowLabel(where)} has no value set (no int, double, string, proto or bool value).`,
    where,
  );
}

/**
 * A property row named for messages: `ArtifactProperty row (artifact_id 5, property "x")`,
 * from the `where` the readers pass (table, owner id column, property name).
 */
export function rowLabel(where: Record<string, unknown>): string {
  const { table, name, ...ids } = where;
  const parts = Object.entries(ids).map(([k, v]) => `${k} ${String(v)}`);
  if (name !== undefined) parts.push(`property ${JSON.stringify(name)}`);
  const what = typeof table === 'string' ? `${table} row` : 'A property row';
  return parts.length > 0 ? `${what} (${parts.join(', ')})` : what;
}
