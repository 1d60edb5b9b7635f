/**
 * A stage's params (from dvc.lock) as execution custom properties, types kept: YAML ints →
 * int, floats → double (also `3.0`), strings → string, booleans → int 1/0 (as cmflib stores
 * Python bools). Keys of params.yaml keep DVC's names (`train.lr`); keys of other params
 * files are prefixed with the file (`conf/train.json:lr`) so two files cannot collide.
 * A whole-file dependency (nested mappings) is flattened to the same dotted names; lists and
 * nulls are stored as their JSON text.
 */
import { doubleValue, intValue, stringValue, type PropertyValue } from '../mlmd/index.js';
import { setOwn } from '../util/own-keys.js';

export const DEFAULT_PARAMS_FILE = 'params.yaml';

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

function jsonText(v: unknown): string {
  return JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? Number(x) : x));
}

function typed(v: unknown): PropertyValue {
  // MLMD holds int64 and finite doubles; anything beyond is kept as its text.
  if (typeof v === 'bigint')
    return v >= INT64_MIN && v <= INT64_MAX ? intValue(v) : stringValue(String(v));
  if (typeof v === 'number') return Number.isFinite(v) ? doubleValue(v) : stringValue(String(v));
  if (typeof v === 'boolean') return intValue(v ? 1 : 0);
  if (typeof v === 'string') return stringValue(v);
  return stringValue(jsonText(v ?? null));
}

function flatten(prefix: string, v: unknown, out: Record<string, PropertyValue>): void {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0) {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      flatten(`${prefix}.${k}`, x, out);
    }
    return;
  }
  setOwn(out, prefix, typed(v));
}

export function paramProperties(
  params: Record<string, Record<string, unknown>>,
): Record<string, PropertyValue> {
  const out: Record<string, PropertyValue> = {};
  for (const [file, values] of Object.entries(params)) {
    const prefix = file === DEFAULT_PARAMS_FILE ? '' : `${file}:`;
    for (const [key, value] of Object.entries(values)) flatten(`${prefix}${key}`, value, out);
  }
  return out;
}
