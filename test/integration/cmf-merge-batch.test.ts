/**
 * The merge writes a document's executions, artifacts, events and links in batches. A
 * document of many executions sharing artifacts (by uri, by name, across executions and
 * within one), reused named executions and duplicate events, merged at once, must leave
 * exactly the rows (ids included; timestamps aside) that merging its executions one at a
 * time leaves — batches of one, in which no row can be lost or doubled by batching. On real
 * SQLite files and a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeDocument } from '../../src/cmf/merge.js';
import {
  documentText as documentOf,
  hash,
  oneByOne,
  P,
  rowsOf,
  TABLES,
  total,
  uuidsOf,
  type Json,
} from '../helpers/merge-batch-doc.js';
import { postgresBackend, sqliteBackend, type Backend } from '../helpers/merge-stores.js';
import { startPostgres, type PostgresServer } from '../servers/postgres.js';

let pgServer: PostgresServer | undefined;
beforeAll(async () => {
  pgServer = await startPostgres();
});
afterAll(async () => {
  await pgServer?.stop();
});

const BACKENDS: Backend[] = [sqliteBackend, postgresBackend(() => pgServer!)];

const N = 60;
const documentText = () => documentOf(N);

describe.each(BACKENDS)('a batched merge into $name', (backend) => {
  it('writes exactly the rows of one-at-a-time merges, ids included; again it is exists', async () => {
    const text = documentText();
    const reference = await backend.fresh();
    const single = await oneByOne(reference, text, uuidsOf(N));
    expect(single.every((r) => r.status === 'success')).toBe(true);

    const batched = await backend.fresh();
    const r = await mergeDocument(batched.store, text, { mode: 'push' });
    expect(r).toMatchObject({
      status: 'success',
      executions: N,
      skippedExecutions: 0,
      artifacts: total(single, 'artifacts'),
      events: total(single, 'events'),
    });
    const want = await rowsOf(reference);
    const got = await rowsOf(batched);
    for (const [table] of TABLES) expect([table, got[table]]).toEqual([table, want[table]]);

    // What the document shares really happened (the comparison alone would pass if neither did).
    const n = (rows: Json[]) => rows.length;
    expect(n(got.Execution!)).toBe(N - N / 6 + 1);
    expect(n(got.Event!)).toBeLessThan(
      (
        JSON.parse(text) as { Pipeline: { stages: { executions: { events: unknown[] }[] }[] }[] }
      ).Pipeline[0]!.stages.flatMap((st) => st.executions).reduce((k, e) => k + e.events.length, 0),
    );
    const raw = await batched.rows<{ string_value: string }>(
      `SELECT p.string_value FROM ArtifactProperty p JOIN Artifact a ON a.id = p.artifact_id WHERE a.uri = '${hash('a')}' AND p.name = 'url'`,
    );
    expect(raw.map((x) => x.string_value)).toEqual([
      `${P}:/remote/0,${P}:/remote/1,${P}:/remote/2`,
    ]);
    const evaluate = await batched.rows<{ string_value: string }>(
      `SELECT p.string_value FROM ExecutionProperty p JOIN Execution e ON e.id = p.execution_id WHERE e.name = '${P}/Evaluate' AND p.name = 'Execution_uuid'`,
    );
    expect(evaluate.map((x) => x.string_value)).toEqual([
      uuidsOf(N)
        .filter((_, i) => i % 6 === 5)
        .join(','),
    ]);

    const counts = await batched.counts();
    const before = await batched.snapshot();
    const again = await mergeDocument(batched.store, text, { mode: 'push' });
    expect(again).toMatchObject({ status: 'exists', executions: 0, artifacts: 0, events: 0 });
    expect(again.skippedExecutions).toBe(N);
    expect(await batched.counts()).toEqual(counts);
    expect(await batched.snapshot()).toBe(before);
  });

  it('into a store holding part of it, the rest lands as one-at-a-time merges land', async () => {
    const text = documentText();
    const reference = await backend.fresh();
    await oneByOne(reference, text, uuidsOf(N));

    const batched = await backend.fresh();
    // A third first, one by one: the batch then meets existing artifacts, a named execution
    // the store has, and a stage that exists.
    await oneByOne(batched, text, uuidsOf(N / 3));
    const r = await mergeDocument(batched.store, text, { mode: 'push' });
    expect(r).toMatchObject({ status: 'success', skippedExecutions: N / 3 });
    const want = await rowsOf(reference);
    const got = await rowsOf(batched);
    for (const [table] of TABLES) expect([table, got[table]]).toEqual([table, want[table]]);
  });

  it('a refused artifact in the middle of a batch names its execution and writes nothing', async () => {
    const doc = JSON.parse(documentText()) as {
      Pipeline: { stages: { executions: { events: { artifact: Json }[] }[] }[] }[];
    };
    const victim = doc.Pipeline[0]!.stages[1]!.executions[4]!;
    // Its new output Dataset: cmf declares Commit a string, so an int is refused by the store.
    (victim.events[2]!.artifact.properties as Json).Commit = 5;
    const dst = await backend.fresh();
    const before = await dst.snapshot();
    const err = await mergeDocument(dst.store, JSON.stringify(doc), { mode: 'push' }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: 'MLMD_PROPERTY_TYPE',
      data: { at: expect.stringContaining('Pipeline[0].stages[1].executions[4]') },
    });
    expect(await dst.snapshot()).toBe(before);
  });
});
