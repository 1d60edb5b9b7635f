/**
 * Processes logging files of one directory at the same moment all keep their `.gitignore`
 * line (each read-modify-write of a `.gitignore` holds `<file>.lock`), and every `.dvc`
 * file is staged: no data file shows up untracked afterwards. The children run the
 * TypeScript sources directly (type stripping plus the `.js` → `.ts` resolve hook of the
 * cache kill test), so no build is needed.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cmfProject } from '../helpers/cmf-project.js';

const ROOT = resolve(import.meta.dirname, '../..');
const HOOK = join(ROOT, 'test', 'fixtures', 'cache', 'ts-resolve.mjs');
const PROCESSES = 12;

// Opens the MLMD file and creates its execution, says so, and logs its file when told to
// (on stdin), so that all the .gitignore updates happen at once.
const WORKER = `
import { createInterface } from 'node:readline';
const [src, dir, i] = process.argv.slice(2);
const { Cmf } = await import(src);
const cmf = await Cmf.open({ cwd: dir, pipelineName: 'P', busyTimeoutMs: 120000 });
await cmf.createExecution('run-' + i);
process.stdout.write('ready\\n');
for await (const _ of createInterface({ input: process.stdin })) break;
await cmf.logDataset('data/r' + i + '.txt', 'output');
await cmf.close();
`;

function start(worker: string, dir: string, i: number) {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      pathToFileURL(HOOK).href,
      worker,
      pathToFileURL(join(ROOT, 'src', 'index.ts')).href,
      dir,
      String(i),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = new Promise<void>((done, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) done();
    });
    child.on('exit', () => fail(new Error(`worker ${i} exited early: ${stderr}`)));
  });
  const exited = new Promise<{ code: number | null; stderr: string }>((done) =>
    child.on('exit', (code) => done({ code, stderr })),
  );
  return { child, ready, exited };
}

describe('processes logging into one directory at once', () => {
  it('keep every .gitignore line and stage every .dvc file', async () => {
    const p = await cmfProject();
    mkdirSync(join(p.dir, 'data'));
    for (let i = 0; i < PROCESSES; i++) writeFileSync(join(p.dir, 'data', `r${i}.txt`), `${i}\n`);
    const worker = join(p.dir, '..', 'worker.mjs');
    writeFileSync(worker, WORKER);

    const workers = Array.from({ length: PROCESSES }, (_, i) => start(worker, p.dir, i));
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.child.stdin!.end('go\n');
    const results = await Promise.all(workers.map((w) => w.exited));
    for (const r of results) expect(r.code, r.stderr).toBe(0);

    const lines = readFileSync(join(p.dir, 'data', '.gitignore'), 'utf8').split('\n');
    expect(lines.filter(Boolean).sort()).toEqual(
      Array.from({ length: PROCESSES }, (_, i) => `/r${i}.txt`).sort(),
    );
    expect(readdirSync(join(p.dir, 'data')).filter((f) => f.endsWith('.lock'))).toEqual([]);
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], {
      cwd: p.dir,
      encoding: 'utf8',
    }).split('\n');
    expect(status.filter((l) => /^\?\? data\/r\d+\.txt$/.test(l))).toEqual([]);
    for (let i = 0; i < PROCESSES; i++) expect(status).toContain(`A  data/r${i}.txt.dvc`);
  }, 180_000);
});
