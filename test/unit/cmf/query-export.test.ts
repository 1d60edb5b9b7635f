import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  exportAllPipelines,
  exportDocument,
  exportJsonText,
} from '../../../src/cmf/export-json.js';
import { PyFloat, pythonFloat, pythonJson, type PyJson } from '../../../src/cmf/python-json.js';
import { artifactRows, executionRows, listPipelines } from '../../../src/cmf/query.js';
import { MlmdStore, SqliteAsyncStore } from '../../../src/mlmd/index.js';
import { buildSmallFixture } from '../../helpers/mlmd-fixture.js';
import { tempDir } from '../../helpers/tmp.js';

async function fixture(): Promise<MlmdStore> {
  const path = buildSmallFixture(await tempDir());
  return MlmdStore.open(path, { create: false, readonly: true });
}

describe('listing queries', () => {
  it('lists pipelines in id order', async () => {
    const store = await fixture();
    expect(listPipelines(store).map((p) => p.name)).toEqual(['Test-env', 'Metrics-only', 'Empty']);
  });

  it('artifact rows carry properties and custom_properties_<key> columns, each artifact once', async () => {
    const store = await fixture();
    const rows = artifactRows(store, 'Test-env');
    expect(rows.map((r) => r.id)).toEqual([1, 2, 3, 4]);
    expect(Object.keys(rows[0]!)).toEqual([
      'id',
      'type',
      'uri',
      'name',
      'create_time_since_epoch',
      'last_update_time_since_epoch',
      'Commit',
      'git_repo',
      'url',
      'custom_properties_note',
      'custom_properties_type',
      'custom_properties_user-metadata1',
    ]);
    expect(rows[0]).toMatchObject({ type: 'Dataset', custom_properties_note: 'naïve ✓' });
    expect(rows[3]).toMatchObject({
      type: 'Metrics',
      custom_properties_avg_prec: 0.25,
      custom_properties_count: 3,
    });
    // A metrics artifact has no url or Commit: the columns are simply absent.
    expect(rows[3]).not.toHaveProperty('url');
  });

  it('a metrics-only pipeline lists without url/Commit columns; an empty pipeline lists nothing', async () => {
    const store = await fixture();
    const rows = artifactRows(store, 'Metrics-only');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ type: 'Metrics', custom_properties_accuracy: 1 });
    expect(artifactRows(store, 'Empty')).toEqual([]);
    expect(executionRows(store, 'Empty')).toEqual([]);
  });

  it('execution rows; -e keeps executions whose uuid list holds the uuid', async () => {
    const store = await fixture();
    const rows = executionRows(store, 'Test-env');
    expect(rows.map((r) => [r.id, r.name])).toEqual([
      [1, ''],
      [2, 'Test-env/Train'],
    ]);
    expect(rows[0]).toMatchObject({
      Context_Type: 'Test-env/Prepare',
      Pipeline_id: 1,
      custom_properties_seed: 42,
      custom_properties_lr: 3000,
    });
    const byUuid = executionRows(store, 'Test-env', 'f1111111-76f3-11ee-9a0f-0242ac110002');
    expect(byUuid.map((r) => r.id)).toEqual([2]);
  });

  it('unknown pipeline or uuid are NotFoundErrors (exit 3)', async () => {
    const store = await fixture();
    expect(() => artifactRows(store, 'nope')).toThrow(
      expect.objectContaining({ code: 'PIPELINE_NOT_FOUND', exitCode: 3 }),
    );
    expect(() => executionRows(store, 'Test-env', 'no-such-uuid')).toThrow(
      expect.objectContaining({
        code: 'EXECUTION_NOT_FOUND',
        exitCode: 3,
        data: expect.objectContaining({ suggestions: [] }),
      }),
    );
    // Both uuids of a reused execution are candidates; a prefix finds its uuid.
    expect(() => executionRows(store, 'Test-env', 'f1111111')).toThrow(
      expect.objectContaining({
        data: expect.objectContaining({ suggestions: ['f1111111-76f3-11ee-9a0f-0242ac110002'] }),
      }),
    );
    expect(() => artifactRows(store, 'metrics-only')).toThrow(
      expect.objectContaining({
        data: expect.objectContaining({ suggestions: ['Metrics-only'] }),
      }),
    );
  });
});

