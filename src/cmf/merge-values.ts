/**
 * Property values as the merge writes them: the `original_create_time_since_epoch` stamp of
 * pushed nodes, and the "only what changed" filter that makes merging the same document
 * twice write nothing (no rows, no last_update bumps).
 */
import {
  intValue,
  toPropertyValue,
  type Properties,
  type PropertyInputs,
  type PropertyValue,
} from '../mlmd/index.js';
import { getOwn, setOwn } from '../util/own-keys.js';

/** Custom property holding a pushed node's creation time on the sender (ms since the epoch). */
export const ORIGINAL_CREATE_TIME = 'original_create_time_since_epoch';

export type MergeMode = 'push' | 'pull';

/**
 * Custom properties of a node the merge creates. On push the node records when the sender
 * created it, as an INT (cmflib writes a string, §11.9): the document's own stamp if it has
 * one (the node was pushed or pulled before, so that is the true original), else the
 * sender's create_time_since_epoch. A stamp written as digits (by cmflib) is read as an int,
 * on pull too.
 */
export function creationCustom(
  custom: Properties,
  createTime: number | undefined,
  mode: MergeMode,
): Properties {
  const out = { ...custom };
  const stamp = normalizedStamp(custom[ORIGINAL_CREATE_TIME]);
  if (stamp) out[ORIGINAL_CREATE_TIME] = stamp;
  else if (mode === 'push' && createTime !== undefined) {
    out[ORIGINAL_CREATE_TIME] = intValue(createTime);
  }
  return out;
}

/** Custom properties for an update of an existing node: the stamp is never overwritten. */
export function updateCustom(custom: Properties): Properties {
  const out = { ...custom };
  delete out[ORIGINAL_CREATE_TIME];
  return out;
}

function normalizedStamp(v: PropertyValue | undefined): PropertyValue | undefined {
  if (v === undefined) return undefined;
  if (v.type === 'string' && /^-?\d{1,15}$/.test(v.value.trim())) {
    return intValue(Number(v.value.trim()));
  }
  if (v.type === 'double' && Number.isSafeInteger(v.value)) return intValue(v.value);
  return v;
}

function sameValue(a: PropertyValue, b: PropertyValue): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'int') return BigInt(a.value) === BigInt(b.value as number | bigint);
  // A NaN metric merged again is unchanged (NaN !== NaN).
  if (a.type === 'double')
    return a.value === b.value || (Number.isNaN(a.value) && Number.isNaN(b.value));
  return a.value === b.value;
}

/** The entries of `wanted` whose value differs from `current` (undefined when none do). */
export function changedProperties(
  current: Properties,
  wanted: PropertyInputs,
): Properties | undefined {
  let out: Properties | undefined;
  for (const [k, input] of Object.entries(wanted)) {
    const v = toPropertyValue(input);
    const have = getOwn(current, k);
    if (have && sameValue(have, v)) continue;
    setOwn((out ??= {}), k, v);
  }
  return out;
}

/**
 * Sets the entries of `values` on `target` as own data properties (Object.assign would call
 * the prototype setter for a property named `__proto__`).
 */
export function assignProperties(target: Properties, values: Properties): void {
  for (const [k, v] of Object.entries(values)) setOwn(target, k, v);
}
