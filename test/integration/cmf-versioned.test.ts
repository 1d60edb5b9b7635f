/**
 * Logging calls of cmflib's Cmf beyond the file-backed ones: artifacts whose version is given
 * (log_dataset_with_version, log_model_with_version), log_validation_output, log_python_env,
 * update_existing_artifact, log_dvc_lock, and a URL given where a local path is needed.
 * What lands in MLMD is checked through the export document (what `metadata push` sends and
 * Python cmf merges) and plain SQL, against what cmflib's code writes for the same calls.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cmf, UsageError } from '../../src/index.js';
import { exportDocument } from '../../src/cmf/export-json.js';
import { SqliteAsyncStore } from '../../src/mlmd/index.js';
import { cmfProject } from '../helpers/cmf-project.js';
import { MlmdSql } from '../helpers/mlmd-sql.js';
import { thrown } from '../helpers/failure.js';

const GIT_REPO = 'https://github.com/example/project.git';
const DATA = '0123456789abcdef0123456789abcdef';
const MODEL = 'fedcba9876543210fedcba9876543210.dir';
const UUID1 = /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const opened: Cmf[] = [];
let sql: MlmdSql | undefined;
afterEach(async () => {
  sql?.close();
  sql = undefined;
  for (const c of opened.splice(0)) await c.close();
});

async function open(dir: string, pipelineName = 'P'): Promise<Cmf> {
  const cmf = await Cmf.open({ cwd: dir, pipelineName });
  opened.push(cmf);
  return cmf;
}

type Doc = {
  Pipeline: Array<{
    stages: Array<{
      name: string;
      executions: Array<{ id: number; events: Array<{ type: number; artifact: Art }> }>;
    }>;
  }>;
};
type Art = {
  name: string;
  type: string;
  uri: string;
  properties: Record<string, unknown>;
  custom_properties: Record<string, unknown>;
};

/** Each execution's events in the export, without the automatic Environment inputs and times. */
async function exportedEvents(cmf: Cmf) {
  const { document } = await exportDocument(SqliteAsyncStore.wrap(cmf.store), cmf.pipelineName);
  const doc = document as unknown as Doc;
  return doc.Pipeline[0]!.stages.flatMap((s) =>
    s.executions.map((e) => ({
      stage: s.name,
      events: e.events
        .filter((ev) => ev.artifact.type !== 'Environment')
        .map(({ type, artifact: a }) => ({
          type,
          artifact: {
            type: a.type,
            name: a.name,
            uri: a.uri,
            properties: a.properties,
            custom_properties: a.custom_properties,
          },
        })),
    })),
  );
}

