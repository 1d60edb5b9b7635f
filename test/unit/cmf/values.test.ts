import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors/index.js';
import { doubleValue, intValue, stringValue } from '../../../src/mlmd/index.js';
import { customProperties, mergedCustomProperties } from '../../../src/cmf/values.js';

describe('custom property values', () => {
  it('keeps ints as ints and non-integers as doubles', () => {
    expect(customProperties('t', { a: 1, b: 0.2, c: 'x', d: 3n, e: -7 })).toEqual({
      a: intValue(1),
      b: doubleValue(0.2),
      c: stringValue('x'),
      d: intValue(3n),
      e: intValue(-7),
    });
  });

  it('stores booleans as ints 1/0, as Python cmflib does', () => {
    expect(customProperties('t', { t: true, f: false })).toEqual({
      t: intValue(1),
      f: intValue(0),
    });
  });

  it('lets doubleValue keep 3000.0 a double', () => {
    expect(customProperties('t', { lr: doubleValue(3000) })).toEqual({ lr: doubleValue(3000) });
  });

  it('rejects values MLMD cannot hold', () => {
    for (const v of [
      null,
      undefined,
      {},
      [],
      NaN,
      Infinity,
      () => 1,
      'a\0b',
      { type: 'bool', value: true },
    ]) {
      expect(() => customProperties('t', { k: v }), String(v)).toThrow(UsageError);
    }
    expect(() => customProperties('t', [1])).toThrow(UsageError);
    expect(() => customProperties('t', { '': 1 })).toThrow(UsageError);
    expect(customProperties('t', undefined)).toEqual({});
  });

  it('checks the int64 range MLMD stores, before the store is reached', () => {
    const max = 2n ** 63n - 1n;
    const min = -(2n ** 63n);
    expect(customProperties('t', { a: max, b: min, c: intValue(max) })).toEqual({
      a: intValue(max),
      b: intValue(min),
      c: intValue(max),
    });
    for (const v of [max + 1n, min - 1n, 2n ** 70n, intValue(2n ** 64n), '__MLMD_NULL__']) {
      expect(() => customProperties('t', { k: v }), String(v)).toThrow(UsageError);
    }
  });

  it('grows labels, labels_uri and dataset_uri as sets and replaces other keys', () => {
    const existing = {
      labels: stringValue('a.csv'),
      n: intValue(1),
      dataset_uri: stringValue('h1'),
    };
    expect(
      mergedCustomProperties(existing, {
        labels: stringValue('b.csv,a.csv'),
        n: doubleValue(2.5),
        dataset_uri: stringValue('h1'),
        labels_uri: stringValue('x:1'),
      }),
    ).toEqual({ labels: 'a.csv,b.csv', n: doubleValue(2.5), dataset_uri: 'h1', labels_uri: 'x:1' });
  });
});
