/**
 * Merge of exchange documents (spec §6.2–§6.3, with cmflib's bugs of §11.9–10 fixed) into
 * real stores: pipelines logged with the real Cmf API, exported, merged, exported again.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Cmf, doubleValue } from '../../src/index.js';
import { runGetStarted } from '../../examples/example-get-started/pipeline.js';
import { exportAllPipelines, exportDocument, exportJsonText } from '../../src/cmf/export-json.js';
import { parseExactJson } from '../../src/cmf/exact-json.js';
import { mergeDocument, ORIGINAL_CREATE_TIME } from '../../src/cmf/merge.js';
import { mergeIntoFile } from '../../src/cmf/merge-file.js';
import { PyFloat, pythonJson, type PyJson } from '../../src/cmf/python-json.js';
import { MlmdStore, SqliteAsyncStore, type AsyncMlmdStore } from '../../src/mlmd/index.js';
import { cmfProject } from '../helpers/cmf-project.js';
import { tempDir } from '../helpers/tmp.js';
import {
  postgresBackend,
  sqliteBackend,
  type Backend,
  type TestStore,
} from '../helpers/merge-stores.js';
import { startPostgres, type PostgresServer } from '../servers/postgres.js';
import { PY, pythonPayload } from '../fixtures/merge/python-payload.js';

type Obj = { [key: string]: PyJson };

/** The example-get-started pipeline logged with the Cmf API, and its export. */
async function source(): Promise<{ store: AsyncMlmdStore; text: string; doc: Obj }> {
  const p = await cmfProject();
  await runGetStarted({ Cmf, doubleValue }, { dir: p.dir });
  const store = SqliteAsyncStore.wrap(MlmdStore.open(join(p.dir, 'mlmd'), { readonly: true }));
  onTestFinished(() => store.close());
  const { document } = await exportDocument(store, 'Test-env');
  // The push payload is the compact form (§3.8).
  const text = pythonJson(document);
  return { store, text, doc: parseExactJson(text) as Obj };
}

const TIMES = new Set(['create_time_since_epoch', 'last_update_time_since_epoch']);

/** The document without timestamps (and without the push stamp, if asked): what must survive a merge. */
function normalized(doc: PyJson, dropStamp = false): string {
  const strip = (v: PyJson): PyJson => {
    if (Array.isArray(v)) return v.map(strip);
    if (v === null || typeof v !== 'object' || v instanceof PyFloat) return v;
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) {
      if (TIMES.has(k) || (dropStamp && k === ORIGINAL_CREATE_TIME)) continue;
      out[k] = strip(x);
    }
    return out;
  };
  return pythonJson(strip(doc), 1);
}

async function exported(store: AsyncMlmdStore, pipeline = 'Test-env'): Promise<Obj> {
  return (await exportDocument(store, pipeline)).document;
}

/** Every node of an exported document (pipeline, stages, executions, event artifacts). */
function* nodes(doc: Obj): Generator<Obj> {
  for (const p of doc.Pipeline as Obj[]) {
    yield p;
    for (const s of p.stages as Obj[]) {
      yield s;
      for (const e of s.executions as Obj[]) {
        yield e;
        for (const ev of e.events as Obj[]) yield ev.artifact as Obj;
      }
    }
  }
}

function executionsOf(doc: Obj): Obj[] {
  return (doc.Pipeline as Obj[]).flatMap((p) =>
    (p.stages as Obj[]).flatMap((s) => s.executions as Obj[]),
  );
}

const uuidOf = (e: Obj) => (e.properties as Obj).Execution_uuid as string;

let pgServer: PostgresServer | undefined;
beforeAll(async () => {
  pgServer = await startPostgres();
});
afterAll(async () => {
  await pgServer?.stop();
});

const BACKENDS: Backend[] = [sqliteBackend, postgresBackend(() => pgServer!)];

type Prop = ['int' | 'double' | 'string', number | string];

/** Properties of a node read with SQL: { declared, custom } maps of [kind, value]. */
async function sqlProps(
  s: TestStore,
  kind: 'Artifact' | 'Execution' | 'Context',
  id: number,
): Promise<{ declared: Record<string, Prop>; custom: Record<string, Prop> }> {
  const rows = await s.rows<{
    name: string;
    custom: unknown;
    int_value: unknown;
    double_value: unknown;
    string_value: string | null;
  }>(
    `SELECT name, is_custom_property AS custom, int_value, double_value, string_value FROM ${kind}Property WHERE ${kind.toLowerCase()}_id = ${id} ORDER BY name`,
  );
  const out = { declared: {} as Record<string, Prop>, custom: {} as Record<string, Prop> };
  for (const r of rows) {
    const v: Prop =
      r.int_value !== null
        ? ['int', Number(r.int_value)]
        : r.double_value !== null
          ? ['double', Number(r.double_value)]
          : ['string', r.string_value as string];
    (Number(r.custom) === 1 || r.custom === true ? out.custom : out.declared)[r.name] = v;
  }
  return out;
}

