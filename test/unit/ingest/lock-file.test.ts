import { describe, expect, it } from 'vitest';
import { CmfError } from '../../../src/errors/index.js';
import { paramProperties, parseLockFile } from '../../../src/ingest/index.js';
import { doubleValue, intValue, stringValue } from '../../../src/mlmd/index.js';

const DIR_MD5 = '849835d274483dc683eb416d6e4f887d.dir';
const FILE_MD5 = '3b5d5c3712955042212316173ccf37be';

/** The error a parse throws (the test fails if it does not throw). */
function errorOf(text: string): CmfError {
  try {
    parseLockFile(text);
  } catch (err) {
    expect(err).toBeInstanceOf(CmfError);
    return err as CmfError;
  }
  throw new Error('expected parseLockFile to throw');
}

describe('parseLockFile: the layouts DVC writes', () => {
  it('reads a DVC 3 lock file: dir and file entries, params with their YAML types, list cmd', () => {
    const lock = parseLockFile(`schema: '2.0'
stages:
  train:
    cmd:
    - python train.py
    - echo done
    deps:
    - path: data
      hash: md5
      md5: ${DIR_MD5}
      size: 4
      nfiles: 2
    params:
      params.yaml:
        train.epochs: 10
        train.lr: 0.01
        train.scale: 3.0
    outs:
    - path: model.pkl
      hash: md5
      md5: ${FILE_MD5.toUpperCase()}
      size: 2
`);
    expect(lock.schema).toBe('2.0');
    expect(lock.stages).toHaveLength(1);
    const s = lock.stages[0]!;
    expect(s).toMatchObject({ name: 'train', cmd: 'python train.py && echo done', line: 3 });
    expect(s.deps).toEqual([
      { path: 'data', md5: DIR_MD5, size: 4, nfiles: 2, hashName: 'md5', line: 8 },
    ]);
    expect(s.outs).toEqual([
      { path: 'model.pkl', md5: FILE_MD5, size: 2, hashName: 'md5', line: 19 },
    ]);
    // ints stay ints (bigint), floats stay floats even when whole.
    expect(s.params).toEqual({
      'params.yaml': { 'train.epochs': 10n, 'train.lr': 0.01, 'train.scale': 3 },
    });
    expect(typeof s.params['params.yaml']!['train.scale']).toBe('number');
  });

  it('reads DVC 2 entries (no hash key) as legacy md5-dos2unix entries', () => {
    const lock = parseLockFile(`schema: '2.0'
stages:
  prepare:
    cmd: python prepare.py
    outs:
    - path: out
      md5: ${DIR_MD5}
      size: 10
      nfiles: 3
`);
    expect(lock.stages[0]!.outs[0]).toMatchObject({
      hashName: 'md5-dos2unix',
      md5: DIR_MD5,
      nfiles: 3,
    });
  });

  it('reads a DVC 1 lock file: no schema, stages at the top, entries without size', () => {
    const lock = parseLockFile(`prepare:
  cmd: python prepare.py
  deps:
  - path: data.xml
    md5: ${FILE_MD5}
  outs:
  - path: prepared
    md5: ${DIR_MD5}
train:
  cmd: python train.py
  deps:
  - path: prepared
    md5: ${DIR_MD5}
`);
    expect(lock.schema).toBe('1');
    expect(lock.stages.map((s) => s.name)).toEqual(['prepare', 'train']);
    expect(lock.stages[0]!.deps[0]).toEqual({
      path: 'data.xml',
      md5: FILE_MD5,
      hashName: 'md5-dos2unix',
      line: 4,
    });
    expect(lock.stages[1]!.outs).toEqual([]);
  });

  it('keeps foreach/matrix names, an all-digit md5 written unquoted, empty lists and no-hash deps', () => {
    const digits = '01234567890123456789012345678901';
    const lock = parseLockFile(`schema: '2.0'
stages:
  train@lr0.1-bs32:
    cmd: python train.py
    deps:
    - path: code.py
      hash: md5
      md5: ${digits}
    - path: missing.csv
    outs:
    params:
`);
    const s = lock.stages[0]!;
    expect(s.name).toBe('train@lr0.1-bs32');
    expect(s.deps[0]!.md5).toBe(digits);
    expect(s.deps[1]).toEqual({ path: 'missing.csv', hashName: 'md5-dos2unix', line: 9 });
    expect(s.outs).toEqual([]);
    expect(s.params).toEqual({});
  });

  it('params named __proto__ or constructor (files and keys) become execution properties of that name', () => {
    const lock = parseLockFile(`schema: '2.0'
stages:
  train:
    cmd: python train.py
    params:
      params.yaml:
        __proto__: 1
        constructor: 2
        toString:
          __proto__: x
      __proto__:
        lr: 0.5
`);
    const params = lock.stages[0]!.params;
    expect(Object.keys(params)).toEqual(['params.yaml', '__proto__']);
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
    const props = paramProperties(params);
    expect(Object.getPrototypeOf(props)).toBe(Object.prototype);
    expect(Object.entries(props)).toEqual([
      ['__proto__', intValue(1n)],
      ['constructor', intValue(2n)],
      ['toString.__proto__', stringValue('x')],
      ['__proto__:lr', doubleValue(0.5)],
    ]);
  });

  it('an empty stages mapping is a lock file with no stages', () => {
    expect(parseLockFile(`schema: '2.0'\nstages: {}\n`).stages).toEqual([]);
    expect(parseLockFile(`schema: '2.0'\n`).stages).toEqual([]);
  });
});

