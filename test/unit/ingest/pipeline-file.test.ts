import { describe, expect, it } from 'vitest';
import { CmfError } from '../../../src/errors/index.js';
import { paramProperties, parsePipelineFile } from '../../../src/ingest/index.js';
import { doubleValue, intValue, stringValue } from '../../../src/mlmd/index.js';

describe('parsePipelineFile: wdir and cache: false per lock stage name', () => {
  it('plain stages: wdir, and outs, metrics and plots declared cache: false', () => {
    const p = parsePipelineFile(`stages:
  train:
    cmd: python train.py
    wdir: sub
    outs:
    - model.pkl
    - cache.bin:
        cache: false
    metrics:
    - scores.json:
        cache: false
    plots:
    - roc.csv:
        cache: false
        x: fpr
    - loss.csv
`);
    const s = p.stage('train')!;
    expect(s.wdir).toBe('sub');
    expect(['cache.bin', 'scores.json', './roc.csv'].map((x) => s.uncached(x))).toEqual([
      true,
      true,
      true,
    ]);
    expect(['model.pkl', 'loss.csv', 'other'].map((x) => s.uncached(x))).toEqual([
      false,
      false,
      false,
    ]);
    expect(p.stage('nope')).toBeUndefined();
    expect(p.stage('train@1')).toBeUndefined();
  });

  it('foreach over scalars, over dicts (keys) and over mappings (index); ${item…} and ${key} substituted', () => {
    const p = parsePipelineFile(`stages:
  a:
    foreach: [us, 1, 2.0, true]
    do:
      cmd: echo \${item}
      wdir: w-\${item}
      outs:
      - out-\${item}.json:
          cache: false
  b:
    foreach:
      small: {n: 1}
      big: {n: 9}
    do:
      cmd: echo \${key}
      outs:
      - \${key}/\${item.n}.bin:
          cache: false
  c:
    foreach:
    - {x: p}
    - {x: q}
    do:
      cmd: echo \${item.x}
      wdir: \${item.x}
`);
    expect(['us', '1', '2.0', 'true'].map((k) => p.stage(`a@${k}`)!.wdir)).toEqual([
      'w-us',
      'w-1',
      'w-2.0',
      'w-true',
    ]);
    expect(p.stage('a@us')!.uncached('out-us.json')).toBe(true);
    expect(p.stage('a@us')!.uncached('out-1.json')).toBe(false);
    expect(p.stage('b@big')!.uncached('big/9.bin')).toBe(true);
    expect(p.stage('b@big')!.uncached('small/1.bin')).toBe(false);
    expect(p.stage('c@1')!.wdir).toBe('q');
    expect(p.warnings).toEqual([]);
  });

  it('matrix names: values, and <var><index> for mappings', () => {
    const p = parsePipelineFile(`stages:
  train:
    matrix:
      lr: [0.1, 0.01]
      cfg:
      - {bs: 32}
      - {bs: 64}
    cmd: python train.py
    outs:
    - m-\${item.lr}-\${item.cfg.bs}.json:
        cache: false
`);
    expect(p.stage('train@0.01-cfg1')!.uncached('m-0.01-64.json')).toBe(true);
    expect(p.stage('train@0.01-cfg1')!.uncached('m-0.1-64.json')).toBe(false);
    expect(p.stage('train@0.1-cfg0')!.uncached('m-0.1-32.json')).toBe(true);
  });

  it('vars inline and from params.yaml; a reference it cannot resolve matches as a wildcard', () => {
    const p = parsePipelineFile(
      `vars:
- out_dir: results
- other.yaml
stages:
  s:
    cmd: x
    wdir: \${out_dir}
    metrics:
    - \${prefix}-\${from_file}.json:
        cache: false
  t:
    cmd: y
    wdir: \${nowhere}
`,
      'dvc.yaml',
      { prefix: 'p' },
    );
    expect(p.stage('s')!.wdir).toBe('results');
    expect(p.stage('s')!.uncached('p-anything.json')).toBe(true);
    expect(p.stage('s')!.uncached('q-anything.json')).toBe(false);
    expect(p.stage('t')!.wdir).toBe('.');
    expect(p.warnings).toEqual([
      'stage t: cannot resolve wdir ${nowhere}; paths are taken relative to dvc.yaml',
    ]);
  });

  it('YAML errors name dvc.yaml and the line; an empty file has no stages', () => {
    let err: unknown;
    try {
      parsePipelineFile('stages:\n  a:\n    cmd: "unterminated\n');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CmfError);
    expect((err as CmfError).message).toMatch(/^dvc\.yaml:\d+: not valid YAML/);
    expect(parsePipelineFile('').stage('a')).toBeUndefined();
    expect(() => parsePipelineFile('stages: [a]\n')).toThrow(/dvc\.yaml:1: "stages" must map/);
  });
});

describe('paramProperties', () => {
  it('keeps types: ints, doubles (also 1.0), strings, booleans as 0/1; other files are prefixed; nested maps flatten', () => {
    expect(
      paramProperties({
        'params.yaml': {
          'train.epochs': 10n,
          'train.lr': 0.01,
          scale: 1,
          name: 'rf',
          flag: true,
          train: { depth: 3n, sub: { a: 'x' } },
          list: [1n, 'b'],
          nothing: null,
          huge: 2n ** 70n,
          inf: Infinity,
        },
        'conf/other.json': { lr: 0.5 },
      }),
    ).toEqual({
      'train.epochs': intValue(10n),
      'train.lr': doubleValue(0.01),
      scale: doubleValue(1),
      name: stringValue('rf'),
      flag: intValue(1),
      'train.depth': intValue(3n),
      'train.sub.a': stringValue('x'),
      list: stringValue('[1,"b"]'),
      nothing: stringValue('null'),
      huge: stringValue(String(2n ** 70n)),
      inf: stringValue('Infinity'),
      'conf/other.json:lr': doubleValue(0.5),
    });
  });
});
