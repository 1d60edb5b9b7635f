// Metadata server load benchmark (issue 6). Not a test: it prints numbers and checks only
// that every pushed execution arrived.
//   node bench/server-load.mjs [--seconds 30] [--clients 20] [--executions 10000] [sqlite|postgres]
// For each store (an MLMD SQLite file in the data dir; PostgreSQL 15 started as the tests
// start it), a real `cmf server start` process on 127.0.0.1:
//  1. `clients` concurrent clients push, for `seconds`, one new execution each per request
//     (POST /api/mlmd_push, the JSON-in-JSON body Python cmf sends) of one shared pipeline;
//     prints pushes/s and p50/p99 latency, then pulls the pipeline and checks every
//     execution is there exactly once.
//  2. `cmf metadata push` (the built binary: export, POST, server-side merge) of a pipeline
//     with `executions` executions from a local MLMD file, into an empty pipeline.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startServer } from './server-process.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'run.js');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const seconds = opt('seconds', 30);
const clients = opt('clients', 20);
const bigCount = opt('executions', 10_000);
const only = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
const stores = only.length ? only : ['sqlite', 'postgres'];

const { mergeIntoFile } = await import(join(root, 'dist', 'cmf', 'merge-file.js'));

/** test/servers/postgres.ts is TypeScript importing './common.js': let Node find the .ts. */
async function importTestServer() {
  await import(pathToFileURL(join(root, 'test', 'fixtures', 'cache', 'ts-resolve.mjs')).href);
  return import(join(root, 'test', 'servers', 'postgres.ts'));
}

const iso = () => 1_700_000_000_000;

/** One execution in the exchange format (§6.1) with its own uuid and output. */
function execution(pipeline, uuid, i) {
  const art = (type, path, hash, extra = {}) => ({
    type,
    create_time_since_epoch: iso(),
    custom_properties: extra,
    id: i + 1,
    last_update_time_since_epoch: iso(),
    name: `${path}:${hash}`,
    properties: {
      Commit: hash,
      git_repo: 'https://example.org/p.git',
      url: `${pipeline}:/r/files/md5/${hash.slice(0, 2)}/${hash.slice(2)}`,
    },
    type_id: 14,
    uri: hash,
  });
  const outHash = uuid.replaceAll('-', '').slice(0, 32).padEnd(32, '0');
  return {
    type: 'Train',
    name: '',
    events: [
      { type: 3, artifact: art('Dataset', 'data/input.csv', '0123456789abcdef0123456789abcdef') },
      { type: 4, artifact: art('Dataset', `out/${uuid}.bin`, outHash, { rows: i }) },
    ],
    create_time_since_epoch: iso() + i,
    custom_properties: { seed: i, lr: 0.001 },
    id: i + 1,
    last_update_time_since_epoch: iso() + i,
    properties: {
      Context_ID: 2,
      Context_Type: 'Train',
      Execution: "['train.py']",
      Execution_type_name: 'Train',
      Execution_uuid: uuid,
      Git_End_Commit: '',
      Git_Repo: 'https://example.org/p.git',
      Git_Start_Commit: 'a'.repeat(40),
      Pipeline_Type: pipeline,
      Pipeline_id: 1,
    },
    type_id: 12,
  };
}

function documentOf(pipeline, executions) {
  const node = (extra) => ({
    create_time_since_epoch: iso(),
    custom_properties: {},
    id: 1,
    last_update_time_since_epoch: iso(),
    ...extra,
  });
  return {
    Pipeline: [
      {
        stages: [
          {
            executions,
            ...node({
              id: 2,
              name: `${pipeline}/Train`,
              properties: { Pipeline_Stage: `${pipeline}/Train` },
              type: 'Pipeline_Stage',
              type_id: 11,
            }),
          },
        ],
        ...node({
          name: pipeline,
          properties: { Pipeline: pipeline },
          type: 'Parent_Context',
          type_id: 10,
        }),
      },
    ],
  };
}

