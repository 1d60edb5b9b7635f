/**
 * The export written piece by piece (exportText, exportAllText) against the whole document
 * serialised at once (pythonJson of exportDocument / exportAllPipelines): the same bytes,
 * for every kind of value and for pipelines spanning many read batches.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exportAllPipelines,
  exportAllText,
  exportDocument,
  exportText,
  type ExportOptions,
  type ExportText,
} from '../../../src/cmf/export-json.js';
import { pythonJson, type PyJson } from '../../../src/cmf/python-json.js';
import {
  boolValue,
  doubleValue,
  intValue,
  MlmdStore,
  protoValue,
  stringValue,
  structValue,
  SqliteAsyncStore,
  type PropertyInputs,
} from '../../../src/mlmd/index.js';
import { FixtureBuilder, T0, buildSmallFixture } from '../../helpers/mlmd-fixture.js';

const STRUCT = Buffer.from('\n\x0b\n\x01a\x12\x06\x11\x00\x00\x00\x00\x00\x00\xf0?').toString(
  'base64',
);
const PROTO = Buffer.from('\n\x16type.googleapis.com/x\x12\x02\x08\x01').toString('base64');

/** Every kind of value, at the edges of what JSON and Python's float repr meet. */
const ALL_VALUES: PropertyInputs = {
  small: intValue(-42),
  max: intValue(2n ** 63n - 1n),
  min: intValue(-(2n ** 63n)),
  unsafe: intValue(2n ** 53n + 1n),
  whole: doubleValue(3000),
  fraction: doubleValue(0.1),
  tiny: doubleValue(-1.5e-300),
  big: doubleValue(1e16),
  nan: doubleValue(NaN),
  inf: doubleValue(Infinity),
  negInf: doubleValue(-Infinity),
  text: stringValue('naïve ✓ \u{1F600} "q" \\ \n\t\u0001'),
  empty: stringValue(''),
  yes: boolValue(true),
  no: boolValue(false),
  struct: structValue(STRUCT),
  proto: protoValue(PROTO),
  type: 'custom "type" becomes user_type',
};

/** Executions of the Big pipeline's stages: more than one read batch, and none at all. */
const STAGE_SIZES = [250, 0, 1, 101, 37];
/** The clock value after which the second half of Big's executions were made. */
let midway = 0;

function buildStore(dir: string): string {
  const path = join(dir, 'mlmd');
  const b = new FixtureBuilder(path);
  // One transaction: a commit per node would take seconds.
  b.store.transaction(() => fill(b));
  b.close();
  return path;
}

function fill(b: FixtureBuilder): void {
  // Every value kind on every node kind; an empty stage; a pipeline with no stage at all.
  const k = { id: b.pipeline('Kinds', ALL_VALUES), name: 'Kinds' };
  const ks = { id: b.stage(k.id, 'Kinds/All', ALL_VALUES), name: 'Kinds/All' };
  b.stage(k.id, 'Kinds/Nothing');
  const ke = b.execution(k, ks, { type: 'All', uuid: 'aaaa0000-0000', custom: ALL_VALUES });
  b.artifact(ks.id, ke, {
    type: 'Dataset',
    name: 'data:0123',
    uri: '0123',
    event: 'input',
    properties: { Commit: '0123', url: 'x' },
    custom: ALL_VALUES,
  });
  b.artifact(ks.id, ke, { type: 'Model', name: '', uri: '', event: 'output' });

  const big = { id: b.pipeline('Big'), name: 'Big' };
  const stages = STAGE_SIZES.map((_, i) => ({
    id: b.stage(big.id, `Big/S${i}`),
    name: `Big/S${i}`,
  }));
  const first = b.execution(big, stages[0]!, { type: 'S0', uuid: 'u-first' });
  const shared = b.artifact(stages[0]!.id, first, {
    type: 'Dataset',
    name: 'shared:ffff',
    uri: 'ffff',
    event: 'output',
    custom: { seed: 7, lr: doubleValue(0.01) },
  });
  // Round-robin over the stages, so a stage's executions do not have consecutive ids.
  const order: number[] = [];
  for (let round = 0; round < Math.max(...STAGE_SIZES); round++) {
    STAGE_SIZES.forEach((size, i) => {
      if (round < size - (i === 0 ? 1 : 0)) order.push(i);
    });
  }
  let midwayId = 0;
  order.forEach((i, made) => {
    const stage = stages[i]!;
    const e = b.execution(big, stage, {
      type: `S${i}`,
      uuid: `u-${made}${made % 7 === 0 ? ',u-shared' : ''}`,
      name: made % 3 === 0 ? `Big/S${i}/${made}` : undefined,
      custom: { seed: made, lr: doubleValue(made / 8), note: `run ${made}` },
    });
    if (made === Math.floor(order.length / 2)) midwayId = e;
    b.link(e, shared, 'input');
    for (let a = 0; a < (made % 4) + 1; a++) {
      b.artifact(stage.id, e, {
        type: 'Dataset',
        name: `d${made}.${a}:${made}`,
        uri: `${made}`,
        event: 'output',
        properties: { Commit: `${made}` },
      });
    }
  });
  midway = b.store.executions.get(midwayId)!.lastUpdateTimeSinceEpoch;
  b.pipeline('Empty');
}