async function idOf(s: TestStore, table: string, name: string): Promise<number> {
  const rows = await s.rows<{ id: unknown }>(
    `SELECT id FROM ${table} WHERE name = '${name.replace(/'/g, "''")}'`,
  );
  expect(rows).toHaveLength(1);
  return Number(rows[0]!.id);
}

describe.each(BACKENDS)('merge into $name', (backend) => {
  it('a merged pipeline exports as the sender exported it (pull), ids included', async () => {
    const src = await source();
    const dst = await backend.fresh();
    const r = await mergeDocument(dst.store, src.text, { pipelineName: 'Test-env', mode: 'pull' });
    expect(r).toMatchObject({
      status: 'success',
      pipelines: ['Test-env'],
      executions: 4,
      stages: 4,
      skippedExecutions: 0,
    });
    expect(r.artifacts).toBeGreaterThan(8);
    expect(normalized(await exported(dst.store))).toBe(normalized(src.doc));
  });

  it('push stamps original_create_time_since_epoch (INT); pushing again changes nothing', async () => {
    const src = await source();
    const dst = await backend.fresh();
    const opts = { pipelineName: 'Test-env', mode: 'push' } as const;
    expect((await mergeDocument(dst.store, src.text, opts)).status).toBe('success');
    const merged = await exported(dst.store);
    expect(normalized(merged, true)).toBe(normalized(src.doc));
    const sent = [...nodes(src.doc)];
    const got = [...nodes(merged)];
    expect(got).toHaveLength(sent.length);
    got.forEach((node, i) => {
      const stamp = (node.custom_properties as Obj)[ORIGINAL_CREATE_TIME];
      if (node.type === 'Parent_Context') return expect(stamp).toBeUndefined();
      // A plain number in parsed exact JSON is an int (a double would be a PyFloat).
      expect(stamp).toBe(sent[i]!.create_time_since_epoch);
    });

    const before = await dst.snapshot();
    const counts = await dst.counts();
    const again = await mergeDocument(dst.store, src.text, opts);
    expect(again).toMatchObject({ status: 'exists', executions: 0, artifacts: 0, events: 0 });
    expect(again.skippedExecutions).toBe(4);
    expect(await dst.counts()).toEqual(counts);
    expect(await dst.snapshot()).toBe(before);
  });

  it('documents holding different executions of one pipeline each add theirs', async () => {
    const src = await source();
    const dst = await backend.fresh();
    const uuids = executionsOf(src.doc).map(uuidOf);
    expect(uuids).toHaveLength(4);
    for (const uuid of uuids) {
      const one = (await exportDocument(src.store, 'Test-env', { executionUuid: uuid })).document;
      const r = await mergeDocument(dst.store, pythonJson(one), { mode: 'push' });
      expect(r).toMatchObject({ status: 'success', executions: 1, skippedExecutions: 0 });
    }
    expect(normalized(await exported(dst.store), true)).toBe(normalized(src.doc));
    const all = await mergeDocument(dst.store, src.text, { mode: 'push' });
    expect(all).toMatchObject({ status: 'exists', skippedExecutions: 4 });
  });

  it('merges of different executions of one new pipeline at once all land, once each', async () => {
    const src = await source();
    const dst = await backend.fresh();
    const docs: string[] = [];
    for (const e of executionsOf(src.doc)) {
      const one = await exportDocument(src.store, 'Test-env', { executionUuid: uuidOf(e) });
      docs.push(pythonJson(one.document));
    }
    const handles = [dst.store, await dst.another()];
    const results = await Promise.all(
      docs.map((d, i) => mergeDocument(handles[i % 2]!, d, { mode: 'push' })),
    );
    expect(results.map((r) => [r.status, r.executions])).toEqual(docs.map(() => ['success', 1]));
    const merged = await exported(dst.store);
    expect(merged.Pipeline as Obj[]).toHaveLength(1);
    const stages = ((merged.Pipeline as Obj[])[0]!.stages as Obj[]).map((s) => s.name);
    expect(stages.sort()).toEqual([
      'Test-env/Evaluate',
      'Test-env/Featurize',
      'Test-env/Prepare',
      'Test-env/Train',
    ]);
    expect(executionsOf(merged).map(uuidOf).sort()).toEqual(
      executionsOf(src.doc).map(uuidOf).sort(),
    );
    // Each artifact once: as many as a merge of the whole document creates.
    const whole = await backend.fresh();
    const all = await mergeDocument(whole.store, src.text, { mode: 'push' });
    expect(results.reduce((n, r) => n + r.artifacts, 0)).toBe(all.artifacts);
    expect((await dst.counts()).Artifact).toBe((await whole.counts()).Artifact);
  });

  it('with executionUuid only that execution is merged; an unknown uuid is EXECUTION_NOT_FOUND', async () => {
    const src = await source();
    const dst = await backend.fresh();
    const second = uuidOf(executionsOf(src.doc)[1]!);
    const r = await mergeDocument(dst.store, src.text, {
      pipelineName: 'Test-env',
      executionUuid: second,
      mode: 'pull',
    });
    expect(r).toMatchObject({ status: 'success', executions: 1, stages: 1 });
    const merged = executionsOf(await exported(dst.store));
    expect(merged.map(uuidOf)).toEqual([second]);

    const before = await dst.snapshot();
    await expect(
      mergeDocument(dst.store, src.text, { executionUuid: 'no-such-uuid', mode: 'pull' }),
    ).rejects.toMatchObject({ code: 'EXECUTION_NOT_FOUND', exitCode: 3 });
    expect(await dst.snapshot()).toBe(before);
  });

  it('an execution holding two uuids, or listed twice, is merged once', async () => {
    const src = await source();
    const dst = await backend.fresh();
    const doc = parseExactJson(src.text) as Obj;
    const stages = (doc.Pipeline as Obj[])[0]!.stages as Obj[];
    const first = (stages[0]!.executions as Obj[])[0]!;
    (first.properties as Obj).Execution_uuid = `${uuidOf(first)},extra-uuid-1`;
    // The same execution again, in the next stage's list.
    (stages[1]!.executions as Obj[]).push(first);
    const r = await mergeDocument(dst.store, pythonJson(doc), { mode: 'pull' });
    expect(r).toMatchObject({ status: 'success', executions: 4, skippedExecutions: 1 });
    const merged = executionsOf(await exported(dst.store));
    expect(merged).toHaveLength(4);
    expect(uuidOf(merged[0]!)).toBe(uuidOf(first));
    // Either of its uuids now marks it as present.
    (first.properties as Obj).Execution_uuid = 'extra-uuid-1';
    stages.splice(1);
    const again = await mergeDocument(dst.store, pythonJson(doc), { mode: 'pull' });
    expect(again.status).toBe('exists');
  });

  it('an unnamed execution reused with a new uuid brings that uuid and its new events into the same execution', async () => {
    const src = await source();
    const dst = await backend.fresh();
    const push = { pipelineName: 'Test-env', mode: 'push' } as const;
    expect((await mergeDocument(dst.store, src.text, push)).status).toBe('success');
    const counts = await dst.counts();

    // What `cmf dvc ingest` sends after a re-run: the same unnamed execution, one more uuid,
    // a new output version.
    const doc = parseExactJson(src.text) as Obj;
    const rerun = executionsOf(doc)[0]!;
    const first = uuidOf(rerun);
    expect(rerun.name ?? '').toBe('');
    (rerun.properties as Obj).Execution_uuid = `${first},rerun-uuid`;
    const events = rerun.events as Obj[];
    const output = events.find((ev) => ev.type === 4 && (ev.artifact as Obj).type === 'Dataset')!;
    const artifact = structuredClone(output.artifact as Obj);
    artifact.uri = 'f'.repeat(32);
    artifact.name = `${String(artifact.name).split(':')[0]}:${'f'.repeat(32)}`;
    (artifact.properties as Obj).Commit = 'f'.repeat(32);
    events.push({ type: 4, artifact });
    const r = await mergeDocument(dst.store, pythonJson(doc), push);
    expect(r).toMatchObject({
      status: 'success',
      executions: 1,
      artifacts: 1,
      events: 1,
      stages: 0,
      skippedExecutions: 3,
    });
    expect(await dst.counts()).toMatchObject({
      Execution: counts.Execution,
      Artifact: counts.Artifact! + 1,
      Event: counts.Event! + 1,
    });
    const merged = executionsOf(await exported(dst.store));
    expect(merged.map(uuidOf)).toEqual([
      `${first},rerun-uuid`,
      ...executionsOf(src.doc).slice(1).map(uuidOf),
    ]);
    const names = (merged[0]!.events as Obj[]).map((ev) => (ev.artifact as Obj).name);
    expect(names).toContain(artifact.name);

    // Sending it again, or pulling it back into a store that has it, changes nothing.
    const before = await dst.snapshot();
    const again = await mergeDocument(dst.store, pythonJson(doc), push);
    expect(again).toMatchObject({ status: 'exists', executions: 0, skippedExecutions: 4 });
    const pulled = await mergeDocument(dst.store, await exported(dst.store), {
      pipelineName: 'Test-env',
      mode: 'pull',
    });
    expect(pulled.status).toBe('exists');
    expect(await dst.snapshot()).toBe(before);
  });

  it('malformed documents are refused and leave the store unchanged', async () => {
    const src = await source();
    const dst = await backend.fresh();
    await mergeDocument(dst.store, src.text, { mode: 'push' });
    const before = await dst.snapshot();
    const push = { mode: 'push' } as const;

    for (const junk of [
      'not json',
      '[1, 2]',
      '42',
      '{}',
      '{"Pipeline": []}',
      '{"Pipeline": 3}',
      null,
      7,
    ]) {
      expect((await mergeDocument(dst.store, junk, push)).status).toBe('invalid_json_payload');
    }
    expect(
      (await mergeDocument(dst.store, src.text, { ...push, pipelineName: 'Other' })).status,
    ).toBe('pipeline_not_exist');

    const noUuid = parseExactJson(src.text) as Obj;
    const e = executionsOf(noUuid)[2]!;
    delete (e.properties as Obj).Execution_uuid;
    (e.properties as Obj).Execution = 'changed, so it would be merged';
    expect((await mergeDocument(dst.store, pythonJson(noUuid), push)).status).toBe(
      'version_update',
    );

    const shapes: [string, (d: Obj) => void][] = [
      ['Pipeline[0].stages', (d) => ((d.Pipeline as Obj[])[0]!.stages = 'x')],
      ['Pipeline[0].name', (d) => delete (d.Pipeline as Obj[])[0]!.name],
      [
        'Pipeline[0].stages[0].executions[0].events[0].type',
        (d) => (((executionsOf(d)[0]!.events as Obj[])[0] as Obj).type = 'input'),
      ],
      [
        'Pipeline[0].stages[0].executions[0].custom_properties.seed',
        (d) => ((executionsOf(d)[0]!.custom_properties as Obj).seed = [1] as PyJson),
      ],
    ];
    for (const [at, breakIt] of shapes) {
      const d = parseExactJson(src.text) as Obj;
      breakIt(d);
      await expect(mergeDocument(dst.store, pythonJson(d), push)).rejects.toMatchObject({
        code: 'CMF_INVALID_DOCUMENT',
        exitCode: 2,
        data: { at },
      });
    }
    expect(await dst.snapshot()).toBe(before);
  });

  it('an error on the last artifact rolls the whole merge back', async () => {
    const src = await source();
    const dst = await backend.fresh();
    const before = await dst.snapshot();
    const counts = await dst.counts();
    const doc = parseExactJson(src.text) as Obj;
    const execs = executionsOf(doc);
    const lastEvents = execs[execs.length - 1]!.events as Obj[];
    const lastArtifact = lastEvents[lastEvents.length - 1]!.artifact as Obj;
    // Declared properties of cmf's types are strings: an int is refused by the store.
    (lastArtifact.properties as Obj)[Object.keys(lastArtifact.properties as Obj)[0]!] = 5;
    const err = await mergeDocument(dst.store, pythonJson(doc), { mode: 'push' }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: 'MLMD_PROPERTY_TYPE',
      data: { at: expect.stringContaining('executions') },
    });
    expect((err as Error).message).toMatch(/nothing was merged/);
    expect(await dst.counts()).toEqual(counts);
    expect(await dst.snapshot()).toBe(before);
    // The same store then takes the good document.
    expect((await mergeDocument(dst.store, src.text, { mode: 'push' })).status).toBe('success');
  });
});