async function load(url) {
  const pipeline = 'Load';
  const latencies = [];
  const sent = [];
  let failures = 0;
  const deadline = Date.now() + seconds * 1000;
  let n = 0;
  const client = async (c) => {
    while (Date.now() < deadline) {
      const i = n++;
      const uuid = `c${c}-${i}-${randomUUID()}`;
      const body = JSON.stringify({
        exec_uuid: null,
        pipeline_name: pipeline,
        json_payload: JSON.stringify(documentOf(pipeline, [execution(pipeline, uuid, i)])),
      });
      const t0 = performance.now();
      const res = await globalThis.fetch(`${url}/api/mlmd_push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const answer = await res.json();
      latencies.push(performance.now() - t0);
      if (res.status === 200 && answer.status === 'success') sent.push(uuid);
      else failures++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  const pulled = await (
    await globalThis.fetch(`${url}/api/mlmd_pull`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pipeline_name: pipeline }),
    })
  ).json();
  const got = pulled.Pipeline[0].stages.flatMap((s) =>
    s.executions.map((e) => e.properties.Execution_uuid),
  );
  const gotSet = new Set(got);
  const missing = sent.filter((u) => !gotSet.has(u)).length;
  return {
    pushes: sent.length,
    failures,
    rate: sent.length / elapsed,
    p50: pct(50),
    p99: pct(99),
    arrived: got.length,
    missing,
    duplicates: got.length - gotSet.size,
  };
}

async function bigPush(url, work) {
  const pipeline = 'Big';
  const executions = Array.from({ length: bigCount }, (_, i) =>
    execution(pipeline, `big-${i}-${randomUUID()}`, i),
  );
  const mlmd = join(work, 'big-mlmd');
  const t0 = performance.now();
  await mergeIntoFile(mlmd, documentOf(pipeline, executions), {
    pipelineName: pipeline,
    mode: 'pull',
  });
  const buildMs = performance.now() - t0;
  const t1 = performance.now();
  const r = spawnSync(
    process.execPath,
    [bin, 'metadata', 'push', '-p', pipeline, '-f', mlmd, '--json'],
    {
      cwd: work,
      env: { ...process.env, CMF_SERVER_URL: url, CMF_SERVER_TOKEN: '', CMF_SERVER_RETRIES: '0' },
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    },
  );
  const pushMs = performance.now() - t1;
  if (r.status !== 0) throw new Error(`metadata push failed: ${r.stderr}`);
  const status = JSON.parse(r.stdout).status;
  // One more execution into the big pipeline: what a push costs once a pipeline is large.
  const one = [];
  for (let i = 0; i < 5; i++) {
    const doc = documentOf(pipeline, [
      execution(pipeline, `big-extra-${i}-${randomUUID()}`, bigCount + i),
    ]);
    const t = performance.now();
    const res = await globalThis.fetch(`${url}/api/mlmd_push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        exec_uuid: null,
        pipeline_name: pipeline,
        json_payload: JSON.stringify(doc),
      }),
    });
    await res.text();
    one.push(performance.now() - t);
  }
  one.sort((a, b) => a - b);
  return { buildMs, pushMs, status, oneMoreMs: one[2] };
}

const fmt = (x, d = 1) => x.toFixed(d);
for (const store of stores) {
  const work = mkdtempSync(join(tmpdir(), `cmf-bench-server-${store}-`));
  let pg;
  let server;
  try {
    let database;
    if (store === 'postgres') {
      const { startPostgres } = await importTestServer();
      pg = await startPostgres();
      database = await pg.createDatabase(`bench_${process.pid}`);
    }
    server = await startServer(bin, join(work, 'data'), database);
    const l = await load(server.url);
    console.log(
      `server-load ${store}: ${clients} clients × ${seconds} s: ${l.pushes} pushes, ${fmt(l.rate)} pushes/s, ` +
        `p50 ${fmt(l.p50)} ms, p99 ${fmt(l.p99)} ms, failures ${l.failures}; ` +
        `pulled ${l.arrived} executions, missing ${l.missing}, duplicates ${l.duplicates}` +
        (l.missing || l.duplicates || l.failures ? '  <-- NOT ALL ARRIVED' : ' (all arrived)'),
    );
    const b = await bigPush(server.url, work);
    console.log(
      `server-load ${store}: cmf metadata push of ${bigCount} executions: ${fmt(b.pushMs / 1000, 2)} s (status ${b.status}; building the local file took ${fmt(b.buildMs / 1000, 2)} s); ` +
        `then one more execution into it: ${fmt(b.oneMoreMs)} ms (median of 5)`,
    );
  } finally {
    await server?.stop();
    await pg?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
