import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  MlmdStore,
  PropertyType,
  TypeKind,
  boolValue,
  doubleValue,
  intValue,
  protoValue,
  stringValue,
  structValue,
  toPropertyValue,
} from '../../../src/mlmd/index.js';
import { tempDir } from './helpers.js';

interface Row {
  name: string;
  is_custom_property: number;
  int_value: unknown;
  double_value: unknown;
  string_value: unknown;
  byte_value: unknown;
  proto_value: unknown;
  bool_value: unknown;
  t_int: string;
  t_double: string;
  t_string: string;
  t_proto: string;
  t_bool: string;
}

describe('property values', () => {
  let store: MlmdStore;
  let typeId: number;

  beforeEach(() => {
    store = MlmdStore.open(join(tempDir(), 'mlmd'));
    typeId = store.types.put(TypeKind.ARTIFACT, 'Data', {
      properties: {
        n: PropertyType.INT,
        x: PropertyType.DOUBLE,
        s: PropertyType.STRING,
        b: PropertyType.BOOLEAN,
      },
    }).id;
    return () => store.close();
  });

  function rows(artifactId: number): Record<string, Row> {
    const all = store.database
      .prepare(
        `SELECT name, is_custom_property, int_value, double_value, string_value, byte_value, proto_value, bool_value,
          typeof(int_value) AS t_int, typeof(double_value) AS t_double, typeof(string_value) AS t_string,
          typeof(proto_value) AS t_proto, typeof(bool_value) AS t_bool
         FROM ArtifactProperty WHERE artifact_id = ?`,
      )
      .safeIntegers(true)
      .all(artifactId) as Row[];
    return Object.fromEntries(all.map((r) => [`${r.is_custom_property}:${r.name}`, r]));
  }

  it('puts each kind in its own column, exactly one column per row', () => {
    const a = store.artifacts.create({
      typeId,
      uri: 'u',
      properties: {
        n: intValue(3),
        x: doubleValue(3000),
        s: stringValue('hi'),
        b: boolValue(true),
      },
      customProperties: {
        ci: 7,
        cd: 0.25,
        cs: 'text',
        cb: false,
        big: 2n ** 60n + 1n,
        st: structValue('CgsKAWESBhoEdGV4dA=='),
        pr: protoValue('CgR0ZXN0'),
      },
    });
    const r = rows(a.id);
    const types = (k: string) => {
      const x = r[k] as Row;
      return [x.t_int, x.t_double, x.t_string, x.t_proto, x.t_bool];
    };
    expect(types('0:n')).toEqual(['integer', 'null', 'null', 'null', 'null']);
    expect(types('0:x')).toEqual(['null', 'real', 'null', 'null', 'null']);
    expect(types('0:s')).toEqual(['null', 'null', 'text', 'null', 'null']);
    expect(types('0:b')).toEqual(['null', 'null', 'null', 'null', 'integer']);
    expect(types('1:ci')).toEqual(['integer', 'null', 'null', 'null', 'null']);
    expect(types('1:cd')).toEqual(['null', 'real', 'null', 'null', 'null']);
    expect(types('1:cs')).toEqual(['null', 'null', 'text', 'null', 'null']);
    expect(types('1:cb')).toEqual(['null', 'null', 'null', 'null', 'integer']);
    expect(types('1:big')).toEqual(['integer', 'null', 'null', 'null', 'null']);
    expect(types('1:st')).toEqual(['null', 'null', 'text', 'null', 'null']);
    expect(types('1:pr')).toEqual(['null', 'null', 'null', 'text', 'null']);
    expect(r['0:b']?.bool_value).toBe(1n);
    expect(r['1:cb']?.bool_value).toBe(0n);
    expect(r['1:big']?.int_value).toBe(2n ** 60n + 1n);
    expect(r['1:st']?.string_value).toBe('mlmd-struct::CgsKAWESBhoEdGV4dA==');
    expect(r['1:pr']?.proto_value).toBe('CgR0ZXN0');
    expect(Object.values(r).every((x) => x.byte_value === null)).toBe(true);
  });

  it('keeps 3000.0 a double and 3000 an int, and reads back the same typed values', () => {
    const a = store.artifacts.create({
      typeId,
      properties: { x: doubleValue(3000) },
      customProperties: {
        d: doubleValue(3000),
        i: 3000,
        f: 0.2,
        big: 2n ** 62n,
        neg: -(2n ** 63n),
      },
    });
    expect(rows(a.id)['0:x']?.t_double).toBe('real');
    expect(rows(a.id)['1:d']?.t_double).toBe('real');
    const back = store.artifacts.require(a.id);
    expect(back.properties).toEqual({ x: { type: 'double', value: 3000 } });
    expect(back.customProperties).toEqual({
      big: { type: 'int', value: 2n ** 62n },
      d: { type: 'double', value: 3000 },
      f: { type: 'double', value: 0.2 },
      i: { type: 'int', value: 3000 },
      neg: { type: 'int', value: -(2n ** 63n) },
    });
  });

  it('converts plain JS values predictably', () => {
    expect(toPropertyValue(3)).toEqual({ type: 'int', value: 3 });
    expect(toPropertyValue(3.5)).toEqual({ type: 'double', value: 3.5 });
    expect(toPropertyValue(2 ** 60)).toEqual({ type: 'double', value: 2 ** 60 });
    expect(toPropertyValue(5n)).toEqual({ type: 'int', value: 5n });
    expect(toPropertyValue('a')).toEqual({ type: 'string', value: 'a' });
    expect(toPropertyValue(true)).toEqual({ type: 'bool', value: true });
    expect(toPropertyValue(doubleValue(1))).toEqual({ type: 'double', value: 1 });
  });

  it('validates declared properties against the type', () => {
    expect(() => store.artifacts.create({ typeId, properties: { nope: 'x' } })).toThrow(
      expect.objectContaining({ code: 'MLMD_UNKNOWN_PROPERTY', exitCode: 5 }),
    );
    expect(() => store.artifacts.create({ typeId, properties: { n: doubleValue(1.5) } })).toThrow(
      expect.objectContaining({ code: 'MLMD_PROPERTY_TYPE' }),
    );
    expect(() => store.artifacts.create({ typeId, properties: { x: 3 } })).toThrow(
      expect.objectContaining({ code: 'MLMD_PROPERTY_TYPE' }),
    );
    // Nothing was written by the failed calls.
    expect(store.artifacts.list()).toEqual([]);
  });

  it('rejects values the file cannot hold', () => {
    const bad = [
      intValue(2 ** 60),
      intValue(2n ** 63n),
      stringValue('a\0b'),
      stringValue('__MLMD_NULL__'),
      protoValue('not base64!'),
      structValue(''),
    ];
    for (const v of bad) {
      expect(
        () => store.artifacts.create({ typeId, customProperties: { v } }),
        JSON.stringify(String(v.value)),
      ).toThrow(expect.objectContaining({ code: 'MLMD_INVALID_ARGUMENT', exitCode: 2 }));
    }
  });

  it('keeps NaN and infinities in cells ml-metadata reads back as those doubles', () => {
    const a = store.artifacts.create({
      typeId,
      properties: { x: doubleValue(NaN) },
      customProperties: { inf: doubleValue(Infinity), ninf: doubleValue(-Infinity) },
    });
    const again = store.artifacts.require(a.id);
    expect(again.properties.x).toEqual(doubleValue(NaN));
    expect(again.customProperties).toEqual({
      inf: doubleValue(Infinity),
      ninf: doubleValue(-Infinity),
    });
    expect(a.properties).toEqual(again.properties);
    // MLMD parses each cell's text with absl::SimpleAtod: `NaN`, `Inf`, `-Inf` all parse. A
    // NaN bound as a REAL would be NULL (a row with no value), so it is the text NaN.
    const r = rows(a.id);
    expect([r['0:x']?.t_double, r['0:x']?.double_value]).toEqual(['text', 'NaN']);
    expect([r['1:inf']?.t_double, r['1:ninf']?.t_double]).toEqual(['real', 'real']);
    const text = store.database
      .prepare(
        'SELECT CAST(double_value AS TEXT) AS t FROM ArtifactProperty WHERE artifact_id = ? ORDER BY name',
      )
      .pluck()
      .all(a.id);
    expect(text).toEqual(['Inf', '-Inf', 'NaN']);
  });

  it('reads double cells holding text as MLMD does, and refuses text that is no number', () => {
    const a = store.artifacts.create({ typeId, customProperties: { c: doubleValue(1) } });
    const set = store.database.prepare(
      "UPDATE ArtifactProperty SET double_value = ? WHERE artifact_id = ? AND name = 'c'",
    );
    const cases: [string, number][] = [
      ['nan', NaN],
      ['-inf', -Infinity],
      ['Infinity', Infinity],
      [' 2.5 ', 2.5],
    ];
    for (const [cell, value] of cases) {
      set.run(cell, a.id);
      expect(store.artifacts.require(a.id).customProperties.c, cell).toEqual(doubleValue(value));
    }
    set.run('2.5x', a.id);
    expect(() => store.artifacts.require(a.id)).toThrow(
      expect.objectContaining({ code: 'MLMD_BAD_ROW' }),
    );
  });

  it('upserts: setting a property again replaces its row and bumps last_update', () => {
    const a = store.artifacts.create({
      typeId,
      properties: { s: 'one' },
      customProperties: { c: 1 },
    });
    const u = store.artifacts.update(a.id, {
      properties: { s: 'two' },
      customProperties: { c: doubleValue(2) },
    });
    expect(u.properties.s).toEqual({ type: 'string', value: 'two' });
    expect(u.customProperties.c).toEqual({ type: 'double', value: 2 });
    const r = rows(a.id);
    expect(Object.keys(r).sort()).toEqual(['0:s', '1:c']);
    expect([r['1:c']?.t_int, r['1:c']?.t_double]).toEqual(['null', 'real']);
  });

  it('keeps a declared and a custom property of the same name apart', () => {
    const a = store.artifacts.create({
      typeId,
      properties: { s: 'declared' },
      customProperties: { s: 'custom' },
    });
    expect(a.properties.s?.value).toBe('declared');
    expect(a.customProperties.s?.value).toBe('custom');
  });

  it('reads values in MLMD precedence (int, double, string, proto, bool) from foreign rows', () => {
    const a = store.artifacts.create({ typeId });
    const ins = store.database.prepare(
      'INSERT INTO ArtifactProperty (artifact_id, name, is_custom_property, int_value, double_value, string_value, proto_value, bool_value) VALUES (?, ?, 1, ?, ?, ?, ?, ?)',
    );
    ins.run(a.id, 'both', 5n, 1.5, null, null, null);
    ins.run(a.id, 'sb', null, null, 'x', null, 1n);
    ins.run(a.id, 'pb', null, null, null, 'CgR0ZXN0', 0n);
    ins.run(a.id, 'real', null, 2.0, null, null, null);
    expect(store.artifacts.require(a.id).customProperties).toEqual({
      both: { type: 'int', value: 5 },
      sb: { type: 'string', value: 'x' },
      pb: { type: 'proto', value: 'CgR0ZXN0' },
      real: { type: 'double', value: 2 },
    });
    ins.run(a.id, 'empty', null, null, null, null, null);
    expect(() => store.artifacts.require(a.id)).toThrow(
      expect.objectContaining({ code: 'MLMD_BAD_ROW' }),
    );
  });
});