describe.each(BACKENDS)('a payload shaped as Python cmf sends it, into $name', (backend) => {
  it('lands with the receiver ids, typed values and every artifact type', async () => {
    const dst = await backend.fresh();
    const text = pythonPayload();
    const r = await mergeDocument(dst.store, text, { pipelineName: 'Test-env', mode: 'push' });
    expect(r).toMatchObject({
      status: 'success',
      executions: 3,
      artifacts: 9,
      events: 14,
      stages: 3,
    });
    const T = PY.createTime;
    const { md5, uuids } = PY;

    const contexts = await dst.rows<{ id: unknown; name: string }>(
      'SELECT id, name FROM Context ORDER BY id',
    );
    expect(contexts.map((c) => [Number(c.id), c.name])).toEqual([
      [1, 'Test-env'],
      [2, 'Test-env/Prepare'],
      [3, 'Test-env/Train'],
      [4, 'Test-env/Evaluate'],
    ]);
    expect(await sqlProps(dst, 'Context', 2)).toEqual({
      declared: { Pipeline_Stage: ['string', 'Test-env/Prepare'] },
      custom: {
        'user-metadata1': ['string', 'metadata_value'],
        [ORIGINAL_CREATE_TIME]: ['int', T + 110],
      },
    });
    expect(await sqlProps(dst, 'Context', 1)).toEqual({
      declared: { Pipeline: ['string', 'Test-env'] },
      custom: {},
    });

    const execs = await dst.rows<{ id: unknown; type: string; name: string | null }>(
      'SELECT e.id, t.name AS type, e.name FROM Execution e JOIN Type t ON t.id = e.type_id ORDER BY e.id',
    );
    expect(execs.map((e) => [Number(e.id), e.type, e.name])).toEqual([
      [1, 'Prepare', null],
      [2, 'Train-execution', null],
      [3, 'Test-env/Evaluate', 'Test-env/Evaluate'],
    ]);
    const prepare = await sqlProps(dst, 'Execution', 1);
    expect(prepare.declared).toEqual({
      Context_ID: ['int', 2],
      Context_Type: ['string', 'Test-env/Prepare'],
      Execution: ['string', "['src/prepare.py', 'artifacts/data.xml.gz']"],
      Execution_type_name: ['string', 'Test-env/Prepare'],
      Execution_uuid: ['string', uuids.prepare],
      Git_End_Commit: ['string', ''],
      Git_Repo: ['string', 'https://github.com/example/project.git'],
      Git_Start_Commit: ['string', 'c0ffee'],
      Pipeline_Type: ['string', 'Test-env'],
      Pipeline_id: ['int', 1],
    });
    expect(prepare.custom).toEqual({
      Python_Env: ['string', `cmf_artifacts/python_env_${md5.env}.txt`],
      seed: ['int', 20170428],
      split: ['string', '0.2'],
      [ORIGINAL_CREATE_TIME]: ['int', T + 101],
    });
    expect((await sqlProps(dst, 'Execution', 2)).custom).toMatchObject({
      lr: ['double', 3000],
      n_est: ['int', 100],
    });
    expect((await sqlProps(dst, 'Execution', 3)).declared).toMatchObject({
      Execution_uuid: ['string', `${uuids.evaluateA},${uuids.evaluateB}`],
      Context_ID: ['int', 4],
    });

    const arts = await dst.rows<{ id: unknown; type: string; name: string; uri: string }>(
      'SELECT a.id, t.name AS type, a.name, a.uri FROM Artifact a JOIN Type t ON t.id = a.type_id ORDER BY a.id',
    );
    expect(arts.map((a) => [a.type, a.name, a.uri])).toEqual([
      ['Environment', `cmf_artifacts/python_env_${md5.env}.txt:${md5.env}`, md5.env],
      ['Dataset', `artifacts/data.xml.gz:${md5.data}`, md5.data],
      ['Label', `artifacts/labels.csv:${md5.label}`, md5.label],
      ['Dataset', `artifacts/parsed/train.tsv:${md5.train}`, md5.train],
      [
        'Step_Metrics',
        `cmf_artifacts/${uuids.train}/metrics/training_metrics:${md5.step}:2:${PY.stepUuid}`,
        md5.step,
      ],
      ['Model', `artifacts/model/model.pkl:${md5.model}:2`, md5.model],
      ['Metrics', `metrics:${PY.metricsUuid}:3`, PY.metricsUuid],
      ['Dataslice', `cmf_artifacts/${uuids.evaluateA}/dataslice/slice-a:${md5.slice}`, md5.slice],
      ['Validation_output', `reports/check.txt:${md5.report}`, md5.report],
    ]);
    const metricsId = Number(arts[6]!.id);
    expect(await sqlProps(dst, 'Artifact', metricsId)).toEqual({
      declared: { metrics_name: ['string', `metrics:${PY.metricsUuid}:3`] },
      custom: {
        avg_prec: ['double', 0.5394],
        count: ['int', 3000],
        roc_auc: ['double', 3000],
        tiny: ['double', 1e-5],
        [ORIGINAL_CREATE_TIME]: ['int', T + 206],
      },
    });
    const dataId = await idOf(dst, 'Artifact', `artifacts/data.xml.gz:${md5.data}`);
    expect((await sqlProps(dst, 'Artifact', dataId)).custom).toMatchObject({
      labels_uri: ['string', `artifacts/labels.csv:${md5.label}`],
      'user-metadata1': ['string', 'metadata_value'],
    });
    const reportTypeProps = await dst.rows<{ name: string; data_type: unknown }>(
      `SELECT p.name, p.data_type FROM TypeProperty p JOIN Type t ON t.id = p.type_id WHERE t.name = 'Validation_output'`,
    );
    expect(reportTypeProps.map((p) => [p.name, Number(p.data_type)])).toEqual([['version', 3]]);

    // New artifacts: an event without a path and an attribution to the creating stage;
    // known ones (the environment, the data, train.tsv, the model): a link with a path.
    const events = await dst.rows<{ a: unknown; e: unknown; type: unknown; key: string | null }>(
      'SELECT ev.artifact_id AS a, ev.execution_id AS e, ev.type, p.step_key AS key FROM Event ev LEFT JOIN EventPath p ON p.event_id = ev.id ORDER BY ev.id',
    );
    const art = (i: number) => Number(arts[i]!.id);
    expect(events.map((v) => [Number(v.a), Number(v.e), Number(v.type), v.key])).toEqual([
      [art(0), 1, 3, null],
      [art(1), 1, 3, null],
      [art(2), 1, 3, null],
      [art(3), 1, 4, null],
      [art(0), 2, 3, arts[0]!.name],
      [art(3), 2, 3, arts[3]!.name],
      [art(4), 2, 4, null],
      [art(5), 2, 4, null],
      [art(0), 3, 3, arts[0]!.name],
      [art(5), 3, 3, `artifacts/model/model.pkl:${md5.model}:102`],
      [art(1), 3, 3, arts[1]!.name],
      [art(6), 3, 4, null],
      [art(7), 3, 4, null],
      [art(8), 3, 4, null],
    ]);
    const attributions = await dst.rows<{ c: unknown; a: unknown }>(
      'SELECT context_id AS c, artifact_id AS a FROM Attribution ORDER BY artifact_id',
    );
    expect(attributions.map((x) => [Number(x.c), Number(x.a)])).toEqual([
      [2, art(0)],
      [2, art(1)],
      [2, art(2)],
      [2, art(3)],
      [3, art(4)],
      [3, art(5)],
      [4, art(6)],
      [4, art(7)],
      [4, art(8)],
    ]);
    const assoc = await dst.rows<{ c: unknown; e: unknown }>(
      'SELECT context_id AS c, execution_id AS e FROM Association ORDER BY execution_id',
    );
    expect(assoc.map((x) => [Number(x.c), Number(x.e)])).toEqual([
      [2, 1],
      [3, 2],
      [4, 3],
    ]);

    const counts = await dst.counts();
    const before = await dst.snapshot();
    expect(
      (await mergeDocument(dst.store, text, { pipelineName: 'Test-env', mode: 'push' })).status,
    ).toBe('exists');
    expect(await dst.counts()).toEqual(counts);
    expect(await dst.snapshot()).toBe(before);
  });

  it('a later push adds url entries whole, reuses the named execution, keeps the first stamp', async () => {
    const dst = await backend.fresh();
    await mergeDocument(dst.store, pythonPayload(), { mode: 'push' });
    const dataId = await idOf(dst, 'Artifact', `artifacts/data.xml.gz:${PY.md5.data}`);
    const stamp = (await sqlProps(dst, 'Artifact', dataId)).custom[ORIGINAL_CREATE_TIME];
    // The same data used by another pipeline (name `Test`, a prefix of `Test-env`), with a
    // new run of the named Evaluate execution (one new uuid) and later timestamps.
    const { uuids } = PY;
    const other = pythonPayload()
      .replaceAll('Test-env', 'Test')
      .replaceAll(String(PY.createTime + 201), String(PY.createTime + 9000201))
      .replace(`"Execution_uuid": "${uuids.prepare}"`, '"Execution_uuid": "p2"')
      .replace(`"Execution_uuid": "${uuids.train}"`, '"Execution_uuid": "t2"')
      .replace(`${uuids.evaluateA},${uuids.evaluateB}`, `${uuids.evaluateA},${uuids.evaluateB},e3`);
    const r = await mergeDocument(dst.store, other, { mode: 'push' });
    expect(r).toMatchObject({ status: 'success', pipelines: ['Test'], executions: 3 });
    const data = await sqlProps(dst, 'Artifact', dataId);
    const url = (p: string) =>
      `${p}:/home/user/local-storage/files/md5/23/6d9502e0283d91f689d7038b8508a2`;
    expect(data.declared.url).toEqual(['string', `${url('Test-env')},${url('Test')}`]);
    expect(data.custom[ORIGINAL_CREATE_TIME]).toEqual(stamp);
    const named = await dst.rows<{ id: unknown }>(
      `SELECT id FROM Execution WHERE name = 'Test/Evaluate'`,
    );
    expect(named).toHaveLength(1);
    const props = await sqlProps(dst, 'Execution', Number(named[0]!.id));
    expect(props.declared.Execution_uuid).toEqual([
      'string',
      `${uuids.evaluateA},${uuids.evaluateB},e3`,
    ]);
    // Pushing the second document again: nothing new.
    const counts = await dst.counts();
    expect((await mergeDocument(dst.store, other, { mode: 'push' })).status).toBe('exists');
    expect(await dst.counts()).toEqual(counts);
  });

  it('an artifact named as one the store holds under another uri is linked to it', async () => {
    const dst = await backend.fresh();
    await mergeDocument(dst.store, pythonPayload(), { mode: 'push' });
    const name = `artifacts/parsed/train.tsv:${PY.md5.train}`;
    const id = await idOf(dst, 'Artifact', name);
    // Same name, another content hash (a hand-edited or damaged document).
    const other = pythonPayload()
      .replaceAll(`"uri": "${PY.md5.train}"`, '"uri": "ffffffffffffffffffffffffffffffff"')
      .replace(`"Execution_uuid": "${PY.uuids.prepare}"`, '"Execution_uuid": "p2"')
      .replace(`"Execution_uuid": "${PY.uuids.train}"`, '"Execution_uuid": "t2"');
    const r = await mergeDocument(dst.store, other, { mode: 'push' });
    expect(r).toMatchObject({ status: 'success', executions: 2, artifacts: 0 });
    const rows = await dst.rows<{ n: unknown }>(
      `SELECT count(*) AS n FROM Artifact WHERE name = '${name}'`,
    );
    expect(Number(rows[0]!.n)).toBe(1);
    const links = await dst.rows<{ n: unknown }>(
      `SELECT count(*) AS n FROM Event WHERE artifact_id = ${id}`,
    );
    expect(Number(links[0]!.n)).toBe(4);
  });

  it('a whole store (every pipeline, no pipeline name) syncs to another and again is exists', async () => {
    const a = await backend.fresh();
    await mergeDocument(a.store, pythonPayload(), { mode: 'push' });
    const other = pythonPayload()
      .replaceAll('Test-env', 'Other')
      .replaceAll(/"Execution_uuid": "([^"]*)"/g, '"Execution_uuid": "o-$1"');
    await mergeDocument(a.store, other, { mode: 'push' });
    const all = (await exportAllPipelines(a.store)).document;
    expect((all.Pipeline as Obj[]).map((p) => p.name)).toEqual(['Test-env', 'Other']);

    const b = await backend.fresh();
    const r = await mergeDocument(b.store, pythonJson(all), { mode: 'push' });
    expect(r).toMatchObject({ status: 'success', pipelines: ['Test-env', 'Other'], executions: 6 });
    expect(normalized((await exportAllPipelines(b.store)).document)).toBe(normalized(all));
    const counts = await b.counts();
    expect((await mergeDocument(b.store, pythonJson(all), { mode: 'push' })).status).toBe('exists');
    expect(await b.counts()).toEqual(counts);
  });

  it('NaN and infinities a Python client sent land as doubles, export as Python writes them, and merge again as exists', async () => {
    const dst = await backend.fresh();
    const text = pythonPayload()
      .replace('"avg_prec": 0.5394, "roc_auc": 3000.0', '"avg_prec": NaN, "roc_auc": Infinity')
      .replace('"seed": 20170428', '"seed": 20170428, "loss": -Infinity')
      .replace(
        '{"user-metadata1": "metadata_value"}',
        '{"user-metadata1": "metadata_value", "w": NaN}',
      );
    expect(text.match(/NaN|Infinity/g)).toHaveLength(4);
    const r = await mergeDocument(dst.store, text, { pipelineName: 'Test-env', mode: 'push' });
    expect(r).toMatchObject({ status: 'success', executions: 3 });
    const metrics = await idOf(dst, 'Artifact', `metrics:${PY.metricsUuid}:3`);
    const custom = (await sqlProps(dst, 'Artifact', metrics)).custom;
    expect(custom.avg_prec).toEqual(['double', NaN]);
    expect(custom.roc_auc).toEqual(['double', Infinity]);
    expect(custom.count).toEqual(['int', 3000]);
    const prepare = (
      await dst.rows<{ id: unknown }>(
        `SELECT e.id FROM Execution e JOIN ExecutionProperty p ON p.execution_id = e.id WHERE p.name = 'Execution_uuid' AND p.string_value = '${PY.uuids.prepare}'`,
      )
    )[0]!.id;
    expect((await sqlProps(dst, 'Execution', Number(prepare))).custom.loss).toEqual([
      'double',
      -Infinity,
    ]);
    const stage = await idOf(dst, 'Context', 'Test-env/Prepare');
    expect((await sqlProps(dst, 'Context', stage)).custom.w).toEqual(['double', NaN]);
    // As ml-metadata reads them: SQLite keeps NaN as the text NaN (a REAL NaN is NULL) and
    // infinities as REALs; PostgreSQL's DOUBLE PRECISION holds all three.
    const cells = await dst.rows<{ name: string; cell: string }>(
      backend.name === 'sqlite'
        ? `SELECT name, typeof(double_value) || ':' || CAST(double_value AS TEXT) AS cell FROM ArtifactProperty WHERE artifact_id = ${metrics} AND name IN ('avg_prec', 'roc_auc') ORDER BY name`
        : `SELECT name, pg_typeof(double_value)::text || ':' || double_value::text AS cell FROM ArtifactProperty WHERE artifact_id = ${metrics} AND name IN ('avg_prec', 'roc_auc') ORDER BY name`,
    );
    expect(cells.map((c) => c.cell)).toEqual(
      backend.name === 'sqlite'
        ? ['text:NaN', 'real:Inf']
        : ['double precision:NaN', 'double precision:Infinity'],
    );
    const out = pythonJson(await exported(dst.store));
    expect(out).toContain('"avg_prec": NaN, "count": 3000');
    expect(out).toContain('"roc_auc": Infinity');
    expect(out).toContain('"loss": -Infinity');
    expect(out).toContain('"w": NaN');
    const before = await dst.snapshot();
    expect((await mergeDocument(dst.store, text, { mode: 'push' })).status).toBe('exists');
    expect((await mergeDocument(dst.store, out, { mode: 'pull' })).status).toBe('exists');
    expect(await dst.snapshot()).toBe(before);
    // And on to another store, as a pull from this one.
    const client = await backend.fresh();
    expect((await mergeDocument(client.store, out, { mode: 'pull' })).status).toBe('success');
    expect(normalized(await exported(client.store))).toBe(normalized(await exported(dst.store)));
  });

  it('a Dataset whose custom properties hold NaN, linked again by a later push, is not rewritten', async () => {
    const dst = await backend.fresh();
    const withNan = (doc: string) =>
      doc.replaceAll(
        '"user-metadata1": "metadata_value"}',
        '"user-metadata1": "metadata_value", "score": NaN}',
      );
    await mergeDocument(dst.store, withNan(pythonPayload()), { mode: 'push' });
    const dataId = await idOf(dst, 'Artifact', `artifacts/data.xml.gz:${PY.md5.data}`);
    const stamp = `SELECT last_update_time_since_epoch AS t FROM Artifact WHERE id = ${dataId}`;
    const before = await dst.rows<{ t: unknown }>(stamp);
    // New runs of Prepare and Train: the same data is linked again, nothing about it changed.
    const later = withNan(pythonPayload())
      .replace(`"Execution_uuid": "${PY.uuids.prepare}"`, '"Execution_uuid": "p2"')
      .replace(`"Execution_uuid": "${PY.uuids.train}"`, '"Execution_uuid": "t2"');
    // Let the clock move, so that a rewrite would show in the timestamp.
    await new Promise((r) => setTimeout(r, 5));
    expect((await mergeDocument(dst.store, later, { mode: 'push' })).status).toBe('success');
    expect(await dst.rows<{ t: unknown }>(stamp)).toEqual(before);
    expect((await sqlProps(dst, 'Artifact', dataId)).custom.score).toEqual(['double', NaN]);
  });

  it('pull keeps the stamps the server recorded', async () => {
    const server = await backend.fresh();
    await mergeDocument(server.store, pythonPayload(), { mode: 'push' });
    const pulled = (await exportDocument(server.store, 'Test-env')).document;
    const client = await backend.fresh();
    const r = await mergeDocument(client.store, pythonJson(pulled), { mode: 'pull' });
    expect(r.status).toBe('success');
    const exe = await idOf(client, 'Execution', 'Test-env/Evaluate');
    expect((await sqlProps(client, 'Execution', exe)).custom[ORIGINAL_CREATE_TIME]).toEqual([
      'int',
      PY.createTime + 103,
    ]);
    expect(normalized(await exported(client.store))).toBe(normalized(pulled));
  });
});

