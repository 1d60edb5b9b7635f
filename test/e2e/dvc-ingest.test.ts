/**
 * cmf dvc ingest through the built binary, on a DVC project built by code and configured
 * with `cmf init local`: JSON and text summaries, the listings and export of the ingested
 * pipeline, push to a local remote, and errors with their exit codes.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles } from '../helpers/artifact-project.js';
import { isolatedEnv, runCmf } from '../helpers/cli.js';
import { fill, mountSmallTmpfs } from '../helpers/full-fs.js';
import { dvcPipelineProject, type DvcPipelineProject } from '../helpers/dvc-pipeline.js';

let root: string;
let p: DvcPipelineProject;
let env: Record<string, string>;
const cmf = (args: string[], cwd = p.dir) => runCmf(args, { cwd, env });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cmf-e2e-ingest-'));
  mkdirSync(join(root, 'home'));
  env = isolatedEnv(join(root, 'home'));
  p = await dvcPipelineProject(root);
  const init = await cmf([
    'init',
    'local',
    '--path',
    p.remote,
    '--git-remote-url',
    'https://github.com/example/dvc-project.git',
  ]);
  expect(init.code).toBe(0);
}, 60_000);

afterAll(() => rm(root, { recursive: true, force: true }));

describe('cmf dvc ingest', () => {
  it('records the pipeline (--json summary); a second run changes nothing', async () => {
    const r = await cmf(['dvc', 'ingest', '-p', 'Test-env', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      pipeline: 'Test-env',
      lockSchema: '2.0',
      changed: true,
      stages: { total: 6, created: 6 },
      executions: { created: 6, reused: 0, unchanged: 0 },
      artifacts: { created: 11, linked: 7, unchanged: 0 },
      warnings: [],
    });
    expect(j.stageResults.map((s: { stage: string }) => s.stage)).toEqual([
      'prepare',
      'featurize',
      'train@rf',
      'train@lr',
      'evaluate@rf-test',
      'evaluate@lr-test',
    ]);
    const mlmd = readFileSync(join(p.dir, 'mlmd'));

    // No -p: the file's only pipeline.
    const again = await cmf(['dvc', 'ingest']);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('');
    expect(again.stdout).toBe('Nothing to do: Test-env already holds the 6 stages of dvc.lock\n');
    expect(readFileSync(join(p.dir, 'mlmd')).equals(mlmd)).toBe(true);
  });

  it('the listings and the export show the ingested pipeline', async () => {
    const pipelines = await cmf(['pipeline', 'list']);
    expect(pipelines.stdout).toMatch(/Test-env/);
    const execs = await cmf(['execution', 'list', '-p', 'Test-env', '--json']);
    expect(execs.code).toBe(0);
    const rows = JSON.parse(execs.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((e) => e.Execution)).toEqual([
      'python src/prepare.py data/data.xml',
      'python src/featurize.py data/prepared data/features && echo done',
      'python src/train.py rf',
      'python src/train.py lr',
      'python ../src/evaluate.py rf test',
      'python ../src/evaluate.py lr test',
    ]);
    const arts = await cmf(['artifact', 'list', '-p', 'Test-env', '-a', 'data/prepared', '--json']);
    expect(arts.code).toBe(0);
    expect(arts.stdout).toMatch(/"name": "data\/prepared:[0-9a-f]{32}\.dir"/);
    const exp = await cmf(['metadata', 'export', '-p', 'Test-env', '-j', '-']);
    expect(exp.code).toBe(0);
    const doc = JSON.parse(exp.stdout) as { Pipeline: Array<{ stages: Array<{ name: string }> }> };
    expect(doc.Pipeline[0]!.stages.map((s) => s.name)).toContain('Test-env/evaluate@lr-test');
  });

  it('cmf artifact push then sends exactly the DVC-versioned files', async () => {
    const r = await cmf(['artifact', 'push', '-p', 'Test-env', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      failed: [],
      skipped: [],
      uploaded: p.pushedObjects.length,
    });
    expect(listFiles(p.remote)).toEqual(
      p.pushedObjects.map((o) => `files/md5/${o.slice(0, 2)}/${o.slice(2)}`).sort(),
    );
  });

  it('cmf artifact pull brings the outs back into an empty cache and workspace', async () => {
    const outs = [
      'data/prepared/train.tsv',
      'data/features/test.tsv',
      'models/rf.pkl',
      'data/data.xml',
    ];
    const before = outs.map((f) => readFileSync(join(p.dir, f)));
    rmSync(join(p.dir, '.dvc/cache'), { recursive: true, force: true });
    for (const d of ['data/prepared', 'data/features', 'models'])
      rmSync(join(p.dir, d), { recursive: true });
    rmSync(join(p.dir, 'data/data.xml'));
    const r = await cmf(['artifact', 'pull', '-p', 'Test-env']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    outs.forEach((f, i) => expect(readFileSync(join(p.dir, f)).equals(before[i]!)).toBe(true));
  });

  it('with the MLMD file in a sub-directory, paths are recorded from there and pull puts files back in place', async () => {
    mkdirSync(join(p.dir, 'runs'));
    const ingest = await cmf(['dvc', 'ingest', '-p', 'Sub', '-f', 'runs/mlmd', '--json']);
    expect(ingest.code).toBe(0);
    const list = await cmf(['artifact', 'list', '-p', 'Sub', '-f', 'runs/mlmd', '--json']);
    const names = (JSON.parse(list.stdout) as Array<{ name: string }>).map((a) => a.name);
    expect(names.some((n) => n.startsWith('../models/rf.pkl:'))).toBe(true);
    const before = readFileSync(join(p.dir, 'models/rf.pkl'));
    rmSync(join(p.dir, 'models/rf.pkl'));
    const r = await cmf(['artifact', 'pull', '-p', 'Sub', '-f', 'runs/mlmd', '-a', 'rf.pkl']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(p.dir, 'models/rf.pkl')).equals(before)).toBe(true);
    expect(listFiles(join(p.dir, 'runs'))).toEqual(['mlmd']);
  });

  it('text mode: a short summary on stdout, warnings on stderr', async () => {
    const lock = readFileSync(join(p.dir, 'dvc.lock'), 'utf8');
    try {
      writeFileSync(
        join(p.dir, 'dvc.lock'),
        lock.replace(
          '    params:\n      params.yaml:\n        prepare.seed',
          '    - path: data/extra.csv\n    params:\n      params.yaml:\n        prepare.seed',
        ),
      );
      const r = await cmf(['dvc', 'ingest']);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(
        'Ingested 6 stages into pipeline Test-env: executions 0 created, 1 reused, 5 unchanged; artifacts 1 created, 0 linked, 18 unchanged\n',
      );
      expect(r.stderr).toBe(
        'Warning: stage prepare: dep data/extra.csv has no hash in dvc.lock (DVC does not track it); recorded without a version\n',
      );
    } finally {
      writeFileSync(join(p.dir, 'dvc.lock'), lock);
    }
  });

  it('one stage is "1 stage", not "1 stages"', async () => {
    const dir = join(root, 'one-stage');
    mkdirSync(join(dir, '.dvc'), { recursive: true });
    writeFileSync(
      join(dir, '.dvc/config'),
      `[core]\n    remote = r\n['remote "r"']\n    url = ${p.remote}\n`,
    );
    writeFileSync(
      join(dir, 'dvc.lock'),
      "schema: '2.0'\nstages:\n  train:\n    cmd: echo hi\n    deps: []\n    outs: []\n",
    );
    const r = await cmf(['dvc', 'ingest', '-p', 'One'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Ingested 1 stage into pipeline One: executions 1 created,/);
    const again = await cmf(['dvc', 'ingest', '-p', 'One'], dir);
    expect(again.stdout).toBe('Nothing to do: One already holds the 1 stage of dvc.lock\n');
  });

  it('bad input: exit 5 with the line and a hint; no dvc.lock: exit 3; --json errors on stderr', async () => {
    const dir = join(root, 'bad');
    mkdirSync(join(dir, '.dvc'), { recursive: true });
    writeFileSync(
      join(dir, '.dvc/config'),
      `[core]\n    remote = r\n['remote "r"']\n    url = ${p.remote}\n`,
    );
    writeFileSync(join(dir, 'dvc.lock'), "schema: '2.0'\nstages:\n  train:\n    deps: []\n");
    const r = await cmf(['dvc', 'ingest'], dir);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Error: dvc\.lock:3: stage train has no "cmd"\nHint: /);
    const j = await cmf(['dvc', 'ingest', '--json'], dir);
    expect(j.code).toBe(5);
    expect(JSON.parse(j.stderr)).toMatchObject({
      status: 'error',
      error: { code: 'INGEST_LOCK_INVALID', exitCode: 5, data: { file: 'dvc.lock', line: 3 } },
    });
    rmSync(join(dir, 'dvc.lock'));
    const none = await cmf(['dvc', 'ingest'], dir);
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/^Error: No dvc\.lock in /);
    expect(listFiles(dir)).toEqual(['.dvc/config']);
  });

  it('(root) an MLMD file on a full file system: exit 1, MLMD_DISK_FULL with a hint, no empty file left', async (ctx) => {
    const full = join(root, 'full');
    const unmount = mountSmallTmpfs(full);
    if (!unmount) return ctx.skip();
    try {
      fill(full);
      const r = await cmf(['dvc', 'ingest', '-p', 'Full', '-f', join(full, 'mlmd'), '--json']);
      expect(r.code).toBe(1);
      const err = JSON.parse(r.stderr).error;
      expect(err).toMatchObject({ code: 'MLMD_DISK_FULL', exitCode: 1 });
      expect(err.hint).toMatch(/Free space on the file system holding/);
      expect(err.hint).not.toMatch(/bug in cmf/);
      expect(readdirSync(full)).toEqual(['filler']);
    } finally {
      unmount();
    }
  });
});
