/**
 * Merge of exchange documents (spec §6.2–§6.3, with cmflib's bugs of §11.9–10 fixed) into
 * real stores: pipelines logged with the real Cmf API, exported, merged, exported again.
 */
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Cmf, doubleValue } from '../../src/index.js';
import { runGetStarted } from '../../examples/example-get-started/pipeline.js';
import { exportDocument, exportJsonText } from '../../src/cmf/export-json.js';
import { parseExactJson } from '../../src/cmf/exact-json.js';
import { mergeDocument, ORIGINAL_CREATE_TIME } from '../../src/cmf/merge.js';
import { PyFloat, pythonJson, type PyJson } from '../../src/cmf/python-json.js';
import { MlmdStore, SqliteAsyncStore, type AsyncMlmdStore } from '../../src/mlmd/index.js';
import { cmfProject } from '../helpers/cmf-project.js';
import { sqliteBackend, type Backend } from '../helpers/merge-stores.js';

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

const BACKENDS: Backend[] = [sqliteBackend];

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
});