describe('mergeIntoFile', () => {
  it('creates the MLMD file when absent, merges, and needs no git or DVC around it', async () => {
    const dir = await tempDir('cmf-pull-');
    const path = join(dir, 'mlmd');
    const r = await mergeIntoFile(path, pythonPayload(), {
      pipelineName: 'Test-env',
      mode: 'pull',
    });
    expect(r).toMatchObject({ status: 'success', executions: 3 });
    expect(existsSync(join(dir, '.git'))).toBe(false);
    const store = SqliteAsyncStore.wrap(MlmdStore.open(path, { readonly: true }));
    onTestFinished(() => store.close());
    expect(executionsOf(await exported(store)).map(uuidOf)).toEqual([
      PY.uuids.prepare,
      PY.uuids.train,
      `${PY.uuids.evaluateA},${PY.uuids.evaluateB}`,
    ]);
    const again = await mergeIntoFile(path, pythonPayload(), {
      pipelineName: 'Test-env',
      mode: 'pull',
    });
    expect(again.status).toBe('exists');
  });
});

describe('exact JSON', () => {
  it('tells 3000.0 from 3000 and keeps big integers exact', () => {
    const v = parseExactJson(
      '{"a": 3000.0, "b": 3000, "c": 1e-05, "d": 12345678901234567890}',
    ) as Obj;
    expect(v.a).toEqual(new PyFloat(3000));
    expect(v.b).toBe(3000);
    expect(v.c).toEqual(new PyFloat(1e-5));
    expect(v.d).toBe(12345678901234567890n);
    expect(pythonJson(v)).toBe('{"a": 3000.0, "b": 3000, "c": 1e-05, "d": 12345678901234567890}');
    expect(exportJsonText(v)).toContain('"a": 3000.0');
  });

  it("reads Python's NaN, Infinity and -Infinity where json.loads does, and writes them back", () => {
    const text =
      '{"a": NaN, "b": [Infinity, -Infinity], "c": "NaN", "d": 0.0001, "e": 0.00001, "f": "x\\" NaN"}';
    const v = parseExactJson(text) as Obj;
    expect(v.a).toEqual(new PyFloat(NaN));
    expect(v.b).toEqual([new PyFloat(Infinity), new PyFloat(-Infinity)]);
    // Words inside strings, and numbers that look like the stand-in literals, are untouched.
    expect(v.c).toBe('NaN');
    expect(v.d).toEqual(new PyFloat(0.0001));
    expect(v.e).toEqual(new PyFloat(0.00001));
    expect(v.f).toBe('x" NaN');
    expect(pythonJson(v)).toBe(text.replace('0.00001', '1e-05'));
    expect(parseExactJson('NaN')).toEqual(new PyFloat(NaN));
    expect(parseExactJson(' [ -Infinity ]\n')).toEqual([new PyFloat(-Infinity)]);
    // What Python's json.loads refuses stays refused.
    for (const bad of [
      '[-NaN]',
      '[+Infinity]',
      '[nan]',
      '[1NaN]',
      '[NaN1]',
      '[NaNa]',
      '{NaN: 1}',
      '[inf]',
    ]) {
      expect(() => parseExactJson(bad), bad).toThrow(SyntaxError);
    }
  });

  it('text that is not JSON is invalid_json_payload', async () => {
    const dst = await sqliteBackend.fresh();
    const words = '{"Pipeline": [{"name": "NaN", "stages": []}]';
    expect((await mergeDocument(dst.store, words, { mode: 'push' })).status).toBe(
      'invalid_json_payload',
    );
  });
});
