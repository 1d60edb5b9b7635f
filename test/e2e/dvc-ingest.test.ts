/**
 * cmf dvc ingest through the built binary, on a DVC project built by code and configured
 * with `cmf init local`: JSON and text summaries, the listings and export of the ingested
 * pipeline, push to a local remote, and errors with their exit codes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles } from '../helpers/artifact-project.js';
import { isolatedEnv, runCmf, runCmfOrKill } from '../helpers/cli.js';
import {
  cachedEntry,
  dvcPipelineProject,
  hashedEntry,
  lockText,
  writeFiles,
  type DvcPipelineProject,
} from '../helpers/dvc-pipeline.js';
import { fill, mountSmallTmpfs } from '../helpers/full-fs.js';
import { LocalCache } from '../../src/hashing/index.js';
import { Cmf } from '../../src/index.js';

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
    // Spaces around -p are dropped, as by every other command (' One ' was a new pipeline).
    const spaced = await cmf(['dvc', 'ingest', '-p', ' One '], dir);
    expect(spaced.stdout).toBe('Nothing to do: One already holds the 1 stage of dvc.lock\n');
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

  it('a FIFO where dvc.lock, dvc.yaml or params.yaml should be: exit 5 naming it, no hang', async () => {
    const dir = join(root, 'fifo');
    mkdirSync(join(dir, '.dvc'), { recursive: true });
    writeFileSync(
      join(dir, '.dvc/config'),
      `[core]\n    remote = r\n['remote "r"']\n    url = ${p.remote}\n`,
    );
    const lock = "schema: '2.0'\nstages:\n  s:\n    cmd: echo\n";
    for (const name of ['dvc.lock', 'dvc.yaml', 'params.yaml']) {
      for (const f of ['dvc.lock', 'dvc.yaml', 'params.yaml'])
        rmSync(join(dir, f), { force: true });
      if (name !== 'dvc.lock') writeFileSync(join(dir, 'dvc.lock'), lock);
      if (name === 'params.yaml')
        writeFileSync(join(dir, 'dvc.yaml'), 'stages:\n  s:\n    cmd: echo\n');
      execFileSync('mkfifo', [join(dir, name)]);
      const r = await runCmfOrKill(['dvc', 'ingest'], { cwd: dir, env });
      expect(r.code, `${name}: ${r.stderr}`).toBe(5);
      expect(r.stderr).toContain(`${join(dir, name)} is a FIFO (named pipe), not a regular file`);
    }
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

describe('cmf dvc ingest: what dvc.yaml says', () => {
  const URL = 'https://github.com/example/small.git';

  /** An empty project after `cmf init local`, with its own remote. */
  async function initProject(name: string) {
    const dir = join(root, name);
    const remote = join(root, `${name}-remote`);
    mkdirSync(dir);
    mkdirSync(remote);
    const init = await cmf(['init', 'local', '--path', remote, '--git-remote-url', URL], dir);
    expect(init.code).toBe(0);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
    git('config', 'user.name', 'Test');
    git('config', 'user.email', 'test@example.com');
    return { dir, remote, cache: new LocalCache(join(dir, '.dvc', 'cache')) };
  }

  const ingestJson = async (dir: string) => {
    const r = await cmf(['dvc', 'ingest', '-p', 'P', '--json'], dir);
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as {
      warnings: string[];
      stageResults: Array<{ stage: string }>;
      lockFiles: string[];
    };
  };
  const artifactNames = async (dir: string) => {
    const r = await cmf(['artifact', 'list', '-p', 'P', '--json'], dir);
    return (JSON.parse(r.stdout) as Array<{ name: string }>).map((a) => a.name.split(':')[0]);
  };

  it('float foreach items name stages as DVC does (train@1e-05), so their wdir is found', async () => {
    const { dir, cache, remote } = await initProject('floats');
    writeFiles(dir, { 'exp_0.1/model.pkl': 'model a\n', 'exp_1e-05/model.pkl': 'model b\n' });
    writeFileSync(
      join(dir, 'dvc.yaml'),
      'stages:\n  train:\n    foreach: [0.1, 0.00001]\n    do:\n      wdir: exp_${item}\n      cmd: python ../train.py --lr ${item}\n      outs:\n      - model.pkl\n',
    );
    const stage = async (key: string) => ({
      cmd: `python ../train.py --lr ${key}`,
      deps: [],
      outs: [await cachedEntry(dir, cache, `exp_${key}/model.pkl`, 'model.pkl')],
    });
    writeFileSync(
      join(dir, 'dvc.lock'),
      lockText({ 'train@0.1': await stage('0.1'), 'train@1e-05': await stage('1e-05') }, 'dvc3'),
    );
    const j = await ingestJson(dir);
    expect(j.warnings).toEqual([]);
    expect(j.stageResults.map((s) => s.stage)).toEqual(['train@0.1', 'train@1e-05']);
    expect((await artifactNames(dir)).sort()).toEqual(['exp_0.1/model.pkl', 'exp_1e-05/model.pkl']);
    expect((await cmf(['artifact', 'push', '-p', 'P'], dir)).code).toBe(0);
    expect(listFiles(remote)).toHaveLength(2);
    rmSync(join(dir, '.dvc/cache'), { recursive: true });
    rmSync(join(dir, 'exp_1e-05/model.pkl'));
    const pull = await cmf(['artifact', 'pull', '-p', 'P'], dir);
    expect(pull.code).toBe(0);
    expect(readFileSync(join(dir, 'exp_1e-05/model.pkl'), 'utf8')).toBe('model b\n');
  });

  it("vars files (YAML, JSON with :keys, a stage's own in its wdir) give ${…} their values, from the dvc.yaml directory", async () => {
    const { dir, cache } = await initProject('varsfiles');
    writeFiles(dir, {
      'sub/params.yaml': 'name: model\n',
      'sub/paths.yaml': 'work: runs\nunused: x\n',
      'sub/conf.json': '{"train": {"ext": "bin", "keep": false}, "other": 1}',
      'sub/runs/local.yaml': 'tag: v2\n',
      'sub/runs/model-v2.bin': 'weights\n',
      'sub/dvc.yaml':
        'vars:\n- paths.yaml:work\n- conf.json:train\nstages:\n  train:\n    wdir: ${work}\n    vars:\n    - local.yaml\n    cmd: python train.py\n    outs:\n    - ${name}-${tag}.${train.ext}\n',
    });
    const out = await cachedEntry(dir, cache, 'sub/runs/model-v2.bin', 'model-v2.bin');
    writeFileSync(
      join(dir, 'sub/dvc.lock'),
      lockText({ train: { cmd: 'python train.py', deps: [], outs: [out] } }, 'dvc3'),
    );
    const j = await ingestJson(dir);
    expect(j.warnings).toEqual([]);
    expect(j.lockFiles).toEqual(['sub/dvc.lock']);
    expect(await artifactNames(dir)).toEqual(['sub/runs/model-v2.bin']);
  });

  it('warnings of resolving dvc.yaml reach stderr and --json', async () => {
    const { dir, cache } = await initProject('warn');
    writeFiles(dir, {
      'custom.toml': 'sub = "sub"\n',
      'sub/o.txt': 'x\n',
      'dvc.yaml':
        'vars:\n- custom.toml\nstages:\n  s:\n    wdir: ${sub}\n    cmd: echo x > o.txt\n    outs:\n    - o.txt\n',
    });
    const out = await cachedEntry(dir, cache, 'sub/o.txt', 'o.txt');
    writeFileSync(
      join(dir, 'dvc.lock'),
      lockText({ s: { cmd: 'echo x > o.txt', deps: [], outs: [out] } }, 'dvc3'),
    );
    const warnings = [
      'dvc.yaml: vars custom.toml not read (ingest reads YAML and JSON vars files, not TOML or Python ones); references to its values match any path',
      'stage s: cannot resolve wdir ${sub}; paths are taken relative to dvc.yaml',
    ];
    expect((await ingestJson(dir)).warnings).toEqual(warnings);
    rmSync(join(dir, 'mlmd'));
    const text = await cmf(['dvc', 'ingest', '-p', 'P'], dir);
    expect(text.code).toBe(0);
    expect(text.stderr).toBe(warnings.map((w) => `Warning: ${w}\n`).join(''));
  });

  it('lock stages dvc.yaml no longer defines are skipped with a warning, as DVC ignores them', async () => {
    const { dir, cache } = await initProject('stale');
    writeFiles(dir, {
      'out/kept.txt': 'kept\n',
      'dvc.yaml': 'stages:\n  kept:\n    cmd: make kept\n    outs:\n    - out/kept.txt\n',
    });
    const kept = await cachedEntry(dir, cache, 'out/kept.txt');
    const gone = { path: 'gone.bin', md5: 'f'.repeat(32), size: 3 };
    writeFileSync(
      join(dir, 'dvc.lock'),
      lockText(
        {
          // Deleted from dvc.yaml: one had `wdir: sub`, so its paths leave the project root.
          old: { cmd: 'python ../x.py', deps: [{ ...gone, path: '../x.py' }], outs: [] },
          kept: { cmd: 'make kept', deps: [], outs: [kept] },
          older: { cmd: 'make gone', deps: [], outs: [gone] },
        },
        'dvc3',
      ),
    );
    const r = await cmf(['dvc', 'ingest', '-p', 'P'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Ingested 1 stage into pipeline P:/);
    expect(r.stderr).toBe(
      "Warning: dvc.lock holds stages that dvc.yaml no longer defines, skipped as DVC skips them: old, older ('dvc remove' drops them from dvc.lock)\n",
    );
    expect(await artifactNames(dir)).toEqual(['out/kept.txt']);
    const push = await cmf(['artifact', 'push', '-p', 'P'], dir);
    expect(push.code).toBe(0);
  });

  it('push: false outs are not pushed; pull restores them from the cache and does not fail without them; remote: is warned about', async () => {
    const { dir, cache, remote } = await initProject('nopush');
    writeFiles(dir, {
      'big.bin': 'big, re-creatable\n',
      'small.bin': 'small\n',
      'side.bin': 'side\n',
      'dvc.yaml':
        'stages:\n  make:\n    cmd: make\n    outs:\n    - big.bin:\n        push: false\n    - small.bin\n    - side.bin:\n        remote: archive\n',
    });
    const outs = [
      await cachedEntry(dir, cache, 'big.bin'),
      await cachedEntry(dir, cache, 'small.bin'),
      await cachedEntry(dir, cache, 'side.bin'),
    ];
    writeFileSync(
      join(dir, 'dvc.lock'),
      lockText({ make: { cmd: 'make', deps: [], outs } }, 'dvc3'),
    );
    expect((await ingestJson(dir)).warnings).toEqual([
      "stage make: out side.bin names remote 'archive' in dvc.yaml; cmf records it on the default remote, and 'cmf artifact push' and 'pull' use that one",
    ]);
    const big = `big.bin:${outs[0]!.md5}`;
    const push = await cmf(['artifact', 'push', '-p', 'P', '--json'], dir);
    expect(push.code).toBe(0);
    expect(JSON.parse(push.stdout)).toMatchObject({ uploaded: 2, notPushed: [big], failed: [] });
    const key = (md5: string) => `files/md5/${md5.slice(0, 2)}/${md5.slice(2)}`;
    expect(listFiles(remote)).toEqual([key(outs[1]!.md5), key(outs[2]!.md5)].sort());
    const text = await cmf(['artifact', 'push', '-p', 'P'], dir);
    expect(text.stderr).toBe(`Not pushed (push: false in dvc.yaml): ${big}\n`);

    // The cache has it: pull checks it out.
    rmSync(join(dir, 'big.bin'));
    const fromCache = await cmf(['artifact', 'pull', '-p', 'P', '--json'], dir);
    expect(fromCache.code).toBe(0);
    expect(JSON.parse(fromCache.stdout)).toMatchObject({ failed: [], notPushed: [] });
    expect(readFileSync(join(dir, 'big.bin'), 'utf8')).toBe('big, re-creatable\n');

    // Neither the cache nor the remote has it: not restored, and no failure.
    rmSync(join(dir, '.dvc/cache'), { recursive: true });
    for (const f of ['big.bin', 'small.bin', 'side.bin']) rmSync(join(dir, f));
    const pull = await cmf(['artifact', 'pull', '-p', 'P', '--json'], dir);
    expect(pull.code).toBe(0);
    expect(JSON.parse(pull.stdout)).toMatchObject({ failed: [], notPushed: [big] });
    expect(existsSync(join(dir, 'big.bin'))).toBe(false);
    const textPull = await cmf(['artifact', 'pull', '-p', 'P'], dir);
    expect(textPull.code).toBe(0);
    expect(textPull.stderr).toBe(
      `Not restored (push: false in dvc.yaml, and neither the cache nor the remote has it): ${big}\n`,
    );
    expect(readFileSync(join(dir, 'small.bin'), 'utf8')).toBe('small\n');
    expect(readFileSync(join(dir, 'side.bin'), 'utf8')).toBe('side\n');
  });

  it('foreach: ${var} from params.yaml with a wdir per item, matrix ${var}, merge keys: each path recorded, pull restores each', async () => {
    const { dir, cache } = await initProject('paramfor');
    writeFiles(dir, {
      'params.yaml': 'datasets: [us, eu]\nmodels: [cnn, rnn]\nseeds: [1, 2]\n',
      'src/clean.py': 'print(1)\n',
      'runs/us/clean.csv': 'us\n',
      'runs/eu/clean.csv': 'eu\n',
      'models/cnn.bin': 'cnn\n',
      'models/rnn.bin': 'rnn\n',
      's1/out.txt': 'seed 1\n',
      'dvc.yaml': `stages:
  clean:
    foreach: \${datasets}
    do:
      wdir: runs/\${item}
      cmd: python ../../src/clean.py
      deps:
      - ../../src/clean.py
      outs:
      - clean.csv
  train:
    matrix:
      model: \${models}
    cmd: python train.py \${item.model}
    outs:
    - models/\${item.model}.bin:
        cache: false
  seed:
    foreach: \${seeds}
    do:
      <<: &in_dir
        wdir: s\${item}
      cmd: gen
      outs:
      - out.txt
`,
    });
    const code = await hashedEntry(dir, 'src/clean.py', '../../src/clean.py');
    const clean = async (d: string) => ({
      cmd: 'python ../../src/clean.py',
      deps: [code],
      outs: [await cachedEntry(dir, cache, `runs/${d}/clean.csv`, 'clean.csv')],
    });
    const train = async (m: string) => ({
      cmd: `python train.py ${m}`,
      deps: [],
      outs: [await hashedEntry(dir, `models/${m}.bin`)],
    });
    writeFileSync(
      join(dir, 'dvc.lock'),
      lockText(
        {
          'clean@us': await clean('us'),
          'clean@eu': await clean('eu'),
          'train@cnn': await train('cnn'),
          'train@rnn': await train('rnn'),
          'seed@1': {
            cmd: 'gen',
            deps: [],
            outs: [await cachedEntry(dir, cache, 's1/out.txt', 'out.txt')],
          },
        },
        'dvc3',
      ),
    );
    const j = await ingestJson(dir);
    // Items of params.yaml keep their YAML type: seed@2, not seed@2.0.
    expect(j.warnings).toEqual([
      "dvc.yaml defines a stage that dvc.lock does not hold (never run; 'dvc repro' runs them), not recorded: seed@2",
    ]);
    expect((await artifactNames(dir)).sort()).toEqual([
      'models/cnn.bin',
      'models/rnn.bin',
      'runs/eu/clean.csv',
      'runs/us/clean.csv',
      's1/out.txt',
      'src/clean.py',
    ]);
    const r = await cmf(['artifact', 'push', '-p', 'P', '--json'], dir);
    // The two clean.csv and out.txt; code and cache: false outs stay home.
    expect(JSON.parse(r.stdout)).toMatchObject({ uploaded: 3, failed: [] });
    rmSync(join(dir, '.dvc/cache'), { recursive: true });
    rmSync(join(dir, 'runs'), { recursive: true });
    expect((await cmf(['artifact', 'pull', '-p', 'P'], dir)).code).toBe(0);
    expect(readFileSync(join(dir, 'runs/us/clean.csv'), 'utf8')).toBe('us\n');
    expect(readFileSync(join(dir, 'runs/eu/clean.csv'), 'utf8')).toBe('eu\n');
  });

  it('dvc.yaml files in sub-directories are ingested too (stages named sub/dvc.yaml:name), so their outs are pushed', async () => {
    const { dir, cache, remote } = await initProject('subdirs');
    writeFiles(dir, {
      'src/clean.py': 'print(1)\n',
      'sub/in.csv': 'raw\n',
      'sub/out/clean.csv': 'cleaned\n',
      'sub/params.yaml': 'name: clean\n',
      'report.txt': 'uses sub\n',
      'sub/dvc.yaml':
        'stages:\n  clean:\n    cmd: python ../src/clean.py ${name}\n    deps:\n    - in.csv\n    - ../src/clean.py\n    outs:\n    - out\n  later:\n    cmd: x\n',
      'dvc.yaml':
        'stages:\n  use_sub:\n    cmd: python report.py\n    deps:\n    - sub/out\n    outs:\n    - report.txt\n',
      // Not read, as DVC does not read them: ignored, and in a project of its own.
      '.dvcignore': '/ignored\n',
      '.gitignore': '/scratch\n',
      'scratch/dvc.yaml': 'stages: [broken\n',
      'ignored/dvc.yaml': 'stages: [broken\n',
      'nested/.dvc/config': '',
      'nested/dvc.yaml': 'stages: [broken\n',
    });
    const subOut = await cachedEntry(dir, cache, 'sub/out');
    writeFileSync(
      join(dir, 'sub/dvc.lock'),
      lockText(
        {
          clean: {
            cmd: 'python ../src/clean.py clean',
            deps: [
              await hashedEntry(dir, 'sub/in.csv', 'in.csv'),
              await hashedEntry(dir, 'src/clean.py', '../src/clean.py'),
            ],
            outs: [{ ...subOut, path: 'out' }],
          },
        },
        'dvc3',
      ),
    );
    writeFileSync(
      join(dir, 'dvc.lock'),
      lockText(
        {
          use_sub: {
            cmd: 'python report.py',
            deps: [subOut],
            outs: [await cachedEntry(dir, cache, 'report.txt')],
          },
        },
        'dvc3',
      ),
    );
    const j = await ingestJson(dir);
    expect(j.warnings).toEqual([
      "sub/dvc.yaml defines a stage that sub/dvc.lock does not hold (never run; 'dvc repro' runs them), not recorded: sub/dvc.yaml:later",
    ]);
    expect(j.stageResults.map((s) => s.stage)).toEqual(['sub/dvc.yaml:clean', 'use_sub']);
    // Both lock files are named: the stages are not all "of dvc.lock".
    expect(j.lockFiles).toEqual(['dvc.lock', 'sub/dvc.lock']);
    const again = await cmf(['dvc', 'ingest', '-p', 'P'], dir);
    expect(again.stdout).toBe(
      'Nothing to do: P already holds the 2 stages of dvc.lock and sub/dvc.lock\n',
    );
    expect((await artifactNames(dir)).sort()).toEqual([
      'report.txt',
      'src/clean.py',
      'sub/in.csv',
      'sub/out',
    ]);
    const push = await cmf(['artifact', 'push', '-p', 'P', '--json'], dir);
    expect(push.code).toBe(0);
    // sub/out (its manifest and one file) and report.txt: what dvc push sends.
    expect(JSON.parse(push.stdout)).toMatchObject({ uploaded: 3, failed: [] });
    expect(listFiles(remote)).toHaveLength(3);
    rmSync(join(dir, '.dvc/cache'), { recursive: true });
    rmSync(join(dir, 'sub/out'), { recursive: true });
    expect((await cmf(['artifact', 'pull', '-p', 'P'], dir)).code).toBe(0);
    expect(readFileSync(join(dir, 'sub/out/clean.csv'), 'utf8')).toBe('cleaned\n');
  });

  it('past three lock files, a second ingest counts them instead of naming them', async () => {
    const { dir } = await initProject('many-locks');
    for (const sub of ['', 'a/', 'b/', 'c/']) {
      const stage = { cmd: `echo ${sub || 'root'}`, deps: [], outs: [] };
      writeFiles(dir, {
        [`${sub}dvc.yaml`]: `stages:\n  s:\n    cmd: ${stage.cmd}\n`,
        [`${sub}dvc.lock`]: lockText({ s: stage }, 'dvc3'),
      });
    }
    const j = await ingestJson(dir);
    expect(j.lockFiles).toEqual(['dvc.lock', 'a/dvc.lock', 'b/dvc.lock', 'c/dvc.lock']);
    const again = await cmf(['dvc', 'ingest', '-p', 'P'], dir);
    expect(again.stdout).toBe('Nothing to do: P already holds the 4 stages of 4 dvc.lock files\n');
  });

  it('identical content at several paths: pull restores every path, and -a finds each', async () => {
    const { dir, cache } = await initProject('same');
    const files = {
      'out/a.txt': 'same\n',
      'out/b.txt': 'same\n',
      'out/empty1': '',
      'out/empty2': '',
    };
    writeFiles(dir, {
      ...files,
      'dvc.yaml':
        'stages:\n  s1:\n    cmd: gen a\n    outs:\n    - out/a.txt\n    - out/empty1\n  s2:\n    cmd: gen b\n    outs:\n    - out/b.txt\n    - out/empty2\n',
    });
    const e = (rel: string) => cachedEntry(dir, cache, rel);
    writeFileSync(
      join(dir, 'dvc.lock'),
      lockText(
        {
          s1: { cmd: 'gen a', deps: [], outs: [await e('out/a.txt'), await e('out/empty1')] },
          s2: { cmd: 'gen b', deps: [], outs: [await e('out/b.txt'), await e('out/empty2')] },
        },
        'dvc3',
      ),
    );
    await ingestJson(dir);
    expect((await cmf(['artifact', 'push', '-p', 'P'], dir)).code).toBe(0);
    const wipe = () => {
      rmSync(join(dir, '.dvc/cache'), { recursive: true, force: true });
      rmSync(join(dir, 'out'), { recursive: true, force: true });
    };
    wipe();
    const pull = await cmf(['artifact', 'pull', '-p', 'P', '--json'], dir);
    expect(pull.code).toBe(0);
    expect(JSON.parse(pull.stdout).checkedOut.sort()).toEqual(Object.keys(files).sort());
    for (const [f, text] of Object.entries(files))
      expect(readFileSync(join(dir, f), 'utf8')).toBe(text);

    wipe();
    const one = await cmf(['artifact', 'pull', '-p', 'P', '-a', 'out/b.txt', '--json'], dir);
    expect(one.code).toBe(0);
    expect(JSON.parse(one.stdout)).toMatchObject({ artifacts: 1, checkedOut: ['out/b.txt'] });
    expect(listFiles(join(dir, 'out'))).toEqual(['b.txt']);
    const byName = await cmf(['artifact', 'pull', '-p', 'P', '-a', 'empty2'], dir);
    expect(byName.code).toBe(0);
    expect(listFiles(join(dir, 'out'))).toEqual(['b.txt', 'empty2']);

    // list -a finds the one artifact by either path (it is named after the first).
    for (const wanted of ['out/a.txt', 'out/b.txt', './out/b.txt']) {
      const l = await cmf(['artifact', 'list', '-p', 'P', '-a', wanted, '--json'], dir);
      expect(l.code).toBe(0);
      expect(JSON.parse(l.stdout).map((r: { name: string }) => r.name)).toEqual([
        expect.stringMatching(/^out\/a\.txt:/),
      ]);
    }
  });

  it('the same for library-logged datasets: content logged at two paths is pulled at both', async () => {
    const { dir } = await initProject('lib');
    writeFiles(dir, { 'data/x.csv': 'a,b\n1,2\n', 'copy/x.csv': 'a,b\n1,2\n' });
    const lib = await Cmf.open({ cwd: dir, pipelineName: 'P' });
    for (const [stage, path] of [
      ['first', 'data/x.csv'],
      ['second', 'copy/x.csv'],
    ] as const) {
      await lib.createContext(stage);
      await lib.createExecution(stage);
      await lib.logDataset(path, 'output');
    }
    await lib.finalize();
    await lib.close();
    expect((await cmf(['artifact', 'push', '-p', 'P'], dir)).code).toBe(0);
    rmSync(join(dir, '.dvc/cache'), { recursive: true });
    rmSync(join(dir, 'data/x.csv'));
    rmSync(join(dir, 'copy/x.csv'));
    const one = await cmf(['artifact', 'pull', '-p', 'P', '-a', 'copy/x.csv'], dir);
    expect(one.code).toBe(0);
    expect(existsSync(join(dir, 'data/x.csv'))).toBe(false);
    const all = await cmf(['artifact', 'pull', '-p', 'P'], dir);
    expect(all.code).toBe(0);
    expect(readFileSync(join(dir, 'data/x.csv'), 'utf8')).toBe('a,b\n1,2\n');
    expect(readFileSync(join(dir, 'copy/x.csv'), 'utf8')).toBe('a,b\n1,2\n');
  });
});
