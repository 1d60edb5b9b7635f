/**
 * The TypeScript example-get-started pipeline, checked with plain SQL against what cmflib
 * writes for the same four scripts (spec/cmf-reference.md §5.2–5.4a): every context,
 * execution, artifact, property, event, event path, attribution and association.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cmf, doubleValue } from '../../src/index.js';
import { readTable } from '../../src/cmf/parquet.js';
import { runGetStarted } from '../../examples/example-get-started/pipeline.js';
import { cmfProject } from '../helpers/cmf-project.js';
import { MlmdSql } from '../helpers/mlmd-sql.js';

const md5 = (path: string) => createHash('md5').update(readFileSync(path)).digest('hex');
const S = 'string';
const I = 'int';
const D = 'double';

let sql: MlmdSql | undefined;
afterEach(() => sql?.close());

describe('example-get-started', () => {
  it('writes what cmflib writes', async () => {
    const p = await cmfProject();
    await runGetStarted({ Cmf, doubleValue }, { dir: p.dir });
    const db = (sql = new MlmdSql(join(p.dir, 'mlmd')));
    const f = (rel: string) => md5(join(p.dir, rel));
    const url = (h: string) => `Test-env:${p.remote}/files/md5/${h.slice(0, 2)}/${h.slice(2)}`;
    const gitRepo = 'https://github.com/example/project.git';

    // Types: cmf's names and declared properties; MLMD's simple types come first.
    const typeProps = (name: string) =>
      Object.fromEntries(
        db
          .all<{ name: string; data_type: number }>(
            'SELECT p.name, p.data_type FROM TypeProperty p JOIN Type t ON t.id = p.type_id WHERE t.name = ? ORDER BY p.name',
            name,
          )
          .map((r) => [r.name, r.data_type]),
      );
    const kinds = Object.fromEntries(
      db
        .all<{ name: string; type_kind: number }>(
          'SELECT name, type_kind FROM Type WHERE name NOT LIKE ?',
          'mlmd.%',
        )
        .map((r) => [r.name, r.type_kind]),
    );
    expect(kinds).toEqual({
      Parent_Context: 2,
      Pipeline_Stage: 2,
      Prepare: 0,
      'Featurize-execution': 0,
      'Train-execution': 0,
      'Evaluate-execution': 0,
      Environment: 1,
      Dataset: 1,
      Label: 1,
      Step_Metrics: 1,
      Model: 1,
      Metrics: 1,
      Dataslice: 1,
    });
    expect(typeProps('Parent_Context')).toEqual({ Pipeline: 3 });
    expect(typeProps('Pipeline_Stage')).toEqual({ Pipeline_Stage: 3 });
    const execProps = {
      Execution_uuid: 3,
      Context_Type: 3,
      Context_ID: 1,
      Execution: 3,
      Execution_type_name: 3,
      Pipeline_Type: 3,
      Pipeline_id: 1,
      Git_Repo: 3,
      Git_Start_Commit: 3,
      Git_End_Commit: 3,
    };
    for (const t of ['Prepare', 'Featurize-execution', 'Train-execution', 'Evaluate-execution'])
      expect(typeProps(t)).toEqual(execProps);
    const fileProps = { Commit: 3, git_repo: 3, url: 3 };
    for (const t of ['Dataset', 'Environment', 'Label', 'Dataslice'])
      expect(typeProps(t)).toEqual(fileProps);
    expect(typeProps('Model')).toEqual({
      Commit: 3,
      model_framework: 3,
      model_name: 3,
      model_type: 3,
      url: 3,
    });
    expect(typeProps('Step_Metrics')).toEqual({ Commit: 3, url: 3 });
    expect(typeProps('Metrics')).toEqual({ metrics_name: 3 });
    expect(
      db.all(
        'SELECT version, description, input_type, output_type, external_id FROM Type WHERE name NOT LIKE ? AND (version IS NOT NULL OR description IS NOT NULL OR input_type IS NOT NULL OR output_type IS NOT NULL OR external_id IS NOT NULL)',
        'mlmd.%',
      ),
    ).toEqual([]);

    // Contexts and their parents.
    const contexts = db.all<{ id: number; type: string; name: string; external_id: null }>(
      'SELECT c.id, t.name AS type, c.name, c.external_id FROM Context c JOIN Type t ON t.id = c.type_id ORDER BY c.id',
    );
    const stages = ['Prepare', 'Featurize', 'Train', 'Evaluate'];
    expect(contexts).toEqual([
      { id: 1, type: 'Parent_Context', name: 'Test-env', external_id: null },
      ...stages.map((s, i) => ({
        id: i + 2,
        type: 'Pipeline_Stage',
        name: `Test-env/${s}`,
        external_id: null,
      })),
    ]);
    expect(db.props('Context', 1)).toEqual({ declared: { Pipeline: [S, 'Test-env'] }, custom: {} });
    expect(db.props('Context', 2)).toEqual({
      declared: { Pipeline_Stage: [S, 'Test-env/Prepare'] },
      custom: { 'user-metadata1': [S, 'metadata_value'] },
    });
    for (let i = 3; i <= 5; i++)
      expect(db.props('Context', i)).toEqual({
        declared: { Pipeline_Stage: [S, `Test-env/${stages[i - 2]}`] },
        custom: {},
      });
    expect(
      db.all('SELECT context_id, parent_context_id FROM ParentContext ORDER BY context_id'),
    ).toEqual([2, 3, 4, 5].map((c) => ({ context_id: c, parent_context_id: 1 })));

    // Executions: unnamed, typed by the execution type, all ten properties.
    const execs = db.all<{ id: number; type: string; name: null; last_known_state: null }>(
      'SELECT e.id, t.name AS type, e.name, e.last_known_state FROM Execution e JOIN Type t ON t.id = e.type_id ORDER BY e.id',
    );
    expect(execs).toEqual(
      ['Prepare', 'Featurize-execution', 'Train-execution', 'Evaluate-execution'].map(
        (type, i) => ({ id: i + 1, type, name: null, last_known_state: null }),
      ),
    );
    const commits = execFileSync('git', ['log', '--format=%H', '--reverse'], {
      cwd: p.dir,
      encoding: 'utf8',
    })
      .trim()
      .split('\n');
    expect(commits).toHaveLength(4);
    const envFile = readdirEnv(p.dir);
    const env = f(envFile);
    const cmds = [
      "['src/parse.py', 'artifacts/data.xml.gz', 'artifacts/parsed']",
      "['src/featurize.py', 'artifacts/parsed', 'artifacts/features']",
      "['src/train.py', 'artifacts/features', 'artifacts/model']",
      "['src/test.py', 'artifacts/model', 'artifacts/features', 'artifacts/test_results']",
    ];
    const customs: Record<string, unknown>[] = [
      { split: [D, 0.2], seed: [I, 20170428] },
      { max_features: [I, 3000], ngrams: [I, 2] },
      { seed: [I, 20170428], n_est: [I, 100], min_split: [D, 64] },
      {},
    ];
    const uuids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const props = db.props('Execution', i + 1);
      const uuid = (props.declared.Execution_uuid as [string, string])[1];
      expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      uuids.push(uuid);
      expect(props).toEqual({
        declared: {
          Execution_uuid: [S, uuid],
          Context_Type: [S, `Test-env/${stages[i]}`],
          Context_ID: [I, i + 2],
          Execution: [S, cmds[i]],
          Execution_type_name: [S, `Test-env/${stages[i]}`],
          Pipeline_Type: [S, 'Test-env'],
          Pipeline_id: [I, 1],
          Git_Repo: [S, gitRepo],
          Git_Start_Commit: [S, i === 0 ? '' : commits[i - 1]],
          Git_End_Commit: [S, commits[i]],
        },
        custom: { ...customs[i], Python_Env: [S, envFile] },
      });
    }
    expect(db.all('SELECT context_id, execution_id FROM Association ORDER BY id')).toEqual(
      [1, 2, 3, 4].map((e) => ({ context_id: e + 1, execution_id: e })),
    );

    // Artifacts, in creation order.
    const data = f('artifacts/data.xml.gz');
    const label = f('artifacts/labels.csv');
    const train = f('artifacts/parsed/train.tsv');
    const test = f('artifacts/parsed/test.tsv');
    const ftrain = f('artifacts/features/train.pkl');
    const ftest = f('artifacts/features/test.pkl');
    const model = f('artifacts/model/model.pkl');
    const metricsPath = `cmf_artifacts/${uuids[2]}/metrics/training_metrics`;
    const metrics = f(metricsPath);
    const slicePath = `cmf_artifacts/${uuids[3]}/dataslice/slice-a`;
    const slice = f(slicePath);
    const arts = db.all<{
      id: number;
      type: string;
      name: string;
      uri: string;
      state: null;
      external_id: null;
    }>(
      'SELECT a.id, t.name AS type, a.name, a.uri, a.state, a.external_id FROM Artifact a JOIN Type t ON t.id = a.type_id ORDER BY a.id',
    );
    const fileArt = (type: string, name: string, h: string) => ({
      type,
      name: `${name}:${h}`,
      uri: h,
      state: null,
      external_id: null,
    });
    const names = arts.map((a) => a.name);
    const stepName = names[7]!;
    const metricsName = names[9]!;
    expect(stepName).toMatch(new RegExp(`^${metricsPath}:${metrics}:3:[0-9a-f-]{36}$`));
    const metricsUuid = metricsName.split(':')[1]!;
    expect(metricsName).toBe(`metrics:${metricsUuid}:4`);
    expect(arts).toEqual(
      [
        fileArt('Environment', envFile, env),
        fileArt('Dataset', 'artifacts/data.xml.gz', data),
        fileArt('Label', 'artifacts/labels.csv', label),
        fileArt('Dataset', 'artifacts/parsed/train.tsv', train),
        fileArt('Dataset', 'artifacts/parsed/test.tsv', test),
        fileArt('Dataset', 'artifacts/features/train.pkl', ftrain),
        fileArt('Dataset', 'artifacts/features/test.pkl', ftest),
        { type: 'Step_Metrics', name: stepName, uri: metrics, state: null, external_id: null },
        {
          type: 'Model',
          name: `artifacts/model/model.pkl:${model}:3`,
          uri: model,
          state: null,
          external_id: null,
        },
        { type: 'Metrics', name: metricsName, uri: metricsUuid, state: null, external_id: null },
        fileArt('Dataslice', slicePath, slice),
      ].map((a, i) => ({ id: i + 1, ...a })),
    );
    const fileProps2 = (h: string) => ({
      git_repo: [S, gitRepo],
      Commit: [S, h],
      url: [S, url(h)],
    });
    const expectedProps: Array<{ declared: object; custom: object }> = [
      { declared: fileProps2(env), custom: {} },
      {
        declared: fileProps2(data),
        custom: {
          'user-metadata1': [S, 'metadata_value'],
          labels: [S, 'artifacts/labels.csv'],
          labels_uri: [S, `artifacts/labels.csv:${label}`],
        },
      },
      {
        declared: {
          git_repo: [S, gitRepo],
          Commit: [S, label],
          url: [S, `artifacts/labels.csv:${label}`],
        },
        custom: { user1: [S, 'metadata_value'], dataset_uri: [S, data] },
      },
      { declared: fileProps2(train), custom: {} },
      { declared: fileProps2(test), custom: {} },
      { declared: fileProps2(ftrain), custom: {} },
      { declared: fileProps2(ftest), custom: {} },
      { declared: { Commit: [S, metrics], url: [S, url(metrics)] }, custom: {} },
      {
        declared: {
          model_framework: [S, 'SKlearn'],
          model_type: [S, 'RandomForestClassifier'],
          model_name: [S, 'RandomForestClassifier:default'],
          Commit: [S, model],
          url: [S, url(model)],
        },
        custom: {},
      },
      {
        declared: { metrics_name: [S, metricsName] },
        custom: { avg_prec: [D, 0.75], roc_auc: [D, 0.5] },
      },
      { declared: fileProps2(slice), custom: { purpose: [S, 'evaluation'] } },
    ];
    expectedProps.forEach((e, i) =>
      expect(db.props('Artifact', i + 1), `artifact ${i + 1}`).toEqual(e),
    );

    // Events: new artifacts without a path, links to known content with the logged name.
    const events = db.all<{
      id: number;
      artifact_id: number;
      execution_id: number;
      type: number;
      ms: number;
      path: string | null;
    }>(
      `SELECT e.id, e.artifact_id, e.execution_id, e.type, e.milliseconds_since_epoch AS ms,
        (SELECT group_concat(is_index_step || '|' || step_key, ';') FROM EventPath p WHERE p.event_id = e.id) AS path
       FROM Event e ORDER BY e.id`,
    );
    const IN = 3;
    const OUT = 4;
    const key = (name: string) => `0|${name}`;
    expect(events.map(({ ms: _ms, id: _id, ...e }) => e)).toEqual([
      { artifact_id: 1, execution_id: 1, type: IN, path: null },
      { artifact_id: 2, execution_id: 1, type: IN, path: null },
      { artifact_id: 3, execution_id: 1, type: IN, path: null },
      { artifact_id: 4, execution_id: 1, type: OUT, path: null },
      { artifact_id: 5, execution_id: 1, type: OUT, path: null },
      { artifact_id: 1, execution_id: 2, type: IN, path: key(`${envFile}:${env}`) },
      {
        artifact_id: 4,
        execution_id: 2,
        type: IN,
        path: key(`artifacts/parsed/train.tsv:${train}`),
      },
      { artifact_id: 5, execution_id: 2, type: IN, path: key(`artifacts/parsed/test.tsv:${test}`) },
      { artifact_id: 6, execution_id: 2, type: OUT, path: null },
      { artifact_id: 7, execution_id: 2, type: OUT, path: null },
      { artifact_id: 1, execution_id: 3, type: IN, path: key(`${envFile}:${env}`) },
      {
        artifact_id: 6,
        execution_id: 3,
        type: IN,
        path: key(`artifacts/features/train.pkl:${ftrain}`),
      },
      { artifact_id: 8, execution_id: 3, type: OUT, path: null },
      { artifact_id: 9, execution_id: 3, type: OUT, path: null },
      { artifact_id: 1, execution_id: 4, type: IN, path: key(`${envFile}:${env}`) },
      {
        artifact_id: 9,
        execution_id: 4,
        type: IN,
        path: key(`artifacts/model/model.pkl:${model}`),
      },
      {
        artifact_id: 7,
        execution_id: 4,
        type: IN,
        path: key(`artifacts/features/test.pkl:${ftest}`),
      },
      { artifact_id: 10, execution_id: 4, type: OUT, path: null },
      { artifact_id: 11, execution_id: 4, type: OUT, path: null },
    ]);
    for (const e of events) expect(Number.isInteger(e.ms) && e.ms > 1.7e12).toBe(true);

    // Attributions: each artifact to the stage that created it, and only that one.
    expect(db.all('SELECT context_id, artifact_id FROM Attribution ORDER BY id')).toEqual(
      [
        [2, 1],
        [2, 2],
        [2, 3],
        [2, 4],
        [2, 5],
        [3, 6],
        [3, 7],
        [4, 8],
        [4, 9],
        [5, 10],
        [5, 11],
      ].map(([c, a]) => ({ context_id: c, artifact_id: a })),
    );

    // Timestamps: create = last update for untouched rows, all in ms.
    for (const t of ['Context', 'Execution', 'Artifact']) {
      const bad = db.all(
        `SELECT id FROM ${t} WHERE create_time_since_epoch < 1700000000000 OR last_update_time_since_epoch < create_time_since_epoch`,
      );
      expect(bad, t).toEqual([]);
    }

    // Files: versioned in the cache, .dvc files committed, outputs git-ignored.
    const tracked = execFileSync('git', ['ls-files'], { cwd: p.dir, encoding: 'utf8' }).split('\n');
    for (const rel of [
      'artifacts/data.xml.gz',
      'artifacts/parsed/train.tsv',
      'artifacts/model/model.pkl',
      envFile,
      metricsPath,
      slicePath,
    ]) {
      expect(tracked, rel).toContain(`${rel}.dvc`);
      expect(tracked).not.toContain(rel);
      const h = f(rel);
      expect(
        existsSync(join(p.dir, '.dvc', 'cache', 'files', 'md5', h.slice(0, 2), h.slice(2))),
      ).toBe(true);
      expect(readFileSync(join(p.dir, `${rel}.dvc`), 'utf8')).toContain(`md5: ${h}`);
    }
    expect(tracked).not.toContain('artifacts/labels.csv.dvc'); // labels are not DVC-tracked (cmflib)
    expect(readFileSync(join(p.dir, 'artifacts/parsed/.gitignore'), 'utf8')).toBe(
      '/train.tsv\n/test.tsv\n',
    );

    // Step metrics parquet: SequenceNumber 1..3 and one column per key.
    const rows = await readTable(join(p.dir, metricsPath));
    expect(rows.map((r) => Number(r.SequenceNumber))).toEqual([1, 2, 3]);
    expect(rows.map((r) => r.train_loss)).toEqual([1 / 2, 1 / 3, 1 / 4]);
    expect(rows.map((r) => Number(r.step))).toEqual([0, 1, 2]);
    const sliceRows = await readTable(join(p.dir, slicePath));
    expect(sliceRows).toEqual([
      { Path: 'artifacts/parsed/train.tsv', hash: train, quality: 'good' },
      { Path: 'artifacts/parsed/test.tsv', hash: test, quality: null },
    ]);
  });
});

function readdirEnv(dir: string): string {
  const out = execFileSync('git', ['ls-files', 'cmf_artifacts'], { cwd: dir, encoding: 'utf8' })
    .split('\n')
    .filter((l) => /^cmf_artifacts\/node_env_[0-9a-f]{32}\.yaml\.dvc$/.test(l));
  expect(out).toHaveLength(1);
  return out[0]!.slice(0, -'.dvc'.length);
}
