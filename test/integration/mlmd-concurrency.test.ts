/**
 * Two OS processes write the same MLMD file at once, each in many small transactions
 * (and both race to create it). Afterwards every row of both is there and the file is sound.
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlmdStore, EventType, TypeKind } from '../../src/mlmd/index.js';

const ROOT = resolve(import.meta.dirname, '../..');
// Compiled inside node_modules so the worker resolves better-sqlite3 from the project.
const BUILD = join(ROOT, 'node_modules', '.cache', `mlmd-concurrency-${process.pid}`);
const ROWS = 150;

const WORKER = `
import { MlmdStore, PropertyType, TypeKind, EventType, doubleValue } from './mlmd/index.js';
const [path, worker, rows, startAt] = process.argv.slice(2);
const pause = new Int32Array(new SharedArrayBuffer(4));
while (Date.now() < Number(startAt)) { /* start both writers together */ }
const store = MlmdStore.open(path, { busyTimeoutMs: 60000 });
const ctxT = store.types.put(TypeKind.CONTEXT, 'Stage', { properties: { who: PropertyType.STRING } }).id;
const exeT = store.types.put(TypeKind.EXECUTION, 'Run').id;
const artT = store.types.put(TypeKind.ARTIFACT, 'File', { properties: { n: PropertyType.INT } }).id;
const stage = store.contexts.getOrCreate({ typeId: ctxT, name: 'shared', properties: { who: worker } }).value;
const exe = store.executions.create({ typeId: exeT, name: 'run-' + worker });
store.links.associate(stage.id, exe.id);
for (let i = 0; i < Number(rows); i++) {
  store.transaction(() => {
    const a = store.artifacts.create({
      typeId: artT,
      name: worker + '-' + i,
      uri: worker + ':' + i,
      properties: { n: i },
      customProperties: { x: doubleValue(i) },
    });
    store.links.attribute(stage.id, a.id);
    store.links.putEvent({ artifactId: a.id, executionId: exe.id, type: EventType.OUTPUT, path: [{ key: 'k' + i }] });
  });
  // Plain single-statement writes interleave too.
  if (i % 10 === 0) store.executions.update(exe.id, { customProperties: { progress: i } });
  // A little work between logging calls (cmf hashes files there). Without any, the lock
  // holder re-takes the lock before the sleeping waiter's busy handler retries.
  Atomics.wait(pause, 0, 0, 2);
}
store.close();
`;

function runWorker(
  path: string,
  name: string,
  startAt: number,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(
      process.execPath,
      [join(BUILD, 'worker.mjs'), path, name, String(ROWS), String(startAt)],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code, stderr }));
  });
}

describe('two processes writing one MLMD file', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cmf-mlmd-conc-'));
    mkdirSync(BUILD, { recursive: true });
    execFileSync(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
        '--outDir',
        BUILD,
        '--rootDir',
        join(ROOT, 'src'),
        '--module',
        'NodeNext',
        '--moduleResolution',
        'NodeNext',
        '--target',
        'ES2023',
        '--strict',
        '--skipLibCheck',
        '--esModuleInterop',
        '--types',
        'node',
        join(ROOT, 'src', 'mlmd', 'index.ts'),
      ],
      { cwd: ROOT, stdio: 'pipe' },
    );
    writeFileSync(join(BUILD, 'worker.mjs'), WORKER);
  });

  afterAll(() => {
    rmSync(BUILD, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every row of both writers and passes integrity_check', async () => {
    const path = join(dir, 'mlmd');
    const startAt = Date.now() + 1500;
    const results = await Promise.all([
      runWorker(path, 'A', startAt),
      runWorker(path, 'B', startAt),
    ]);
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });

    const store = MlmdStore.open(path, { readonly: true, verify: 'full' });
    const db = store.database;
    expect(db.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    // One schema, created once, even though both processes raced to create the file.
    expect(
      db.prepare("SELECT count(*) AS c FROM sqlite_master WHERE type = 'table'").get(),
    ).toEqual({ c: 16 });
    expect(store.schemaVersion()).toBe(10);
    expect(db.prepare("SELECT count(*) AS c FROM Type WHERE name LIKE 'mlmd.%'").get()).toEqual({
      c: 9,
    });
    // Types and the shared context were get-or-created, not duplicated.
    expect(store.types.list(TypeKind.ARTIFACT).map((t) => t.name)).toEqual(['File']);
    const stages = store.contexts.listByTypeName('Stage');
    expect(stages).toHaveLength(1);

    const arts = store.artifacts.byContext(stages[0]!.id);
    expect(arts).toHaveLength(2 * ROWS);
    const names = new Set(arts.map((a) => a.name));
    for (const w of ['A', 'B']) {
      for (let i = 0; i < ROWS; i++) expect(names.has(`${w}-${i}`), `${w}-${i}`).toBe(true);
    }
    for (const a of arts) {
      const i = Number(a.name!.split('-')[1]);
      expect(a.properties.n).toEqual({ type: 'int', value: i });
      expect(a.customProperties.x).toEqual({ type: 'double', value: i });
    }
    const exes = store.executions.byContext(stages[0]!.id);
    expect(exes.map((e) => e.name).sort()).toEqual(['run-A', 'run-B']);
    for (const e of exes) {
      const events = store.links.eventsOfExecutions([e.id]);
      expect(events).toHaveLength(ROWS);
      expect(events.every((ev) => ev.type === EventType.OUTPUT && ev.path.length === 1)).toBe(true);
      expect(e.customProperties.progress).toEqual({
        type: 'int',
        value: ROWS - 1 - ((ROWS - 1) % 10),
      });
    }
    // The writers really overlapped: neither finished all its rows before the other began.
    const idsOf = (w: string) => arts.filter((a) => a.name!.startsWith(`${w}-`)).map((a) => a.id);
    const [a, b] = [idsOf('A'), idsOf('B')];
    expect(Math.min(...a)).toBeLessThan(Math.max(...b));
    expect(Math.min(...b)).toBeLessThan(Math.max(...a));
    const seq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'Artifact'").get() as {
      seq: number;
    };
    expect(seq.seq).toBe(2 * ROWS);
    store.close();
  });
});
