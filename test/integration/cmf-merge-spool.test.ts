/**
 * A document received in pieces (DocumentSpool, as the server's push and the client's pull
 * receive one) and merged a batch of executions at a time: the same rows as merging its
 * executions one at a time, and all or nothing — an invalid execution, a store refusal or a
 * syntax error at the very end of a document spanning several batches leaves the store as
 * it was, with the error the whole text gives. On real SQLite files and a real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocumentSpool } from '../../src/cmf/document-spool.js';
import { mergeDocument } from '../../src/cmf/merge.js';
import {
  documentText,
  oneByOne,
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

/** More executions than one merge batch (250) holds. */
const N = 320;

/** `text` given to a spool in pieces of 1 to 500 bytes (closed when the test ends). */
function spooled(text: string): DocumentSpool {
  const spool = new DocumentSpool();
  const bytes = Buffer.from(text, 'utf8');
  let seed = 7;
  for (let i = 0; i < bytes.length;) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const n = 1 + (seed % 500);
    spool.write(bytes.subarray(i, i + n));
    i += n;
  }
  spool.end();
  return spool;
}

type Doc = { Pipeline: { stages: { executions: Json[] }[] }[] };

/** The document with `edit` applied to its last execution. */
function lastEdited(edit: (e: Json) => void): string {
  const doc = JSON.parse(documentText(N)) as Doc;
  const stage = doc.Pipeline[0]!.stages[1]!;
  edit(stage.executions[stage.executions.length - 1]!);
  return JSON.stringify(doc);
}

/** What merging gives: the result, or the error's code and message. */
const outcome = (p: Promise<unknown>) =>
  p.then(
    (r) => ({ ok: r }),
    (e: { code?: string; message?: string }) => ({ code: e.code, message: e.message }),
  );

describe.each(BACKENDS)('a spooled merge into $name', { timeout: 120_000 }, (backend) => {
  it('spanning several batches, it writes the rows of one-at-a-time merges', async () => {
    const text = documentText(N);
    const reference = await backend.fresh();
    const single = await oneByOne(reference, text, uuidsOf(N));

    const dst = await backend.fresh();
    // A part first (the sender's first executions, so ids still match), so that batches
    // meet what the store has as well as what earlier batches wrote.
    const part = uuidsOf(130);
    await oneByOne(dst, text, part);
    const spool = spooled(text);
    try {
      const r = await mergeDocument(dst.store, spool, { mode: 'push' });
      expect(r).toMatchObject({
        status: 'success',
        skippedExecutions: part.length,
        executions: N - part.length,
      });
    } finally {
      spool.close();
    }
    const want = await rowsOf(reference);
    const got = await rowsOf(dst);
    for (const [table] of TABLES) expect([table, got[table]]).toEqual([table, want[table]]);

    // Into an empty store too, with the counts of the one-at-a-time merges.
    const empty = await backend.fresh();
    const again = spooled(text);
    try {
      expect(await mergeDocument(empty.store, again, { mode: 'push' })).toMatchObject({
        status: 'success',
        executions: N,
        artifacts: total(single, 'artifacts'),
        events: total(single, 'events'),
      });
    } finally {
      again.close();
    }
    const all = await rowsOf(empty);
    for (const [table] of TABLES) expect([table, all[table]]).toEqual([table, want[table]]);
  });

  it('anything wrong at the very end leaves the store unchanged, with the error of the whole text', async () => {
    const dst = await backend.fresh();
    await oneByOne(dst, documentText(N), uuidsOf(N).slice(0, 10));
    const before = await dst.snapshot();
    const broken = [
      // Not a document the merge can take: refused before anything is written.
      lastEdited((e) => (e.events = 3)),
      // Refused by the store while writing the last batch, after the earlier ones.
      // (its new output Dataset: cmf declares Commit a string).
      lastEdited((e) => {
        ((e.events as { artifact: Json }[])[2]!.artifact.properties as Json).Commit = 5;
      }),
      // Not JSON: invalid_json_payload.
      documentText(N).replace(/\}\]\}\]\}$/, '}]}'),
    ];
    for (const text of broken) {
      const want = await outcome(mergeDocument(dst.store, text, { mode: 'push' }));
      expect(await dst.snapshot()).toBe(before);
      const spool = spooled(text);
      try {
        expect(await outcome(mergeDocument(dst.store, spool, { mode: 'push' }))).toEqual(want);
      } finally {
        spool.close();
      }
      expect(await dst.snapshot()).toBe(before);
    }
  });
});
