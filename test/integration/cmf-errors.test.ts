/**
 * Bad input gets a typed error and writes nothing (the MLMD file's bytes are compared
 * before and after); logging before createContext auto-creates a stage and an execution
 * named after the script.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Cmf,
  ConfigError,
  IntegrityError,
  NotFoundError,
  UsageError,
  type CmfError,
} from '../../src/index.js';
import { cmfProject } from '../helpers/cmf-project.js';
import { MlmdSql } from '../helpers/mlmd-sql.js';
import { failure } from '../helpers/failure.js';
import { tempDir } from '../helpers/tmp.js';

const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

const open: Cmf[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

async function openCmf(dir: string, extra: Parameters<typeof Cmf.open>[0] = {}): Promise<Cmf> {
  const cmf = await Cmf.open({ cwd: dir, pipelineName: 'P', ...extra });
  open.push(cmf);
  return cmf;
}

describe('bad input', () => {
  it('gives typed errors and leaves the MLMD file untouched', async () => {
    const p = await cmfProject();
    writeFileSync(join(p.dir, 'ok.csv'), 'a\n');
    mkdirSync(join(p.dir, 'elsewhere'));
    const cmf = await openCmf(p.dir);
    const mlmd = join(p.dir, 'mlmd');

    const cases: Array<[string, () => Promise<unknown>, new (...a: never[]) => CmfError, string]> =
      [
        [
          'missing path',
          () => cmf.logDataset('nope.csv', 'input'),
          NotFoundError,
          'CMF_PATH_NOT_FOUND',
        ],
        [
          'missing model',
          () => cmf.logModel('nope.pkl', 'output'),
          NotFoundError,
          'CMF_PATH_NOT_FOUND',
        ],
        ['bad event', () => cmf.logDataset('ok.csv', 'inout'), UsageError, 'CMF_BAD_EVENT'],
        ['bad model event', () => cmf.logModel('ok.csv', 'INPUTS'), UsageError, 'CMF_BAD_EVENT'],
        [
          'null property',
          () => cmf.logDataset('ok.csv', 'input', { a: null as never }),
          UsageError,
          'CMF_BAD_PROPERTY',
        ],
        [
          'object property',
          () => cmf.logDataset('ok.csv', 'input', { a: {} as never }),
          UsageError,
          'CMF_BAD_PROPERTY',
        ],
        [
          'NaN metric',
          () => cmf.logExecutionMetrics('m', { a: NaN }),
          UsageError,
          'CMF_BAD_PROPERTY',
        ],
        [
          'missing label',
          () => cmf.logDataset('ok.csv', 'input', {}, { label: 'nope.csv' }),
          NotFoundError,
          'CMF_PATH_NOT_FOUND',
        ],
        [
          'label of unlogged dataset',
          () => cmf.logLabel('ok.csv', 'ok.csv'),
          NotFoundError,
          'CMF_DATASET_NOT_LOGGED',
        ],
        ['commit without metrics', () => cmf.commitMetrics('none'), UsageError, 'CMF_NO_METRICS'],
        ['metrics name with slash', () => cmf.commitMetrics('a/b'), UsageError, 'CMF_BAD_NAME'],
        ['empty stage', () => cmf.createContext(''), UsageError, 'CMF_BAD_ARGUMENT'],
        [
          'unknown execution',
          () => cmf.updateExecution(999, { a: 1 }),
          NotFoundError,
          'CMF_EXECUTION_NOT_FOUND',
        ],
        ['finalize without execution', () => cmf.finalize(), UsageError, 'CMF_NO_EXECUTION'],
        [
          'empty dataslice',
          () => cmf.createDataslice('s').commit(),
          UsageError,
          'CMF_EMPTY_DATASLICE',
        ],
        [
          'dataslice of a missing file',
          () => cmf.createDataslice('s').addData('nope'),
          NotFoundError,
          'CMF_PATH_NOT_FOUND',
        ],
        [
          'uncommitted dataslice update',
          () => cmf.updateDataslice('s', 'ok.csv', { a: 1 }),
          NotFoundError,
          'CMF_DATASLICE_NOT_FOUND',
        ],
      ];
    const before = digest(mlmd);
    for (const [what, call, type, code] of cases) {
      const err = await failure(call());
      expect(err, what).toBeInstanceOf(type);
      expect(err.code, what).toBe(code);
      expect(digest(mlmd), what).toBe(before);
    }
    expect(() => cmf.logMetric('m', { a: undefined as never })).toThrow(UsageError);
    expect(existsSync(join(p.dir, 'nope.csv.dvc'))).toBe(false);
    // The same calls work once the input is right.
    await cmf.logDataset('ok.csv', 'input');
    expect(digest(mlmd)).not.toBe(before);
  });

  it('rejects an MLMD file of another schema version without changing it', async () => {
    const p = await cmfProject();
    (await openCmf(p.dir)).close();
    open.length = 0;
    const mlmd = join(p.dir, 'mlmd');
    const db = new Database(mlmd);
    db.exec('UPDATE MLMDEnv SET schema_version = 9');
    db.close();
    const before = digest(mlmd);
    const err = await failure(Cmf.open({ cwd: p.dir, pipelineName: 'P' }));
    expect(err).toBeInstanceOf(IntegrityError);
    expect(err.code).toMatch(/SCHEMA/);
    expect(digest(mlmd)).toBe(before);
  });

  it('fails clearly for graph: true, a missing remote or no git repository', async () => {
    const p = await cmfProject();
    const mlmd = join(p.dir, 'mlmd');
    let err = await failure(Cmf.open({ cwd: p.dir, graph: true }));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.code).toBe('CMF_GRAPH_UNSUPPORTED');
    expect(existsSync(mlmd)).toBe(false);

    writeFileSync(join(p.dir, '.dvc', 'config'), '[core]\n    autostage = false\n');
    err = await failure(Cmf.open({ cwd: p.dir }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.code).toBe('CMF_NO_DEFAULT_REMOTE');
    expect(err.hint).toMatch(/cmf init/);
    expect(existsSync(mlmd)).toBe(false);

    const bare = await tempDir();
    err = await failure(Cmf.open({ cwd: bare }));
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.code).toBe('GIT_NOT_A_REPO');
    expect(existsSync(join(bare, 'mlmd'))).toBe(false);

    rmSync(join(p.dir, '.dvc'), { recursive: true });
    err = await failure(Cmf.open({ cwd: p.dir }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.code).toBe('CMF_NO_DVC');
  });

  it('odd files get typed errors with hints, and nothing is written', async () => {
    const p = await cmfProject();
    const at = (rel: string) => join(p.dir, rel);
    execFileSync('mkfifo', [at('fifo')]);
    symlinkSync('nowhere', at('dangling'));
    symlinkSync('loop-b', at('loop-a'));
    symlinkSync('loop-a', at('loop-b'));
    const long = 'n'.repeat(255);
    writeFileSync(at(long), 'x\n');
    writeFileSync(at('new\nline.csv'), 'x\n');
    mkdirSync(at('dir'));
    writeFileSync(at('dir/ok.csv'), 'x\n');
    symlinkSync('../loop-a', at('dir/loop'));
    const cmf = await openCmf(p.dir);
    const before = digest(at('mlmd'));
    const cases: Array<[string, new (...a: never[]) => CmfError, string]> = [
      ['fifo', UsageError, 'UNSUPPORTED_FILE'],
      ['dangling', NotFoundError, 'BROKEN_SYMLINK'],
      ['loop-a', UsageError, 'SYMLINK_LOOP'],
      [long, UsageError, 'ADD_BAD_PATH'],
      ['new\nline.csv', UsageError, 'PATH_HAS_LINE_BREAK'],
      ['dir', UsageError, 'SYMLINK_LOOP'],
    ];
    for (const [path, type, code] of cases) {
      const err = await failure(cmf.logDataset(path, 'output'));
      expect(err, path).toBeInstanceOf(type);
      expect(err.code, path).toBe(code);
      expect(err.hint, path).toBeTruthy();
    }
    expect(digest(at('mlmd'))).toBe(before);
    expect(
      readdirSync(p.dir).filter((f) => (f.endsWith('.dvc') && f !== '.dvc') || f === '.gitignore'),
    ).toEqual([]);
    expect(existsSync(join(p.dir, '.dvc', 'cache', 'files'))).toBe(false);
  });

  it('rejects paths outside the repository', async () => {
    const p = await cmfProject();
    const outside = join(p.dir, '..', 'outside.csv');
    writeFileSync(outside, 'x\n');
    const cmf = await openCmf(p.dir);
    const before = digest(join(p.dir, 'mlmd'));
    const err = await failure(cmf.logDataset(outside, 'input'));
    expect(err.code).toBe('GIT_PATH_OUTSIDE');
    expect(digest(join(p.dir, 'mlmd'))).toBe(before);
  });
});

describe('a closed Cmf', () => {
  it('refuses further calls with a hint', async () => {
    const p = await cmfProject();
    const cmf = await Cmf.open({ cwd: p.dir, pipelineName: 'P' });
    await cmf.close();
    const err = await failure(cmf.createContext('Prepare'));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.code).toBe('CMF_CLOSED');
    expect(err.hint).toMatch(/create a new Cmf/);
  });
});

describe('logging before createContext', () => {
  it('creates a stage and an execution named after the script', async () => {
    const p = await cmfProject();
    writeFileSync(join(p.dir, 'in.csv'), 'a\n');
    const saved = process.argv[1];
    process.argv[1] = '/somewhere/src/prepare_data.ts';
    try {
      const cmf = await openCmf(p.dir);
      const r = await cmf.logDataset('in.csv', 'input');
      expect(r.created).toBe(true);
      expect(cmf.stage?.name).toBe('P/prepare_data');
      expect(cmf.execution?.typeName).toBe('prepare_data');
      await cmf.finalize();
    } finally {
      process.argv[1] = saved!;
    }
    const db = new MlmdSql(join(p.dir, 'mlmd'));
    try {
      expect(
        db.all(
          "SELECT c.name FROM Context c JOIN Type t ON t.id = c.type_id WHERE t.name = 'Pipeline_Stage'",
        ),
      ).toEqual([{ name: 'P/prepare_data' }]);
      expect(db.props('Execution', 1).declared.Execution).toEqual([
        'string',
        `['/somewhere/src/prepare_data.ts'${process.argv.length > 2 ? ', ' : ''}${process.argv
          .slice(2)
          .map((a) => `'${a}'`)
          .join(', ')}]`,
      ]);
      expect(db.all('SELECT context_id, execution_id FROM Association')).toEqual([
        { context_id: 2, execution_id: 1 },
      ]);
    } finally {
      db.close();
    }
    // finalize committed the staged .dvc files, on the user's branch.
    const files = execFileSync('git', ['show', '--name-only', '--format=', 'HEAD'], {
      cwd: p.dir,
      encoding: 'utf8',
    });
    expect(files).toContain('in.csv.dvc');
    expect(
      execFileSync('git', ['branch', '--show-current'], { cwd: p.dir, encoding: 'utf8' }).trim(),
    ).toBe('main');
  });
});

describe('warnings', () => {
  it('collects a warning (never prints) when the git repository has no remote', async () => {
    const p = await cmfProject();
    execFileSync('git', ['remote', 'remove', 'origin'], { cwd: p.dir });
    const cmf = await openCmf(p.dir);
    expect(cmf.warnings.join('\n')).toMatch(/no remote/);
    writeFileSync(join(p.dir, 'a.csv'), 'a\n');
    await cmf.createExecution('x');
    expect(cmf.execution?.properties.Git_Repo).toEqual({ type: 'string', value: '' });
  });
});
