/**
 * Arguments of the public Cmf API: wrong types and nulls are UsageErrors with a hint naming
 * the argument (never a TypeError from inside), misleading messages are plain, and a closed
 * instance refuses every call.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cmf, UsageError } from '../../../src/index.js';
import { cmfProject } from '../../helpers/cmf-project.js';
import { thrown } from '../../helpers/failure.js';

const opened: Cmf[] = [];
afterEach(async () => {
  for (const c of opened.splice(0)) await c.close();
});

async function project(): Promise<{ dir: string; cmf: Cmf }> {
  const p = await cmfProject();
  writeFileSync(join(p.dir, 'ok.csv'), 'a\n');
  const cmf = await Cmf.open({ cwd: p.dir, pipelineName: 'P' });
  opened.push(cmf);
  return { dir: p.dir, cmf };
}

// Values of the wrong type, as plain JavaScript (or an `as any` in TypeScript) passes them.
const bad = <T>(v: unknown) => v as T;

describe('arguments of the wrong type', () => {
  it('are UsageErrors CMF_BAD_ARGUMENT whose hint names the argument and what it takes', async () => {
    const { cmf } = await project();
    const cases: Array<[string, () => unknown, RegExp]> = [
      [
        'cmd: 5',
        () => cmf.createExecution('E', {}, { cmd: bad(5) }),
        /cmd as a string or an array/,
      ],
      ['cmd: [1]', () => cmf.createExecution('E', {}, { cmd: bad([1]) }), /cmd as a string/],
      [
        'execution options null',
        () => cmf.createExecution('E', {}, bad(null)),
        /options as an object/,
      ],
      [
        'createNewExecution: "no"',
        () => cmf.createExecution('E', {}, { createNewExecution: bad('no') }),
        /createNewExecution as a boolean/,
      ],
      [
        'executionType: 5',
        () => cmf.createExecution(bad(5)),
        /executionType as a non-empty string/,
      ],
      ['stage: null', () => cmf.createContext(bad(null)), /stage as a non-empty string/],
      [
        'model options null',
        () => cmf.logModel('ok.csv', 'output', bad(null)),
        /options as an object/,
      ],
      ['modelName: 5', () => cmf.logModel('ok.csv', 'output', { modelName: bad(5) }), /modelName/],
      ['logModel path: 5', () => cmf.logModel(bad(5), 'output'), /path as a non-empty string/],
      ['items: a string', () => cmf.logDatasets(bad('a.txt'), 'output'), /items as an array/],
      ['items: [null]', () => cmf.logDatasets([bad(null)], 'output'), /items\[0\] as a path or/],
      [
        'items: [{path: 5}]',
        () => cmf.logDatasets([{ path: bad(5) }], 'output'),
        /items\[0\]\.path/,
      ],
      ['dataset options null', () => cmf.logDataset('ok.csv', 'input', {}, bad(null)), /options/],
      ['label: 5', () => cmf.logDataset('ok.csv', 'input', {}, { label: bad(5) }), /label as a/],
      ['logDataset path: null', () => cmf.logDataset(bad(null), 'input'), /path as a non-empty/],
      ["executionId: 'x'", () => cmf.updateExecution(bad('x'), {}), /executionId as the id/],
      ['executionId: 1.5', () => cmf.updateExecution(1.5, {}), /executionId as the id/],
      ['record: 5', () => cmf.updateDataslice('s', bad(5), {}), /record as a non-empty string/],
      ['datasetPath: null', () => cmf.logLabel('ok.csv', bad(null)), /datasetPath as a/],
      ['metrics name: null', () => cmf.logExecutionMetrics(bad(null), {}), /metrics name as a/],
      ['addData path: 5', () => cmf.createDataslice('s').addData(bad(5)), /path as a non-empty/],
      ['version: null', () => cmf.logDatasetWithVersion('a', bad(null), 'input'), /version as/],
      ['url: 5', () => cmf.logDatasetWithVersion(bad(5), 'v', 'input'), /url as a non-empty/],
      [
        'dataset props null',
        () => cmf.logDatasetWithVersion('a', 'v', 'input', bad(null)),
        /options as an object/,
      ],
      [
        'props.url: 5',
        () => cmf.logDatasetWithVersion('a', 'v', 'input', { url: bad(5) }),
        /url as a string/,
      ],
      [
        'props.gitRepo: null',
        () => cmf.logDatasetWithVersion('a', 'v', 'input', { gitRepo: bad(null) }),
        /gitRepo as a string/,
      ],
      ['model version: 5', () => cmf.logModelWithVersion('m', bad(5), 'output'), /version as/],
      [
        'props.modelType: ""',
        () => cmf.logModelWithVersion('m', 'v', 'output', { modelType: '' }),
        /modelType as a non-empty/,
      ],
      [
        'props.commit: 1',
        () => cmf.logModelWithVersion('m', 'v', 'output', { commit: bad(1) }),
        /commit as a string/,
      ],
      ['validation version: ""', () => cmf.logValidationOutput(''), /version as a non-empty/],
      ['logPythonEnv path: 5', () => cmf.logPythonEnv(bad(5)), /path as a non-empty/],
      ['logDvcLock file: null', () => cmf.logDvcLock(bad(null)), /file as a non-empty/],
      ['artifactId: 0', () => cmf.updateExistingArtifact(0, {}), /artifactId as the id/],
    ];
    for (const [label, fn, hint] of cases) {
      const err = await thrown(fn);
      expect(err, label).toBeInstanceOf(UsageError);
      expect(err.code, label).toBe('CMF_BAD_ARGUMENT');
      expect(err.hint, label).toMatch(hint);
    }
  });

  it('Cmf.open checks its options before opening anything', async () => {
    const p = await cmfProject();
    const cases: Array<[unknown, RegExp]> = [
      [null, /options as an object/],
      ['mlmd', /options as an object/],
      [{ cwd: p.dir, filepath: 5 }, /filepath as a non-empty string/],
      [{ cwd: 5 }, /cwd as a non-empty string/],
      [{ cwd: p.dir, pipelineName: null }, /pipelineName as a non-empty string/],
      [{ cwd: p.dir, graph: 'yes' }, /graph as a boolean/],
      [{ cwd: p.dir, busyTimeoutMs: -1 }, /busyTimeoutMs as a whole number of milliseconds/],
      [{ cwd: p.dir, busyTimeoutMs: 'abc' }, /busyTimeoutMs as a whole number of milliseconds/],
      [{ cwd: p.dir, busyTimeoutMs: 1.5 }, /busyTimeoutMs/],
    ];
    for (const [opts, hint] of cases) {
      const err = await thrown(() => Cmf.open(bad(opts)));
      expect(err, JSON.stringify(opts)).toBeInstanceOf(UsageError);
      expect(err.code, JSON.stringify(opts)).toBe('CMF_BAD_ARGUMENT');
      expect(err.hint, JSON.stringify(opts)).toMatch(hint);
    }
  });

  it('a bigint beyond int64 is CMF_BAD_PROPERTY, not a RangeError, wherever a value goes', async () => {
    const { cmf } = await project();
    const big = 2n ** 63n;
    cmf.logMetric('m', { loss: 1 });
    expect(() => cmf.logMetric('m', { n: big })).toThrow(
      expect.objectContaining({ code: 'CMF_BAD_PROPERTY', hint: expect.stringMatching(/64-bit/) }),
    );
    await cmf.commitMetrics('m'); // the row before is still good
    for (const fn of [
      () => cmf.createExecution('E', { n: -(2n ** 63n) - 1n }),
      () => cmf.logExecutionMetrics('x', { n: { type: 'int', value: big } }),
    ]) {
      const err = await thrown(fn);
      expect(err).toBeInstanceOf(UsageError);
      expect(err.code).toBe('CMF_BAD_PROPERTY');
    }
    await cmf.createExecution('E', { n: big - 1n }); // the largest int64 is fine
  });
});

describe('messages that said the wrong thing', () => {
  it("logDataset('.') says the repository root cannot be logged", async () => {
    const { dir, cmf } = await project();
    for (const path of ['.', dir]) {
      const err = await thrown(() => cmf.logDataset(path, 'input'));
      expect(err).toBeInstanceOf(UsageError);
      expect(err.code).toBe('CMF_PATH_IS_ROOT');
      expect(err.message).toBe(`${path} is the repository root ${dir} itself`);
      expect(err.message).not.toMatch(/outside/);
      expect(err.hint).toMatch(/log the files or directories inside it/);
    }
  });

  it('errors a caller can meet give a hint: unknown execution, dataslice, dataslice record', async () => {
    const { dir, cmf } = await project();
    const noExec = await thrown(() => cmf.updateExecution(999, { a: 1 }));
    expect(noExec.code).toBe('CMF_EXECUTION_NOT_FOUND');
    expect(noExec.hint).toMatch(/id of an execution/);
    await cmf.createExecution('E');
    const noSlice = await thrown(() => cmf.updateDataslice('s', 'ok.csv', { a: 1 }));
    expect(noSlice.code).toBe('CMF_DATASLICE_NOT_FOUND');
    expect(noSlice.hint).toMatch(/Commit it first/);
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'd', 'x.csv'), 'x\n');
    const slice = cmf.createDataslice('s');
    await slice.addData('d/x.csv');
    await slice.commit();
    const noRecord = await thrown(() => cmf.updateDataslice('s', 'ok.csv', { a: 1 }));
    expect(noRecord.code).toBe('CMF_DATASLICE_RECORD_NOT_FOUND');
    expect(noRecord.hint).toMatch(/as it was given to addData/);
    await cmf.updateDataslice('s', 'd/x.csv', { a: 1 });
  });
});

describe('a closed Cmf', () => {
  it('refuses every public method with CMF_CLOSED, the synchronous ones too', async () => {
    const { cmf } = await project();
    const slice = cmf.createDataslice('before');
    await cmf.close();
    const calls: Array<[string, () => unknown]> = [
      ['createContext', () => cmf.createContext('S')],
      ['createExecution', () => cmf.createExecution('E')],
      ['updateExecution', () => cmf.updateExecution(1, {})],
      ['logDataset', () => cmf.logDataset('ok.csv', 'input')],
      ['logDatasets', () => cmf.logDatasets(['ok.csv'], 'input')],
      ['logModel', () => cmf.logModel('ok.csv', 'input')],
      ['logExecutionMetrics', () => cmf.logExecutionMetrics('m', { a: 1 })],
      ['logMetric', () => cmf.logMetric('m', { a: 1 })],
      ['commitMetrics', () => cmf.commitMetrics('m')],
      ['createDataslice', () => cmf.createDataslice('s')],
      ['addData', () => slice.addData('ok.csv')],
      ['commit', () => slice.commit()],
      ['updateDataslice', () => cmf.updateDataslice('s', 'ok.csv', {})],
      ['logLabel', () => cmf.logLabel('ok.csv', 'ok.csv')],
      ['finalize', () => cmf.finalize()],
      ['logDatasetWithVersion', () => cmf.logDatasetWithVersion('a', 'v', 'input')],
      ['logModelWithVersion', () => cmf.logModelWithVersion('m', 'v', 'output')],
      ['logValidationOutput', () => cmf.logValidationOutput('v1')],
      ['logPythonEnv', () => cmf.logPythonEnv('ok.csv')],
      ['updateExistingArtifact', () => cmf.updateExistingArtifact(1, { a: 1 })],
      ['logDvcLock', () => cmf.logDvcLock('ok.csv')],
    ];
    for (const [name, fn] of calls) {
      const err = await thrown(fn);
      expect(err, name).toBeInstanceOf(UsageError);
      expect(err.code, name).toBe('CMF_CLOSED');
    }
    await cmf.close(); // idempotent
  });
});
