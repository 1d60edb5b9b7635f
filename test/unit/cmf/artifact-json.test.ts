/**
 * `artifactRowsJson` (SQLite writes the `--json` listing) against the row-object path
 * (`jsonText(artifactRows(...))`): the same bytes, on values that JSON renderings disagree on.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARTIFACT_TYPES } from '../../../src/cmf/conventions.js';
import { artifactRows, artifactRowsJson } from '../../../src/cmf/query.js';
import { RawJson, jsonText } from '../../../src/cmf/raw-json.js';
import { MlmdStore, TypeKind } from '../../../src/mlmd/index.js';
import { FixtureBuilder } from '../../helpers/mlmd-fixture.js';
import { tempDir } from '../../helpers/tmp.js';

type Value = {
  int?: bigint | number | string;
  double?: number | string;
  string?: string;
  proto?: Buffer;
  bool?: number | string;
};
type Props = Record<string, Value>;

const CONTROL = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('') + '\x7f';

/** A file with pipeline "P" (stages A, B, C) and "Q"; artifacts added with direct SQL. */
async function build(
  artifacts: {
    stages: ('A' | 'B' | 'C')[];
    type?: string;
    uri?: string | null;
    name?: string | null;
    declared?: Props;
    custom?: Props;
    customFlag?: number | string;
  }[],
): Promise<MlmdStore> {
  const path = join(await tempDir(), 'mlmd');
  const b = new FixtureBuilder(path);
  const p = b.pipeline('P');
  const stages = { A: b.stage(p, 'P/A'), B: b.stage(p, 'P/B'), C: b.stage(p, 'P/C') };
  b.stage(b.pipeline('Q'), 'Q/A');
  const store = b.store;
  const db = store.database;
  const typeIds = new Map<string, number>();
  const typeId = (name: string) => {
    if (!typeIds.has(name)) {
      typeIds.set(
        name,
        store.types.put(TypeKind.ARTIFACT, name, { properties: ARTIFACT_TYPES.Dataset }).id,
      );
    }
    return typeIds.get(name)!;
  };
  const art = db.prepare(
    'INSERT INTO Artifact (type_id, uri, name, create_time_since_epoch, last_update_time_since_epoch) VALUES (?, ?, ?, ?, ?)',
  );
  const prop = db.prepare(
    'INSERT INTO ArtifactProperty (artifact_id, name, is_custom_property, int_value, double_value, string_value, proto_value, bool_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const attr = db.prepare('INSERT INTO Attribution (context_id, artifact_id) VALUES (?, ?)');
  db.transaction(() => {
    artifacts.forEach((a, i) => {
      const id = Number(
        art.run(
          typeId(a.type ?? 'Dataset'),
          a.uri === undefined ? `uri${i}` : a.uri,
          a.name === undefined ? `data/f${i}.csv:h${i}` : a.name,
          1_698_650_991_000 + i,
          1_698_650_992_000 + i,
        ).lastInsertRowid,
      );
      const put = (props: Props | undefined, custom: number | string) => {
        for (const [k, v] of Object.entries(props ?? {})) {
          prop.run(
            id,
            k,
            custom,
            v.int ?? null,
            v.double ?? null,
            v.string ?? null,
            v.proto ?? null,
            v.bool ?? null,
          );
        }
      };
      put(a.declared, 0);
      put(a.custom, a.customFlag ?? 1);
      // Attributions in the order given: the listing must not depend on it.
      for (const s of a.stages) attr.run(stages[s], id);
    });
  })();
  return store;
}

/** The JSON text, checked against the row objects; `sqlite`: whether SQLite wrote it. */
function expectSameAsRows(store: MlmdStore, pipeline = 'P', sqlite = true): string {
  const raw = artifactRowsJson(store, pipeline);
  expect(raw.chunks.some((c) => Buffer.isBuffer(c))).toBe(sqlite);
  const fast = raw.text();
  expect(fast).toBe(jsonText(artifactRows(store, pipeline)));
  return fast;
}

describe('artifact listing as JSON text', () => {
  it('matches the row objects byte for byte on tricky values', async () => {
    const store = await build([
      {
        stages: ['B'],
        declared: { Commit: { string: 'abc' }, url: { string: 'P:/remote/x' } },
        custom: {
          big: { int: 9223372036854775807n },
          small: { int: -9223372036854775808n },
          safe_plus_one: { int: 9007199254740993n },
          safe: { int: 9007199254740991 },
          sum: { double: 0.1 + 0.2 },
          lr: { double: 3000.0 },
          huge: { double: 1e21 },
          tiny: { double: 1e-7 },
          denormal: { double: 5e-324 },
          negzero: { double: -0 },
          inf: { double: Infinity },
          unicode: { string: 'naïve ✓ 😀 \u2028\u2029 ü' },
          control: { string: CONTROL + '"\\/' },
          empty: { string: '' },
          proto: { proto: Buffer.from([0, 1, 2, 250, 255]) },
          flag: { bool: 1 },
          off: { bool: 0 },
          yes: { bool: 'true' },
          struct: { string: 'mlmd-struct::AAEC' },
          'weird "key"\n': { int: 1 },
        },
      },
      { stages: ['A'], uri: null, name: null, type: 'Model ✓' },
      { stages: ['C', 'A'], declared: { git_repo: { string: 'r' } } },
      { stages: ['A', 'B'], custom: { 'user-metadata1': { string: 'x' } }, customFlag: 'true' },
      { stages: ['C'], declared: { Commit: { int: 7 }, url: { double: 2.5 } } },
      { stages: [], custom: { orphan: { int: 1 } } },
    ]);
    const text = expectSameAsRows(store);
    expect(text).toContain('"custom_properties_big": 9223372036854775807,');
    expect(text).toContain('"custom_properties_lr": 3000,');
    expect(text).toContain('"custom_properties_sum": 0.30000000000000004,');
    const rows = JSON.parse(text) as Record<string, unknown>[];
    // By stage (A, B, C), by id within a stage, each artifact once (under its first stage).
    expect(rows.map((r) => r.id)).toEqual([2, 3, 4, 1, 5]);
    expect(rows[0]).toMatchObject({ uri: '', name: '', type: 'Model ✓' });
    expect(rows[3]).toMatchObject({
      custom_properties_control: CONTROL + '"\\/',
      custom_properties_proto: Buffer.from([0, 1, 2, 250, 255]).toString('base64'),
      custom_properties_inf: null,
    });
    // Bools and structs as every other read decodes them (execution list, export).
    expect(rows[3]).toMatchObject({
      custom_properties_flag: true,
      custom_properties_off: false,
      custom_properties_yes: true,
      custom_properties_struct: 'AAEC',
    });
    expect(Object.keys(rows[3]!).slice(6, 8)).toEqual(['Commit', 'url']);
    expect(rows[2]).toHaveProperty('custom_properties_user-metadata1', 'x');
  });

  it('NaN (stored as the text NaN) and infinities: null in JSON, as execution list has them', async () => {
    const store = await build([
      { stages: ['A'], custom: { loss: { double: 'NaN' }, inf: { double: -Infinity } } },
    ]);
    const rows = JSON.parse(expectSameAsRows(store, 'P', false)) as Record<string, unknown>[];
    expect(rows[0]).toMatchObject({ custom_properties_loss: null, custom_properties_inf: null });
    const [row] = artifactRows(store, 'P');
    expect(row!.custom_properties_loss).toBeNaN();
    expect(row!.custom_properties_inf).toBe(-Infinity);
  });

  it('a property row with no value (only byte_value) is the error execution list gives, naming the row', async () => {
    const store = await build([{ stages: ['A'], custom: { nothing: {} } }]);
    const bad = expect.objectContaining({
      code: 'MLMD_BAD_ROW',
      exitCode: 5,
      message: expect.stringContaining(
        'ArtifactProperty row (artifact_id 1, property "nothing") has no value set',
      ),
    });
    expect(() => artifactRowsJson(store, 'P')).toThrow(bad);
    expect(() => artifactRows(store, 'P')).toThrow(bad);
  });

  it('names a JS object would reorder or drop go through the row objects', async () => {
    const store = await build([
      { stages: ['A'], declared: { uri: { string: 'override' }, '7': { int: 1 } } },
      { stages: ['A'], declared: { __proto__: { int: 1 }, custom_properties_x: { int: 2 } } },
      { stages: ['B'], custom: { x: { int: 3 } } },
    ]);
    const rows = JSON.parse(expectSameAsRows(store, 'P', false)) as Record<string, unknown>[];
    expect(Object.keys(rows[0]!)[0]).toBe('7');
    expect(rows[0]!.uri).toBe('override');
  });

  it('an empty pipeline is [], like the row objects', async () => {
    const store = await build([{ stages: ['A'] }]);
    expect(expectSameAsRows(store, 'Q', false)).toBe('[]');
    expect(() => artifactRowsJson(store, 'nope')).toThrow(
      expect.objectContaining({ code: 'PIPELINE_NOT_FOUND', exitCode: 3 }),
    );
  });

  it('spans several chunks in order', async () => {
    const many = Array.from({ length: 2500 }, (_, i) => ({
      stages: [(['C', 'B', 'A'] as const)[i % 3]!],
      custom: { n: { int: i }, d: { double: i / 7 } },
    }));
    const store = await build(many);
    const raw = artifactRowsJson(store, 'P');
    expect(raw.chunks.filter((c) => Buffer.isBuffer(c)).length).toBe(3);
    expect(raw.text()).toBe(jsonText(artifactRows(store, 'P')));
  });
});

describe('jsonText', () => {
  it('writes bigints as exact numbers, other values as JSON.stringify(v, null, 2)', () => {
    expect(jsonText({ a: 1, b: [0.1] })).toBe(JSON.stringify({ a: 1, b: [0.1] }, null, 2));
    expect(jsonText({ big: 2n ** 63n - 1n })).toBe('{\n  "big": 9223372036854775807\n}');
    expect(RawJson.of([]).text()).toBe('[]');
  });
});
