import { describe, expect, it } from 'vitest';
import { CmfError } from '../../../src/errors/index.js';
import { paramProperties, parsePipelineFile } from '../../../src/ingest/index.js';
import { doubleValue, intValue, stringValue } from '../../../src/mlmd/index.js';
import type { StageDefinition, VarsFiles } from '../../../src/ingest/index.js';

/** Vars files by path (relative to the dvc.yaml's directory). */
const files = (texts: Record<string, string>): VarsFiles => ({ read: (p) => texts[p] });

const uncached = (s: StageDefinition, path: string) => !s.out(path).cache;

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
    expect(['cache.bin', 'scores.json', './roc.csv'].map((x) => uncached(s, x))).toEqual([
      true,
      true,
      true,
    ]);
    expect(['model.pkl', 'loss.csv', 'other'].map((x) => uncached(s, x))).toEqual([
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
    expect(uncached(p.stage('a@us')!, 'out-us.json')).toBe(true);
    expect(uncached(p.stage('a@us')!, 'out-1.json')).toBe(false);
    expect(uncached(p.stage('b@big')!, 'big/9.bin')).toBe(true);
    expect(uncached(p.stage('b@big')!, 'small/1.bin')).toBe(false);
    expect(p.stage('c@1')!.wdir).toBe('q');
    expect(['us', '1', '2.0', 'true'].flatMap((k) => p.stage(`a@${k}`)!.warnings)).toEqual([]);
  });

  it("names generated stages as DVC's to_str does: Python str() of floats, true/false, None; mapping keys too", () => {
    const p = parsePipelineFile(`stages:
  a:
    foreach: [0.1, 0.00001, 1e16, 3.0, -0.0, .nan, .inf, -.inf, null, false]
    do:
      cmd: x
      wdir: exp_\${item}
  b:
    foreach:
      0.00001: {n: 1}
      true: {n: 2}
      7: {n: 3}
    do:
      cmd: y
      wdir: \${key}-\${item.n}
  m:
    matrix:
      lr: [0.00001]
      on: [true]
    cmd: z
    wdir: \${item.lr}-\${item.on}
`);
    const keys = ['0.1', '1e-05', '1e+16', '3.0', '-0.0', 'nan', 'inf', '-inf', 'None', 'false'];
    expect(keys.map((k) => p.stage(`a@${k}`)?.wdir)).toEqual(keys.map((k) => `exp_${k}`));
    expect(p.stage('a@0.00001')).toBeUndefined();
    expect(['1e-05', 'true', '7'].map((k) => p.stage(`b@${k}`)?.wdir)).toEqual([
      '1e-05-1',
      'true-2',
      '7-3',
    ]);
    expect(p.stage('m@1e-05-true')?.wdir).toBe('1e-05-true');
  });

  it('a key its group no longer generates is not defined (a stale lock entry), unless the items hold references', () => {
    const p = parsePipelineFile(`stages:
  a:
    foreach: [x, y]
    do:
      cmd: echo
  b:
    foreach: \${models}
    do:
      cmd: echo
  c:
    foreach: ['x', '\${more}']
    do:
      cmd: echo
  m:
    matrix:
      k: [1, 2]
    cmd: echo
`);
    expect(p.stage('a@x')).toBeDefined();
    expect(p.stage('a@z')).toBeUndefined();
    expect(p.stage('m@3')).toBeUndefined();
    expect(p.stage('m@2')).toBeDefined();
    expect(p.stage('b@anything')).toBeDefined();
    expect(p.stage('c@anything')).toBeDefined();
  });

  it('out flags: cache, push and remote, defaults when an out declares none', () => {
    const p = parsePipelineFile(`stages:
  s:
    foreach: [r1]
    do:
      cmd: x
      outs:
      - big.bin:
          push: false
      - other.bin:
          remote: \${item}
      - plain.bin
      metrics:
      - m.json:
          cache: false
`);
    const s = p.stage('s@r1')!;
    expect(['big.bin', 'other.bin', 'plain.bin', 'm.json'].map((x) => s.out(x))).toEqual([
      { cache: true, push: false },
      { cache: true, push: true, remote: 'r1' },
      { cache: true, push: true },
      { cache: false, push: true },
    ]);
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
    expect(uncached(p.stage('train@0.01-cfg1')!, 'm-0.01-64.json')).toBe(true);
    expect(uncached(p.stage('train@0.01-cfg1')!, 'm-0.1-64.json')).toBe(false);
    expect(uncached(p.stage('train@0.1-cfg0')!, 'm-0.1-32.json')).toBe(true);
  });

  it('vars inline and from params.yaml; a reference it cannot resolve matches as a wildcard', () => {
    const p = parsePipelineFile(
      `vars:
- out_dir: results
- other.toml
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
      files({ 'params.yaml': 'prefix: p\n' }),
    );
    expect(p.stage('s')!.wdir).toBe('results');
    expect(uncached(p.stage('s')!, 'p-anything.json')).toBe(true);
    expect(uncached(p.stage('s')!, 'q-anything.json')).toBe(false);
    expect(p.stage('t')!.wdir).toBe('.');
    expect(p.warnings).toEqual([
      'dvc.yaml: vars other.toml not read (ingest reads YAML and JSON vars files, not TOML or Python ones); references to its values match any path',
    ]);
    expect(p.stage('s')!.warnings).toEqual([]);
    expect(p.stage('t')!.warnings).toEqual([
      'stage t: cannot resolve wdir ${nowhere}; paths are taken relative to dvc.yaml',
    ]);
  });

  it('foreach: ${var} and matrix ${var} are the list or mapping the variable holds (params.yaml or vars)', () => {
    const p = parsePipelineFile(
      `vars:
- sets: {us: {dir: u}, eu: {dir: e}}
stages:
  clean:
    foreach: \${datasets}
    do:
      wdir: runs/\${item}
      cmd: python ../../src/clean.py
  bykey:
    foreach: \${sets}
    do:
      wdir: \${item.dir}-\${key}
      cmd: x
  train:
    matrix:
      model: \${models}
      seed: ["\${seed}"]
    cmd: python train.py \${item.model}
    outs:
    - models/\${item.model}-\${item.seed}.bin:
        cache: false
`,
      'dvc.yaml',
      files({ 'params.yaml': 'datasets: [us, eu]\nmodels: [cnn, rnn]\nseed: 7\n' }),
    );
    expect(p.stage('clean@us')!.wdir).toBe('runs/us');
    expect(p.stage('clean@eu')!.wdir).toBe('runs/eu');
    // Resolved in full: a key the list does not hold is a stale lock entry.
    expect(p.stage('clean@asia')).toBeUndefined();
    expect(p.stage('bykey@eu')!.wdir).toBe('e-eu');
    expect(p.stage('train@rnn-7')!.warnings).toEqual([]);
    expect(uncached(p.stage('train@rnn-7')!, 'models/rnn-7.bin')).toBe(true);
    expect(uncached(p.stage('train@rnn-7')!, 'models/cnn-7.bin')).toBe(false);
    expect(p.stage('train@rnn-8')).toBeUndefined();
  });

  it('YAML merge keys (<<: *anchor) are applied, as DVC loads dvc.yaml', () => {
    const p = parsePipelineFile(`stages:
  a:
    <<: &base
      wdir: work
    cmd: python run.py a
  b:
    <<: *base
    cmd: python run.py b
    outs:
    - <<: &nocache
        b.txt:
          cache: false
`);
    expect(p.stage('a')!.wdir).toBe('work');
    expect(p.stage('b')!.wdir).toBe('work');
    expect(uncached(p.stage('b')!, 'b.txt')).toBe(true);
  });

  it("a stage's own inline vars are in its scope after wdir (as DVC resolves them); vars files are warned about", () => {
    const p = parsePipelineFile(
      `vars:
- conf: {dir: out}
stages:
  build:
    vars:
    - region: us
    - conf: {ext: bin}
    wdir: \${conf.dir}
    cmd: python build.py
    outs:
    - model-\${region}.\${conf.ext}:
        cache: false
  bad:
    vars:
    - region: eu
    wdir: out-\${region}
    cmd: x
  files:
    vars:
    - custom.yaml
    - region: eu
    cmd: x
    outs:
    - \${from_file}-\${region}.txt:
        cache: false
`,
    );
    const build = p.stage('build')!;
    expect(build.wdir).toBe('out');
    expect(build.warnings).toEqual([]);
    expect(uncached(build, 'model-us.bin')).toBe(true);
    expect(uncached(build, 'model-eu.bin')).toBe(false);
    expect(p.stage('bad')!.wdir).toBe('.');
    expect(p.stage('bad')!.warnings).toEqual([
      "stage bad: cannot resolve wdir out-${region} (it uses the stage's own vars, which DVC resolves after wdir: dvc repro fails on it); paths are taken relative to dvc.yaml",
    ]);
    const unread = p.stage('files')!;
    expect(unread.warnings).toEqual([
      'stage files: vars custom.yaml not read (no such file: dvc repro fails on it); references to its values match any path',
    ]);
    expect(uncached(unread, 'anything-eu.txt')).toBe(true);
    expect(uncached(unread, 'anything-us.txt')).toBe(false);
  });

  it('vars files: params.yaml first, then YAML and JSON files with :key selection, relative to dvc.yaml or the stage wdir', () => {
    const reads: string[] = [];
    const texts: Record<string, string> = {
      'params.yaml': 'base: data\ntrain: {lr: 0.1}\n',
      'custom.yaml': 'out_dir: results\nignored: x\n',
      'conf/params.json': '{"model": {"name": "cnn", "scale": 3.0}, "other": 1, "unused": 2}',
      'results/local.yml': 'suffix: v2\n',
    };
    const p = parsePipelineFile(
      `vars:
- params.yaml
- custom.yaml:out_dir
- conf/params.json:model,other
stages:
  train:
    wdir: \${out_dir}
    vars:
    - local.yml
    cmd: python train.py \${model.name} \${model.scale} \${train.lr} \${other}
    outs:
    - \${base}-\${model.name}-\${suffix}.bin:
        cache: false
  bad:
    vars:
    - custom.yaml:nope
    - settings.toml
    cmd: x
`,
      'dvc.yaml',
      { read: (path) => (reads.push(path), texts[path]) },
    );
    // params.yaml named again in full: loaded once, no conflict (as DVC skips it).
    expect(p.warnings).toEqual([]);
    const train = p.stage('train')!;
    expect(train.warnings).toEqual([]);
    expect(train.wdir).toBe('results');
    // JSON floats stay floats (`3.0`), as Python's json reads them.
    expect(train.cmd).toBe('python train.py cnn 3.0 0.1 1');
    expect(uncached(train, 'data-cnn-v2.bin')).toBe(true);
    expect(p.stage('bad')!.warnings).toEqual([
      'stage bad: vars custom.yaml:nope not read (custom.yaml has no nope: dvc repro fails on it); references to its values match any path',
      'stage bad: vars settings.toml not read (ingest reads YAML and JSON vars files, not TOML or Python ones); references to its values match any path',
    ]);
    // Each file is read once, however many stages use it.
    expect(reads.sort()).toEqual([
      'conf/params.json',
      'custom.yaml',
      'params.yaml',
      'results/local.yml',
    ]);
  });

  it('vars that redefine a value (DVC refuses them) are warned about, and the later value is used', () => {
    const p = parsePipelineFile(
      `vars:
- custom.yaml
- lr: 0.5
stages:
  s:
    vars:
    - conf: {dir: out, ext: bin}
    - custom.yaml
    cmd: python s.py \${lr} \${conf.dir}
  t:
    vars:
    - custom.yaml:conf
    cmd: y
`,
      'sub/dvc.yaml',
      files({ 'params.yaml': 'lr: 0.1\n', 'custom.yaml': 'conf: {dir: x}\n' }),
    );
    expect(p.warnings).toEqual([
      'sub/dvc.yaml: vars vars[1] redefines lr, which DVC refuses (dvc repro fails on it); its value is used',
    ]);
    const s = p.stage('s')!;
    expect(s.warnings).toEqual([
      'stage sub/dvc.yaml:s: vars vars[0] redefines conf.dir, which DVC refuses (dvc repro fails on it); its value is used',
    ]);
    expect(s.cmd).toBe('python s.py 0.5 out');
    expect(p.stage('t')!.warnings).toEqual([
      'stage sub/dvc.yaml:t: vars custom.yaml:conf not read (custom.yaml is loaded already, which DVC refuses: dvc repro fails on it); references to its values match any path',
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
