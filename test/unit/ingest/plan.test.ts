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
      { path: 'raw/part-1.csv', oid: H('e'), versioned: true, legacy: false },
      { path: 'notes.txt', versioned: false, legacy: true },
    ]);
    expect(train!.outs).toEqual([
      {
        path: 'out/model',
        oid: `${H('f')}.dir`,
        size: 10,
        nfiles: 1,
        versioned: true,
        legacy: false,
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
    const withYaml = planIngest(root, lock, parsePipelineFile('stages:\n  b:\n    cmd: y\n'));
    expect(withYaml.warnings[0]).toBe(
      'stage a is not defined in dvc.yaml; its paths are taken relative to the project root',
    );
    expect(plan.stages[0]!.outs).toEqual([
      { path: 'out.bin', oid: H('1'), versioned: true, legacy: true },
    ]);
    // Legacy entries need no warning: their urls name the legacy layout push and pull use.
    expect(plan.warnings).toEqual([]);
  });
});