// Built once for the file (a few hundred executions take a while).
let dir: string;
let store: SqliteAsyncStore;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cmf-test-'));
  store = SqliteAsyncStore.wrap(MlmdStore.open(buildStore(dir), { create: false, readonly: true }));
});
afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

async function textOf(out: ExportText): Promise<string> {
  const parts: string[] = [];
  for await (const chunk of out.chunks) parts.push(chunk);
  return parts.join('');
}

describe('export written piece by piece', () => {
  it('is byte for byte the whole document, for each pipeline, indented or compact, filtered or not', async () => {
    const filters: ExportOptions[] = [{}, { executionUuid: 'u-shared' }, { executionUuid: 'none' }];
    for (const name of ['Kinds', 'Big', 'Empty']) {
      for (const opts of filters) {
        const whole = await exportDocument(store, name, opts);
        for (const indent of [2, undefined]) {
          const seen: PyJson[] = [];
          const out = await exportText(store, name, {
            ...opts,
            indent,
            onExecution: (e) => void seen.push(e),
          });
          expect(await textOf(out)).toBe(pythonJson(whole.document, indent));
          expect(out.summary).toEqual(whole.summary);
          expect(seen).toHaveLength(whole.summary.executions);
        }
      }
    }
    const big = await exportDocument(store, 'Big');
    expect(big.summary.executions).toBe(250 + 1 + 101 + 37);
    expect(pythonJson(big.document)).toContain('"lr": 0.125,');
    const kinds = pythonJson((await exportDocument(store, 'Kinds')).document);
    for (const v of ['9223372036854775807', '-9223372036854775808', '9007199254740993']) {
      expect(kinds).toContain(`: ${v},`);
    }
    for (const v of ['3000.0', '1e+16', 'NaN', 'Infinity', '-Infinity', '-1.5e-300']) {
      expect(kinds).toContain(`: ${v},`);
    }
    expect(kinds).toContain('"user_type": "custom \\"type\\" becomes user_type"');
    await expect(exportText(store, 'nope')).rejects.toMatchObject({ code: 'PIPELINE_NOT_FOUND' });
  });

  it('of the reference fixture is the reference export file', async () => {
    const small = SqliteAsyncStore.wrap(
      MlmdStore.open(buildSmallFixture(await mkdtemp(join(dir, 'small-'))), {
        create: false,
        readonly: true,
      }),
    );
    try {
      const expected = readFileSync(
        new URL('../../fixtures/export/test-env.json', import.meta.url),
        'utf8',
      );
      expect(await textOf(await exportText(small, 'Test-env', { indent: 2 }))).toBe(expected);
    } finally {
      await small.close();
    }
  });

  it('every pipeline at once: the same bytes, with and without last_sync_time and -e', async () => {
    const filters: ExportOptions[] = [
      {},
      // Kinds is older: left out; Big keeps its later executions; Empty was made later.
      { updatedAfter: midway },
      { updatedAfter: midway, executionUuid: 'u-shared' },
      // Nothing is newer: no pipeline at all.
      { updatedAfter: T0 + 10_000_000 },
      { executionUuid: 'aaaa0000-0000' },
    ];
    const counts: number[] = [];
    for (const opts of filters) {
      const whole = await exportAllPipelines(store, opts);
      counts.push(whole.summary.pipelines);
      for (const indent of [2, undefined]) {
        const out = await exportAllText(store, { ...opts, indent });
        expect(await textOf(out)).toBe(pythonJson(whole.document, indent));
        expect(out.summary).toEqual(whole.summary);
      }
    }
    expect(counts).toEqual([3, 2, 2, 0, 3]);
  });
});
