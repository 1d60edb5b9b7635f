/**
 * Custom property values. Unlike cmflib, values keep their type everywhere (cmflib turns
 * execution floats and re-logged artifact floats into strings, spec §5.3 and §11.10):
 * - a JS integer (safe) or bigint → int_value
 * - any other finite number → double_value; JS cannot tell `3000` from `3000.0`, so wrap a
 *   number in `doubleValue(3000)` (exported from `cmf`) to store it as a double
 * - a string → string_value
 * - a boolean → int_value 1/0, as Python cmflib stores `True`/`False` (Python bools are ints)
 * - a typed value from `intValue`/`doubleValue`/`stringValue` → as given
 * Anything else (null, undefined, objects, arrays, NaN) is a UsageError before anything is written.
 */
import { UsageError } from '../errors/index.js';
import {
  intValue,
  toPropertyValue,
  type PropertyInput,
  type PropertyInputs,
  type PropertyValue,
} from '../mlmd/index.js';
import { SET_VALUED_PROPERTIES } from './conventions.js';
import { setOwn } from '../util/own-keys.js';

/** What the API accepts as a custom property value. */
export type CustomValue = PropertyInput;
export type CustomProperties = Record<string, CustomValue>;

const KINDS = new Set(['int', 'double', 'string']);
// MLMD reads this string as NULL (the store refuses it too, but only after the file was
// versioned: cache, .dvc file, .gitignore). Checked here, before anything is written.
const MLMD_NULL_MARKER = '__MLMD_NULL__';

function checkString(where: string, key: string, v: string): void {
  if (v.includes('\0')) bad(where, key, 'cannot hold NUL');
  if (v === MLMD_NULL_MARKER)
    bad(where, key, `cannot be ${MLMD_NULL_MARKER} (MLMD reads it as NULL)`);
}

function bad(where: string, key: string, why: string, hint?: string): never {
  throw new UsageError('CMF_BAD_PROPERTY', `${where}: property ${JSON.stringify(key)} ${why}`, {
    hint:
      hint ??
      'Use strings, numbers (wrap in doubleValue() to force a double), bigints or booleans.',
    data: { key },
  });
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * MLMD and the parquet files store ints as 64-bit: a bigint beyond is refused up front,
 * before the file is versioned.
 */
function checkInt64(where: string, key: string, v: bigint): void {
  if (v < INT64_MIN || v > INT64_MAX) {
    bad(
      where,
      key,
      `is ${v}, which does not fit in a 64-bit int`,
      'Ints are stored as 64-bit (-2^63 to 2^63-1): store a larger number as a string, or as doubleValue(Number(x)) if precision may be lost.',
    );
  }
}

/** Checks and types one value. */
export function customValue(where: string, key: string, v: unknown): PropertyValue {
  if (typeof v === 'boolean') return intValue(v ? 1 : 0);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) bad(where, key, `must be a finite number, not ${v}`);
    return toPropertyValue(v);
  }
  if (typeof v === 'bigint') checkInt64(where, key, v);
  if (typeof v === 'string') checkString(where, key, v);
  if (typeof v === 'string' || typeof v === 'bigint') return toPropertyValue(v);
  if (v !== null && typeof v === 'object' && 'type' in v && 'value' in v) {
    const t = (v as PropertyValue).type;
    if (!KINDS.has(t)) bad(where, key, `has kind ${t}; cmf stores only int, double and string`);
    const inner = (v as PropertyValue).value;
    if (t === 'double' && (typeof inner !== 'number' || !Number.isFinite(inner)))
      bad(where, key, 'must be a finite number');
    if (t === 'string' && typeof inner !== 'string') bad(where, key, 'must hold a string');
    if (t === 'int' && !(typeof inner === 'bigint' || Number.isSafeInteger(inner)))
      bad(where, key, 'must hold a safe integer or a bigint');
    if (typeof inner === 'bigint') checkInt64(where, key, inner);
    if (typeof inner === 'string') checkString(where, key, inner);
    return v as PropertyValue;
  }
  return bad(where, key, `has an unsupported value ${v === null ? 'null' : typeof v}`);
}

/** Checks and types a whole map (undefined → empty). */
export function customProperties(where: string, props: unknown): Record<string, PropertyValue> {
  if (props === undefined || props === null) return {};
  if (typeof props !== 'object' || Array.isArray(props)) {
    throw new UsageError('CMF_BAD_PROPERTY', `${where}: custom properties must be an object`, {
      hint: 'Pass a plain object such as { seed: 42, split: 0.2 }.',
    });
  }
  const out: Record<string, PropertyValue> = {};
  for (const [k, v] of Object.entries(props)) {
    if (k === '' || k.includes('\0')) bad(where, k, 'has an invalid name');
    setOwn(out, k, customValue(where, k, v));
  }
  return out;
}

/** Items of a comma-joined set value. */
function setItems(v: PropertyValue | undefined): string[] {
  if (!v || v.type !== 'string' || v.value === '') return [];
  return v.value.split(',');
}

/**
 * The custom properties to write when an existing artifact is logged again: the new values,
 * except that `labels`, `labels_uri` and `dataset_uri` grow as comma-joined sets (existing
 * items first, in a stable order — cmflib's Python set order is not).
 */
export function mergedCustomProperties(
  existing: Record<string, PropertyValue>,
  updates: Record<string, PropertyValue>,
): PropertyInputs {
  const out: PropertyInputs = {};
  for (const [k, v] of Object.entries(updates)) {
    if (SET_VALUED_PROPERTIES.has(k) && v.type === 'string') {
      const items = [...setItems(existing[k])];
      for (const item of v.value.split(','))
        if (item !== '' && !items.includes(item)) items.push(item);
      setOwn(out, k, items.join(','));
    } else {
      setOwn(out, k, v);
    }
  }
  return out;
}