describe('export document', () => {
  it('is byte-identical to the reference export of the fixture pipeline', async () => {
    const store = await fixture();
    const text = exportJsonText(
      (await exportDocument(SqliteAsyncStore.wrap(store), 'Test-env')).document,
    );
    const expected = readFileSync(
      new URL('../../fixtures/export/test-env.json', import.meta.url),
      'utf8',
    );
    if (process.env.UPDATE_FIXTURES)
      writeFileSync(join('test/fixtures/export/test-env.json'), text);
    expect(text).toBe(expected);
  });

  it('keeps doubles as doubles, ints as ints, unnamed executions as "", and cmflib key order', async () => {
    const store = await fixture();
    const text = exportJsonText(
      (await exportDocument(SqliteAsyncStore.wrap(store), 'Test-env')).document,
    );
    expect(text).toContain('"lr": 3000.0');
    expect(text).toContain('"seed": 42');
    expect(text).toContain('"count": 3,');
    expect(text).toContain('"note": "na\\u00efve \\u2713"');
    expect(text).toContain('"user_type": "raw"');
    const doc = JSON.parse(text);
    const p = doc.Pipeline[0];
    expect(Object.keys(p)).toEqual([
      'stages',
      'create_time_since_epoch',
      'custom_properties',
      'id',
      'last_update_time_since_epoch',
      'name',
      'properties',
      'type',
      'type_id',
    ]);
    expect(Object.keys(p.stages[0])[0]).toBe('executions');
    const exe = p.stages[0].executions[0];
    expect(Object.keys(exe)).toEqual([
      'type',
      'name',
      'events',
      'create_time_since_epoch',
      'custom_properties',
      'id',
      'last_update_time_since_epoch',
      'properties',
      'type_id',
    ]);
    expect(exe.name).toBe('');
    expect(p.stages[1].executions[0].name).toBe('Test-env/Train');
    expect(Object.keys(exe.events[0])).toEqual(['type', 'artifact']);
    expect(Object.keys(exe.events[0].artifact)).toEqual([
      'type',
      'create_time_since_epoch',
      'custom_properties',
      'id',
      'last_update_time_since_epoch',
      'name',
      'properties',
      'type_id',
      'uri',
    ]);
  });

  it('filters executions by uuid, keeping the stages', async () => {
    const store = await fixture();
    const { document, summary } = await exportDocument(SqliteAsyncStore.wrap(store), 'Test-env', {
      executionUuid: 'f0000000-76f3-11ee-9a0f-0242ac110002',
    });
    expect(summary).toEqual({ stages: 2, executions: 1, events: 3 });
    const stages = (document.Pipeline as { executions: unknown[] }[][])[0] as unknown as {
      stages: { executions: unknown[] }[];
    };
    expect(stages.stages.map((s) => s.executions.length)).toEqual([0, 1]);
  });
  it('exports every pipeline in one document, each element as the single-pipeline export has it', async () => {
    const store = SqliteAsyncStore.wrap(await fixture());
    const all = await exportAllPipelines(store);
    expect(all.summary.pipelines).toBe(3);
    const pipelines = all.document.Pipeline as PyJson[];
    expect(pipelines).toHaveLength(3);
    for (const [i, name] of ['Test-env', 'Metrics-only', 'Empty'].entries()) {
      const one = await exportDocument(store, name);
      expect(exportJsonText(pipelines[i]!)).toBe(
        exportJsonText((one.document.Pipeline as PyJson[])[0]!),
      );
    }
    await expect(exportDocument(store, 'nope')).rejects.toMatchObject({
      code: 'PIPELINE_NOT_FOUND',
      exitCode: 3,
    });
  });
});

describe('Python-exact JSON', () => {
  it('writes floats as Python repr does', () => {
    const cases: [number, string][] = [
      [3000, '3000.0'],
      [0.2, '0.2'],
      [1e-5, '1e-05'],
      [0.0001, '0.0001'],
      [1e16, '1e+16'],
      [1e15, '1000000000000000.0'],
      [1234567890123456, '1234567890123456.0'],
      [12345678901234568, '1.2345678901234568e+16'],
      [1.5e-7, '1.5e-07'],
      [-2.5, '-2.5'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [5e-324, '5e-324'],
      [-0, '-0.0'],
      [0, '0.0'],
      [1e22, '1e+22'],
      [0.30000000000000004, '0.30000000000000004'],
      [0.00012345, '0.00012345'],
    ];
    for (const [x, repr] of cases) expect(pythonFloat(x)).toBe(repr);
  });

  it('matches json.dumps with and without indent (ASCII escapes, separators, empty containers)', () => {
    const value = {
      a: 'ünï "q" \\ \n\t\u007f\u0001 😀',
      b: [],
      c: {},
      d: [1, new PyFloat(2), { e: null, f: true }],
    };
    expect(pythonJson(value, 2)).toBe(
      [
        '{',
        '  "a": "\\u00fcn\\u00ef \\"q\\" \\\\ \\n\\t\\u007f\\u0001 \\ud83d\\ude00",',
        '  "b": [],',
        '  "c": {},',
        '  "d": [',
        '    1,',
        '    2.0,',
        '    {',
        '      "e": null,',
        '      "f": true',
        '    }',
        '  ]',
        '}',
      ].join('\n'),
    );
    expect(pythonJson({ a: [1, new PyFloat(2)], b: {} })).toBe('{"a": [1, 2.0], "b": {}}');
  });
});
