/**
 * Two processes log into one MLMD file at the same time through the Cmf API (the built
 * sources, in child processes): no row of either is lost, content both log is one
 * artifact linked by both, and the file stays sound.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cmfProject } from '../helpers/cmf-project.js';
import { MlmdSql } from '../helpers/mlmd-sql.js';

const ROOT = resolve(import.meta.dirname, '../..');
// Compiled inside node_modules so the workers resolve the project's dependencies.
const BUILD = join(ROOT, 'node_modules', '.cache', `cmf-api-concurrency-${process.pid}`);
const FILES = 40;

const WORKER = `
import { Cmf } from './index.js';
const [dir, w, n, startAt] = process.argv.slice(2);
while (Date.now() < Number(startAt)) { /* start both together */ }
const cmf = await Cmf.open({ cwd: dir, pipelineName: 'P', busyTimeoutMs: 60000 });
await cmf.createContext('stage-' + w);
await cmf.createExecution('run-' + w, { worker: w });
for (let i = 0; i < Number(n); i++) {
  await cmf.logDataset('data/' + w + '/f' + i + '.csv', 'output', { i });
  if (i % 10 === 0) await cmf.logExecutionMetrics('m', { i, w });
}
await cmf.logDataset('shared/' + w + '.csv', 'input');
await cmf.close();
`;

function runWorker(dir: string, w: string, startAt: number) {
  return new Promise<{ code: number | null; stderr: string }>((done) => {
    const child = spawn(
      process.execPath,
      [join(BUILD, 'worker.mjs'), dir, w, String(FILES), String(startAt)],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code, stderr }));
  });
}

describe('two processes logging to one MLMD file', () => {
  beforeAll(() => {
    mkdirSync(BUILD, { recursive: true });
    execFileSync(
      process.execPath,
      [
        join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
        ...['--outDir', BUILD, '--rootDir', join(ROOT, 'src'), '--module', 'NodeNext'],
        ...['--moduleResolution', 'NodeNext', '--target', 'ES2023', '--skipLibCheck'],
        ...['--esModuleInterop', '--resolveJsonModule', '--types', 'node', '--noCheck'],
        join(ROOT, 'src', 'index.ts'),
      ],
      { cwd: ROOT, stdio: 'pipe' },
    );
    writeFileSync(join(BUILD, 'worker.mjs'), WORKER);
  });

  afterAll(() => rmSync(BUILD, { recursive: true, force: true }));

  it('loses no rows', async () => {
    const p = await cmfProject();
    for (const w of ['A', 'B']) {
      mkdirSync(join(p.dir, 'data', w), { recursive: true });
      for (let i = 0; i < FILES; i++)
        writeFileSync(join(p.dir, 'data', w, `f${i}.csv`), `${w},${i}\n`);
    }
    mkdirSync(join(p.dir, 'shared'));
    for (const w of ['A', 'B']) writeFileSync(join(p.dir, 'shared', `${w}.csv`), 'same content\n');

    const startAt = Date.now() + 1500;
    const results = await Promise.all([
      runWorker(p.dir, 'A', startAt),
      runWorker(p.dir, 'B', startAt),
    ]);
    for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });

    const db = new MlmdSql(join(p.dir, 'mlmd'));
    try {
      expect(db.all('PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
      // One pipeline, one Environment artifact, one type each: get-or-create under the lock.
      expect(db.all("SELECT name FROM Context WHERE name = 'P'")).toHaveLength(1);
      expect(db.all("SELECT name FROM Type WHERE name = 'Dataset'")).toHaveLength(1);
      expect(
        db.all(
          "SELECT a.id FROM Artifact a JOIN Type t ON t.id = a.type_id WHERE t.name = 'Environment'",
        ),
      ).toHaveLength(1);
      const execs = db.all<{ id: number; type: string }>(
        'SELECT e.id, t.name AS type FROM Execution e JOIN Type t ON t.id = e.type_id ORDER BY t.name',
      );
      expect(execs.map((e) => e.type)).toEqual(['run-A', 'run-B']);
      for (const { id, type } of execs) {
        const w = type.slice(-1);
        const outputs = db.all<{ name: string }>(
          'SELECT a.name FROM Event e JOIN Artifact a ON a.id = e.artifact_id WHERE e.execution_id = ? AND e.type = 4',
          id,
        );
        const datasets = outputs.filter((o) => o.name.startsWith(`data/${w}/`));
        expect(datasets).toHaveLength(FILES);
        expect(new Set(datasets.map((d) => d.name.split(':')[0]))).toEqual(
          new Set(Array.from({ length: FILES }, (_, i) => `data/${w}/f${i}.csv`)),
        );
        expect(outputs.filter((o) => o.name.startsWith('m:'))).toHaveLength(FILES / 10);
      }
      // The shared content is one artifact; the second process linked it.
      const shared = db.all<{ id: number }>("SELECT id FROM Artifact WHERE name LIKE 'shared/%'");
      expect(shared).toHaveLength(1);
      expect(
        db.all(
          'SELECT execution_id FROM Event WHERE artifact_id = ? ORDER BY execution_id',
          shared[0]!.id,
        ),
      ).toEqual([{ execution_id: 1 }, { execution_id: 2 }]);
      expect(db.all('SELECT count(*) AS n FROM Artifact')).toEqual([
        { n: 2 * FILES + 2 * (FILES / 10) + 2 },
      ]);
    } finally {
      db.close();
    }
  });
});
