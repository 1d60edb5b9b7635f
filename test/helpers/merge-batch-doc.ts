/**
 * A document of many executions sharing artifacts (by uri, by name, across executions and
 * within one), reused named executions and duplicate events (see the comments in
 * `execution`), and what the batch merge tests compare: every row of every MLMD table
 * without its timestamps, and the rows that merging one execution at a time leaves.
 */
import { mergeDocument, type MergeResult } from '../../src/cmf/merge.js';
import type { TestStore } from './merge-stores.js';

export const P = 'Batch';
const T = 1_700_000_000_000;

export type Json = Record<string, unknown>;

export const hash = (tag: string) => tag.padEnd(32, '0');

function artifact(
  type: string,
  name: string,
  uri: string,
  extra: { url?: string; custom?: Json; metricsName?: boolean } = {},
): Json {
  return {
    type,
    create_time_since_epoch: T + 1,
    custom_properties: extra.custom ?? {},
    id: 999,
    last_update_time_since_epoch: T + 1,
    name,
    properties: {
      ...(extra.metricsName ? { metrics_name: name } : { Commit: uri }),
      ...(extra.url ? { url: extra.url } : {}),
    },
    type_id: 50,
    uri,
  };
}

/** Execution `i` (sender id i + 1) and its events; see the comments for what each shares. */
function execution(i: number): Json {
  const events: Json[] = [];
  const input = (a: Json) => events.push({ type: 3, artifact: a });
  const output = (a: Json) => events.push({ type: 4, artifact: a });
  // One shared input: three url entries in turn, labels growing as a set.
  const raw = artifact('Dataset', `data/raw.csv:${hash('a')}`, hash('a'), {
    url: `${P}:/remote/${i % 3}`,
    custom: { labels: `l${i % 4}` },
  });
  input(raw);
  // Listed twice in some executions: one event.
  if (i % 10 === 0) input(raw);
  // The previous execution's output (created earlier in the same batch), with another url.
  if (i > 0)
    input(
      artifact('Dataset', `out/${i - 1}.csv:${hash(`b${i - 1}`)}`, hash(`b${i - 1}`), {
        url: `${P}:/other/${i}`,
      }),
    );
  output(
    artifact('Dataset', `out/${i}.csv:${hash(`b${i}`)}`, hash(`b${i}`), { url: `${P}:/r/${i}` }),
  );
  // Seven models shared by uri (url entries go to all of them); the name holds the sender's id.
  output(
    artifact('Model', `models/m.pkl:${hash(`c${i % 7}`)}:${i + 1}`, hash(`c${i % 7}`), {
      url: `${P}:/m/${i % 2}`,
    }),
  );
  // No uri: always created; metrics_name follows the receiver's id.
  output(
    artifact('Metrics', `metrics/run:${i + 1}`, '', {
      metricsName: true,
      custom: { acc: i / 100 },
    }),
  );
  // The same name under two uris: the second is linked to the first.
  if (i === 3) output(artifact('Dataset', 'collide.csv:x', hash('d3')));
  if (i === 8) output(artifact('Dataset', 'collide.csv:x', hash('d8')));
  // The same artifact as input and output of one execution: two events.
  if (i % 9 === 0) {
    const both = artifact('Dataset', `loop/${i}.csv:${hash(`e${i}`)}`, hash(`e${i}`));
    input(both);
    output(both);
  }
  // Every sixth execution is a run of one named (reused) execution.
  const named = i % 6 === 5;
  return {
    type: named ? 'Evaluate' : 'Train',
    name: named ? `${P}/Evaluate` : '',
    events,
    create_time_since_epoch: T + 100 + i,
    custom_properties: { seed: i, run: `r${i % 4}` },
    id: i + 1,
    last_update_time_since_epoch: T + 100 + i,
    properties: {
      Context_ID: 2,
      Context_Type: named ? `${P}/Evaluate` : `${P}/Train`,
      Execution: "['train.py']",
      Execution_type_name: 'Train',
      Execution_uuid: `uuid-${i}`,
      Git_Repo: 'https://example.org/p.git',
      Git_Start_Commit: 'a'.repeat(40),
      Git_End_Commit: '',
      Pipeline_Type: P,
      Pipeline_id: 1,
    },
    type_id: 12,
  };
}

/** The document of `n` executions (n even), in two stages, as JSON text. */
export function documentText(n: number): string {
  const stage = (id: number, name: string, executions: Json[]) => ({
    executions,
    create_time_since_epoch: T + id,
    custom_properties: {},
    id,
    last_update_time_since_epoch: T + id,
    name: `${P}/${name}`,
    properties: { Pipeline_Stage: `${P}/${name}` },
    type: 'Pipeline_Stage',
    type_id: 11,
  });
  const all = Array.from({ length: n }, (_, i) => execution(i));
  return JSON.stringify({
    Pipeline: [
      {
        create_time_since_epoch: T,
        custom_properties: {},
        id: 1,
        last_update_time_since_epoch: T,
        name: P,
        properties: { Pipeline: P },
        type: 'Parent_Context',
        type_id: 10,
        // Two stages, in the sender's order: the first half, then the rest.
        stages: [stage(2, 'Prepare', all.slice(0, n / 2)), stage(3, 'Train', all.slice(n / 2))],
      },
    ],
  });
}

const TIMES = [
  'create_time_since_epoch',
  'last_update_time_since_epoch',
  'milliseconds_since_epoch',
];
export const TABLES: [string, string][] = [
  ['Type', 'id'],
  ['TypeProperty', 'type_id, name'],
  ['ParentType', 'type_id, parent_type_id'],
  ['Context', 'id'],
  ['ContextProperty', 'context_id, name, is_custom_property'],
  ['ParentContext', 'context_id, parent_context_id'],
  ['Execution', 'id'],
  ['ExecutionProperty', 'execution_id, name, is_custom_property'],
  ['Artifact', 'id'],
  ['ArtifactProperty', 'artifact_id, name, is_custom_property'],
  ['Event', 'id'],
  ['EventPath', 'event_id, step_key'],
  ['Association', 'id'],
  ['Attribution', 'id'],
];

/** Every row of every MLMD table without its timestamps, in a fixed order. */
export async function rowsOf(s: TestStore): Promise<Record<string, Json[]>> {
  const out: Record<string, Json[]> = {};
  for (const [table, order] of TABLES) {
    const rows = await s.rows<Json>(`SELECT * FROM ${table} ORDER BY ${order}`);
    out[table] = rows.map((r) => {
      const kept: Json = {};
      for (const [k, v] of Object.entries(r)) {
        if (TIMES.includes(k) || k === 'seq') continue;
        kept[k] = typeof v === 'bigint' ? Number(v) : v;
      }
      return kept;
    });
  }
  return out;
}

export const uuidsOf = (n: number) => Array.from({ length: n }, (_, i) => `uuid-${i}`);

/** Merges the document's executions one at a time (sender order); sums the results. */
export async function oneByOne(
  s: TestStore,
  text: string,
  uuids: string[],
): Promise<MergeResult[]> {
  const results: MergeResult[] = [];
  for (const executionUuid of uuids) {
    results.push(await mergeDocument(s.store, text, { mode: 'push', executionUuid }));
  }
  return results;
}

export const total = (rs: MergeResult[], k: 'executions' | 'artifacts' | 'events') =>
  rs.reduce((n, r) => n + r[k], 0);
