import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLockFile, parsePipelineFile, planIngest } from '../../../src/ingest/index.js';
import { tempDir } from '../../helpers/tmp.js';

const H = (c: string) => c.repeat(32);

describe('planIngest', () => {
  it('orders producers before consumers, resolves wdir, and tells DVC-versioned files from the rest', async () => {
    const root = await tempDir();
    // raw/ is tracked by raw.dvc (a directory added with `dvc add`).
    mkdirSync(join(root, 'raw'));
    writeFileSync(join(root, 'raw.dvc'), 'outs:\n- md5: x\n  path: raw\n');
    const lock = parseLockFile(`schema: '2.0'
stages:
  report:
    cmd: python report.py
    deps:
    - path: ../out/model/weights.bin
      hash: md5
      md5: ${H('a')}
    - path: report.py
      hash: md5
      md5: ${H('b')}
    outs:
    - path: summary.json
      hash: md5
      md5: ${H('c')}
    - path: report.html
      hash: md5
      md5: ${H('d')}
  train:
    cmd: python train.py
    deps:
    - path: raw/part-1.csv
      hash: md5
      md5: ${H('e')}
    - path: notes.txt
    outs:
    - path: out/model/
      hash: md5
      md5: ${H('f')}.dir
      size: 10
      nfiles: 1
`);
    const yaml = parsePipelineFile(`stages:
  report:
    cmd: python report.py
    wdir: reports
    deps: [../out/model/weights.bin, report.py]
    metrics:
    - summary.json:
        cache: false
    outs: [report.html]
  train:
    cmd: python train.py
    outs: [out/model/]
`);
    const plan = planIngest(root, lock, yaml);
    expect(plan.stages.map((s) => s.name)).toEqual(['train', 'report']);
    const [train, report] = plan.stages;
    expect(train!.deps).toEqual([
      {
        path: 'raw/part-1.csv',
        oid: H('e'),
        versioned: true,
        push: true,
        legacy: false,
        current: true,
      },
      { path: 'notes.txt', versioned: false, push: false, legacy: true, current: false },
    ]);
    expect(train!.outs).toEqual([
      {
        path: 'out/model',
        oid: `${H('f')}.dir`,
        size: 10,
        nfiles: 1,
        versioned: true,
        push: true,
        legacy: false,
        current: true,
      },
    ]);
    expect(report!.deps.map((d) => [d.path, d.versioned])).toEqual([
      ['out/model/weights.bin', true],
      ['reports/report.py', false],
    ]);
    expect(report!.outs.map((d) => [d.path, d.versioned])).toEqual([
      ['reports/summary.json', false],
      ['reports/report.html', true],
    ]);
    expect(plan.warnings).toEqual([
      'stage train: dep notes.txt has no hash in dvc.lock (DVC does not track it); recorded without a version',
    ]);
  });

  it('without dvc.yaml, paths are relative to the project root and every out is versioned', async () => {
    const root = await tempDir();
    const lock = parseLockFile(
      `a:\n  cmd: x\n  outs:\n  - path: ./o/../out.bin\n    md5: ${H('1')}\n`,
    );
    const plan = planIngest(root, lock, undefined);
    expect(plan.stages[0]!.outs).toEqual([
      { path: 'out.bin', oid: H('1'), versioned: true, push: true, legacy: true, current: true },
    ]);
    // Legacy entries need no warning: their urls name the legacy layout push and pull use.
    expect(plan.warnings).toEqual([]);
  });

  it('marks the version dvc.lock names for each path: outs over deps behind them, deps that agree, a content once per stage', async () => {
    const root = await tempDir();
    const e = (path: string, c: string) => `    - path: ${path}\n      md5: ${H(c)}\n`;
    const lock = parseLockFile(`train:
  cmd: train
  outs:
${e('model.bin', '2')}${e('copy.bin', '2')}eval:
  cmd: eval
  deps:
${e('model.bin', '1')}${e('data.csv', '3')}${e('conf.txt', '4')}report:
  cmd: report
  deps:
${e('data.csv', '3')}${e('conf.txt', '5')}`);
    const plan = planIngest(root, lock, undefined);
    const current = Object.fromEntries(
      plan.stages.map((s) => [
        s.name,
        [...s.deps, ...s.outs].map((f) => `${f.path} ${String(f.current)}`),
      ]),
    );
    expect(current).toEqual({
      // copy.bin: the same content as model.bin, recorded once for the stage (under model.bin).
      train: ['model.bin true', 'copy.bin false'],
      // eval ran before train's last run: its model.bin is behind; conf.txt's deps disagree.
      eval: ['model.bin false', 'data.csv true', 'conf.txt false'],
      report: ['data.csv true', 'conf.txt false'],
    });
  });

  it('warns of dvc.yaml stages never run (no lock entry) and of lock entries whose command dvc.yaml changed', async () => {
    const root = await tempDir();
    const lock = parseLockFile(`schema: '2.0'
stages:
  same:
    cmd: python same.py
  list:
    cmd: [prep, run]
  changed:
    cmd: python old.py
  gen@1:
    cmd: gen 1
`);
    const yaml = parsePipelineFile(`vars:
- script: old
stages:
  same:
    cmd: python same.py
  list:
    cmd:
    - prep
    - run
  changed:
    cmd: python \${script}-new.py
  never:
    cmd: python never.py
  gen:
    foreach: [1, 2]
    do:
      cmd: gen \${item}
  unknown:
    foreach: \${from_file}
    do:
      cmd: x
`);
    expect(planIngest(root, lock, yaml).warnings).toEqual([
      "dvc.yaml defines 2 stages that dvc.lock does not hold (never run; 'dvc repro' runs them), not recorded: never, gen@2",
      "dvc.yaml changed the command of a stage since dvc.lock was written (DVC reruns them on 'dvc repro'); recorded with the command dvc.lock holds: changed",
    ]);
  });

  it('skips lock stages dvc.yaml no longer defines (DVC ignores them), naming them in one warning', async () => {
    const root = await tempDir();
    const lock = parseLockFile(`schema: '2.0'
stages:
  gone:
    cmd: x
    outs:
    - path: ../../elsewhere/out.bin
      md5: ${H('1')}
  kept:
    cmd: y
  loop@old:
    cmd: z
  loop@new:
    cmd: z
`);
    const yaml = parsePipelineFile(`stages:
  kept:
    cmd: y
  loop:
    foreach: [new]
    do:
      cmd: z
      wdir: sub
`);
    const plan = planIngest(root, lock, yaml);
    expect(plan.stages.map((s) => s.name)).toEqual(['kept', 'loop@new']);
    expect(plan.warnings).toEqual([
      "dvc.lock holds stages that dvc.yaml no longer defines, skipped as DVC skips them: gone, loop@old ('dvc remove' drops them from dvc.lock)",
    ]);
  });

  it('every warning of resolving dvc.yaml reaches the plan, in stage order', async () => {
    const root = await tempDir();
    const lock = parseLockFile(`schema: '2.0'
stages:
  a:
    cmd: x
  b:
    cmd: y
`);
    const yaml = parsePipelineFile(`vars: [other.yaml]
stages:
  a:
    cmd: x
    wdir: \${nowhere}
  b:
    cmd: y
    wdir: \${elsewhere}
`);
    expect(planIngest(root, lock, yaml).warnings).toEqual([
      'dvc.yaml: vars other.yaml not read (no such file: dvc repro fails on it); references to its values match any path',
      'stage a: cannot resolve wdir ${nowhere}; paths are taken relative to dvc.yaml',
      'stage b: cannot resolve wdir ${elsewhere}; paths are taken relative to dvc.yaml',
    ]);
  });

  it('push: false outs (and deps inside them) are versioned but not pushed; remote: is warned about', async () => {
    const root = await tempDir();
    const lock = parseLockFile(`schema: '2.0'
stages:
  make:
    cmd: x
    outs:
    - path: big
      hash: md5
      md5: ${H('a')}.dir
    - path: side.bin
      hash: md5
      md5: ${H('b')}
  use:
    cmd: y
    deps:
    - path: big/part.bin
      hash: md5
      md5: ${H('c')}
    - path: side.bin
      hash: md5
      md5: ${H('b')}
`);
    const yaml = parsePipelineFile(`stages:
  make:
    cmd: x
    outs:
    - big:
        push: false
    - side.bin:
        remote: archive
  use:
    cmd: y
`);
    const plan = planIngest(root, lock, yaml);
    const [make, use] = plan.stages;
    expect(make!.outs.map((o) => [o.path, o.versioned, o.push])).toEqual([
      ['big', true, false],
      ['side.bin', true, true],
    ]);
    expect(use!.deps.map((o) => [o.path, o.versioned, o.push])).toEqual([
      ['big/part.bin', true, false],
      ['side.bin', true, true],
    ]);
    expect(plan.warnings).toEqual([
      "stage make: out side.bin names remote 'archive' in dvc.yaml; cmf records it on the default remote, and 'cmf artifact push' and 'pull' use that one",
    ]);
  });

  it('warns of files of one stage with the same content: MLMD records that content once per execution', async () => {
    const root = await tempDir();
    const lock = parseLockFile(`schema: '2.0'
stages:
  copy:
    cmd: cp a b
    deps:
    - path: a
      hash: md5
      md5: ${H('1')}
    outs:
    - path: b
      hash: md5
      md5: ${H('1')}
    - path: c
      hash: md5
      md5: ${H('2')}
`);
    expect(planIngest(root, lock, undefined).warnings).toEqual([
      "stage copy: b has the same content as a; cmf records that content once per stage, under a, and 'cmf artifact pull' restores only that path",
    ]);
  });
});