describe('parseLockFile: bad input is an error naming the line', () => {
  it('a YAML syntax error', () => {
    const e = errorOf(`schema: '2.0'\nstages:\n  train:\n    cmd: [python train.py\n    deps: x\n`);
    expect(e.code).toBe('INGEST_YAML_SYNTAX');
    expect(e.exitCode).toBe(5);
    expect(e.message).toMatch(/^dvc\.lock:\d+: not valid YAML/);
    expect(e.data).toMatchObject({ file: 'dvc.lock' });
    expect(typeof e.data!.line).toBe('number');
  });

  it('a duplicate key is a YAML error at its line', () => {
    const e = errorOf(`schema: '2.0'\nstages:\n  a:\n    cmd: x\n  a:\n    cmd: y\n`);
    expect(e.code).toBe('INGEST_YAML_SYNTAX');
    expect(e.data!.line).toBe(5);
  });

  it.each([
    [`schema: '3.0'\nstages: {}\n`, '"3.0"'],
    [`schema: 2.0\nstages: {}\n`, '2'],
    [`schema: '1.0'\nstages: {}\n`, '"1.0"'],
  ])('an unknown schema version: %j', (text, shown) => {
    const e = errorOf(text);
    expect(e.code).toBe('INGEST_LOCK_SCHEMA');
    expect(e.message).toBe(`dvc.lock:1: unknown dvc.lock schema version ${shown}`);
    expect(e.hint).toMatch(/2\.0/);
  });

  it.each([
    [
      'a stage without cmd',
      `schema: '2.0'\nstages:\n  train:\n    deps: []\n`,
      3,
      /stage train has no "cmd"/,
    ],
    [
      'an empty cmd',
      `schema: '2.0'\nstages:\n  train:\n    cmd: ''\n`,
      3,
      /stage train has no "cmd"/,
    ],
    [
      'a cmd of numbers',
      `schema: '2.0'\nstages:\n  train:\n    cmd: [1, 2]\n`,
      4,
      /"cmd" must be a command string/,
    ],
    [
      'a stage that is not a mapping',
      `schema: '2.0'\nstages:\n  train: python x\n`,
      3,
      /stage train must be a mapping/,
    ],
    ['stages that are a list', `schema: '2.0'\nstages:\n- train\n`, 3, /"stages" must map/],
    ['a document that is not a mapping', `- a\n- b\n`, 1, /expected a mapping/],
    ['an empty file', ``, undefined, /expected a mapping/],
    [
      'deps that are not a list',
      `schema: '2.0'\nstages:\n  t:\n    cmd: x\n    deps: data\n`,
      5,
      /deps must be a list/,
    ],
    [
      'an entry without path',
      `schema: '2.0'\nstages:\n  t:\n    cmd: x\n    outs:\n    - md5: ${FILE_MD5}\n`,
      6,
      /outs\[0\] has no "path"/,
    ],
    [
      'a path listed twice',
      `schema: '2.0'\nstages:\n  t:\n    cmd: x\n    outs:\n    - path: a\n    - path: a\n`,
      7,
      /lists a twice/,
    ],
    [
      'an md5 that is not one',
      `schema: '2.0'\nstages:\n  t:\n    cmd: x\n    deps:\n    - path: a\n      md5: xyz\n`,
      7,
      /md5 "xyz" is not an md5 hash/,
    ],
    [
      'another hash',
      `schema: '2.0'\nstages:\n  t:\n    cmd: x\n    deps:\n    - path: a\n      hash: sha256\n      md5: ${FILE_MD5}\n`,
      7,
      /hash "sha256" is not supported/,
    ],
    [
      'a negative size',
      `schema: '2.0'\nstages:\n  t:\n    cmd: x\n    deps:\n    - path: a\n      md5: ${FILE_MD5}\n      size: -1\n`,
      8,
      /size must be a non-negative integer/,
    ],
    [
      'nfiles as text',
      `schema: '2.0'\nstages:\n  t:\n    cmd: x\n    deps:\n    - path: a\n      md5: ${DIR_MD5}\n      nfiles: many\n`,
      8,
      /nfiles must be a non-negative integer/,
    ],
    [
      'params as a list',
      `schema: '2.0'\nstages:\n  t:\n    cmd: x\n    params:\n    - lr\n`,
      6,
      /"params" must map params files/,
    ],
    [
      'params of a file as a list',
      `schema: '2.0'\nstages:\n  t:\n    cmd: x\n    params:\n      params.yaml: [1]\n`,
      6,
      /params of params.yaml must be a mapping/,
    ],
    ['a NUL in a value', `schema: '2.0'\nstages:\n  t:\n    cmd: "a\\0b"\n`, 4, /NUL/],
  ])('%s', (_, text, line, message) => {
    const e = errorOf(text);
    expect(e.code).toBe('INGEST_LOCK_INVALID');
    expect(e.exitCode).toBe(5);
    expect(e.message).toMatch(message);
    expect(e.data!.line).toBe(line);
    if (line !== undefined) expect(e.message.startsWith(`dvc.lock:${line}: `)).toBe(true);
  });
});