describe('logDatasetWithVersion and logModelWithVersion', () => {
  it('write what cmflib writes for a new and a known version', async () => {
    const p = await cmfProject();
    const cmf = await open(p.dir);
    const remoteUrl = `P:s3://bucket/files/md5/${DATA.slice(0, 2)}/${DATA.slice(2)}`;
    await cmf.createContext('Load');
    const load = await cmf.createExecution('Load', {}, { cmd: 'load' });
    const data = await cmf.logDatasetWithVersion(
      's3://raw/data.csv',
      DATA,
      'input',
      { gitRepo: GIT_REPO, url: remoteUrl },
      { source: 'kaggle', rows: 10 },
    );
    const model = await cmf.logModelWithVersion(
      'registry/model',
      MODEL,
      'output',
      { modelFramework: 'SKlearn', modelType: 'RandomForest', modelName: 'rf', url: 'P:reg/1' },
      { stars: 5 },
    );
    expect(data.created && model.created).toBe(true);

    // A second execution logs the same versions again: links, url and custom updates.
    await cmf.createContext('Train');
    const train = await cmf.createExecution('Train', {}, { cmd: 'train' });
    const again = await cmf.logDatasetWithVersion(
      'elsewhere/data.csv',
      DATA,
      'input',
      { url: `Q:x,${remoteUrl}` },
      { source: 's3' },
    );
    const modelAgain = await cmf.logModelWithVersion('registry/model', MODEL, 'input', {
      url: 'Q:reg/2',
    });
    expect([again.created, again.artifact.id]).toEqual([false, data.artifact.id]);
    expect([modelAgain.created, modelAgain.artifact.id]).toEqual([false, model.artifact.id]);

    const dataset = {
      type: 'Dataset',
      name: `s3://raw/data.csv:${DATA}`,
      uri: DATA,
      properties: { Commit: DATA, git_repo: GIT_REPO, url: `${remoteUrl},Q:x` },
      custom_properties: { rows: 10, source: 's3' },
    };
    const modelArt = {
      type: 'Model',
      name: `registry/model:${MODEL}:${load.id}`,
      uri: MODEL,
      properties: {
        Commit: MODEL,
        model_framework: 'SKlearn',
        model_name: 'rf',
        model_type: 'RandomForest',
        url: 'P:reg/1,Q:reg/2',
      },
      custom_properties: { stars: 5 },
    };
    expect(await exportedEvents(cmf)).toEqual([
      {
        stage: 'P/Load',
        events: [
          { type: 3, artifact: dataset },
          { type: 4, artifact: modelArt },
        ],
      },
      {
        stage: 'P/Train',
        events: [
          { type: 3, artifact: dataset },
          { type: 3, artifact: modelArt },
        ],
      },
    ]);

    // Links carry the name used for that logging as their path; new artifacts none, and
    // are attributed to the stage that created them only.
    sql = new MlmdSql(join(p.dir, 'mlmd'));
    const paths = sql.all<{ e: number; a: number; key: string | null }>(
      `SELECT ev.execution_id AS e, ev.artifact_id AS a, p.step_key AS key FROM Event ev
       JOIN Artifact x ON x.id = ev.artifact_id JOIN Type t ON t.id = x.type_id
       LEFT JOIN EventPath p ON p.event_id = ev.id WHERE t.name != 'Environment' ORDER BY ev.id`,
    );
    expect(paths).toEqual([
      { e: load.id, a: data.artifact.id, key: null },
      { e: load.id, a: model.artifact.id, key: null },
      { e: train.id, a: data.artifact.id, key: `elsewhere/data.csv:${DATA}` },
      { e: train.id, a: model.artifact.id, key: `registry/model:${MODEL}` },
    ]);
    const attributed = sql.all<{ c: string }>(
      `SELECT c.name AS c FROM Attribution t JOIN Context c ON c.id = t.context_id
       WHERE t.artifact_id IN (?, ?)`,
      data.artifact.id,
      model.artifact.id,
    );
    expect(attributed).toEqual([{ c: 'P/Load' }, { c: 'P/Load' }]);
    // Nothing was versioned: no .dvc file for the name, no cache object.
    expect(existsSync(join(p.dir, 'registry'))).toBe(false);
    expect(existsSync(join(p.dir, '.dvc', 'cache', 'files', 'md5', DATA.slice(0, 2)))).toBe(false);
  });

  it('defaults: git_repo is the repository remote, url empty, model fields as logModel records them', async () => {
    const p = await cmfProject();
    const cmf = await open(p.dir);
    const d = await cmf.logDatasetWithVersion('gs://b/k', 'v7', 'output');
    const m = await cmf.logModelWithVersion('hub/m', 'rev3', 'output');
    const prop = (a: typeof d.artifact, k: string) => a.properties[k]?.value;
    expect([d.artifact.name, d.artifact.uri]).toEqual(['gs://b/k:v7', 'v7']);
    expect(['git_repo', 'Commit', 'url'].map((k) => prop(d.artifact, k))).toEqual([
      GIT_REPO,
      'v7',
      '',
    ]);
    expect(m.artifact.name).toBe(`hub/m:rev3:${cmf.execution!.id}`);
    expect(
      ['model_framework', 'model_type', 'model_name', 'Commit', 'url'].map((k) =>
        prop(m.artifact, k),
      ),
    ).toEqual(['Default', 'Default', 'Default', 'rev3', '']);
    // Logging before createExecution made a stage and an execution, as logDataset does.
    expect(cmf.stage?.name).toMatch(/^P\//);
  });
});

describe('logValidationOutput', () => {
  it('is a new Validation_output (name = uri = a uuid1, property version) with an INTERNAL_OUTPUT event', async () => {
    const p = await cmfProject();
    const cmf = await open(p.dir);
    await cmf.createContext('Check');
    await cmf.createExecution('Check');
    const a = await cmf.logValidationOutput('v1', { passed: 1 });
    const b = await cmf.logValidationOutput('v1');
    expect(a.artifact.name).toMatch(UUID1);
    expect(a.artifact.uri).toBe(a.artifact.name);
    expect(b.artifact.id).not.toBe(a.artifact.id);
    const [exe] = await exportedEvents(cmf);
    expect(exe!.events[0]).toEqual({
      type: 6,
      artifact: {
        type: 'Validation_output',
        name: a.artifact.name,
        uri: a.artifact.uri,
        properties: { version: 'v1' },
        custom_properties: { passed: 1 },
      },
    });
    sql = new MlmdSql(join(p.dir, 'mlmd'));
    const declared = sql.all<{ name: string; data_type: number }>(
      `SELECT p.name, p.data_type FROM TypeProperty p JOIN Type t ON t.id = p.type_id
       WHERE t.name = 'Validation_output'`,
    );
    expect(declared).toEqual([{ name: 'version', data_type: 3 }]);
  });
});

describe('logPythonEnv and updateExistingArtifact', () => {
  it('log an Environment input and update custom properties as cmflib does', async () => {
    const p = await cmfProject();
    writeFileSync(join(p.dir, 'env.txt'), 'numpy==2.0\n');
    const cmf = await open(p.dir);
    await cmf.createContext('S');
    await cmf.createExecution('S');
    const env = await cmf.logPythonEnv('env.txt');
    const md5 = env.artifact.uri;
    expect(env.artifact.name).toBe(`env.txt:${md5}`);
    expect(existsSync(join(p.dir, 'env.txt.dvc'))).toBe(true);
    sql = new MlmdSql(join(p.dir, 'mlmd'));
    const type = sql.all<{ t: string; ev: number }>(
      `SELECT t.name AS t, ev.type AS ev FROM Artifact a JOIN Type t ON t.id = a.type_id
       JOIN Event ev ON ev.artifact_id = a.id WHERE a.id = ?`,
      env.artifact.id,
    );
    expect(type).toEqual([{ t: 'Environment', ev: 3 }]);

    const d = await cmf.logDatasetWithVersion('x', 'h1', 'input', {}, { labels: 'a.csv', n: 1 });
    const updated = await cmf.updateExistingArtifact(d.artifact.id, { labels: 'b.csv', n: 2 });
    expect(updated.customProperties).toEqual({
      labels: { type: 'string', value: 'a.csv,b.csv' },
      n: { type: 'int', value: 2 },
    });
    const missing = await thrown(() => cmf.updateExistingArtifact(999, { a: 1 }));
    expect(missing.code).toBe('CMF_ARTIFACT_NOT_FOUND');
    expect(missing.hint).toMatch(/id of an artifact/);
  });
});

describe('a URL where a local path is needed', () => {
  it('is a UsageError pointing at the *WithVersion call, before anything is written', async () => {
    const p = await cmfProject();
    const cmf = await open(p.dir);
    const cases: Array<[string, () => unknown, string]> = [
      ['logDataset', () => cmf.logDataset('s3://bucket/key.csv', 'input'), 'logDatasetWithVersion'],
      [
        'logDatasets',
        () => cmf.logDatasets([{ path: 'https://h/x' }], 'input'),
        'logDatasetWithVersion',
      ],
      ['logModel', () => cmf.logModel('gs://bucket/model.pkl', 'output'), 'logModelWithVersion'],
    ];
    for (const [name, fn, instead] of cases) {
      const err = await thrown(fn);
      expect(err, name).toBeInstanceOf(UsageError);
      expect(err.code, name).toBe('CMF_URL_IMPORT_UNSUPPORTED');
      expect(err.message, name).toMatch(/is a URL/);
      expect(err.hint, name).toContain(`${instead}(url, version, event)`);
    }
    // No stage or execution was created by the refused calls.
    expect(cmf.execution).toBeUndefined();
    // A local path that looks nothing like a URL is still "not found".
    expect((await thrown(() => cmf.logDataset('s3:/no-such', 'input'))).code).toBe(
      'CMF_PATH_NOT_FOUND',
    );
  });
});

describe('logDvcLock', () => {
  const git = (dir: string, ...args: string[]) =>
    execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();

  it("commits the file and pending .dvc files with cmflib's message and returns git log's first line", async () => {
    const p = await cmfProject();
    writeFileSync(join(p.dir, 'dvc.lock'), 'schema: 2.0\n');
    writeFileSync(join(p.dir, 'data.csv'), 'a\n');
    const cmf = await open(p.dir);
    const noExec = await thrown(() => cmf.logDvcLock('dvc.lock'));
    expect(noExec.code).toBe('CMF_NO_EXECUTION');

    const exe = await cmf.createExecution('Stage');
    await cmf.logDataset('data.csv', 'output');
    const line = await cmf.logDvcLock('dvc.lock');
    expect(line).toBe(`commit ${git(p.dir, 'rev-parse', 'HEAD')}`);
    expect(line).toBe(git(p.dir, 'log', 'dvc.lock').split('\n')[0]);
    expect(git(p.dir, 'log', '-1', '--format=%s')).toBe(`commiting dvc.lock-${exe.id}`);
    const files = git(p.dir, 'show', '--name-only', '--format=', 'HEAD').split('\n');
    expect(files).toEqual(expect.arrayContaining(['data.csv.dvc', 'dvc.lock']));

    // Unchanged: no (empty) commit, the same line. Changed: a new commit.
    const commits = () => git(p.dir, 'rev-list', '--count', 'HEAD');
    const before = commits();
    expect(await cmf.logDvcLock('dvc.lock')).toBe(line);
    expect(commits()).toBe(before);
    writeFileSync(join(p.dir, 'other.txt'), 'x\n');
    git(p.dir, 'add', 'other.txt');
    git(p.dir, 'commit', '-q', '-m', 'other');
    // A later commit that does not touch the file: git log <file> still names the first.
    expect(await cmf.logDvcLock('dvc.lock')).toBe(line);
    writeFileSync(join(p.dir, 'dvc.lock'), 'schema: 2.0\nstages: {}\n');
    const next = await cmf.logDvcLock('dvc.lock');
    expect(next).not.toBe(line);
    expect(next).toBe(git(p.dir, 'log', 'dvc.lock').split('\n')[0]);
  });

  it('refuses a missing file and one git ignores, committing nothing', async () => {
    const p = await cmfProject();
    writeFileSync(join(p.dir, '.gitignore'), '*.lock\n');
    writeFileSync(join(p.dir, 'dvc.lock'), 'schema: 2.0\n');
    const cmf = await open(p.dir);
    await cmf.createExecution('Stage');
    expect((await thrown(() => cmf.logDvcLock('nope.lock'))).code).toBe('CMF_PATH_NOT_FOUND');
    const ignored = await thrown(() => cmf.logDvcLock('dvc.lock'));
    expect(ignored).toBeInstanceOf(UsageError);
    expect(ignored.code).toBe('CMF_FILE_GIT_IGNORED');
    expect(ignored.hint).toMatch(/git check-ignore -v dvc.lock/);
    expect(() => git(p.dir, 'rev-parse', '-q', '--verify', 'HEAD')).toThrow();
  });
});
