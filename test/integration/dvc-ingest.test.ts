/**
 * cmf dvc ingest on realistic DVC projects built in temp dirs (test/helpers/dvc-pipeline.ts:
 * raw data tracked by a .dvc file, code and params in git, plain, foreach and matrix stages,
 * file and directory outs, a `cache: false` metrics out, outs really in the DVC cache),
 * checked with plain SQL; then pushed to a real local remote.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pullArtifacts, pushArtifacts } from '../../src/artifacts/index.js';
import { ingestDvcPipeline, type IngestResult } from '../../src/ingest/index.js';
import { MlmdStore, PropertyType, TypeKind } from '../../src/mlmd/index.js';
import { listFiles } from '../helpers/artifact-project.js';
import {
  cachedEntry,
  dvcPipelineProject,
  lockText,
  type DvcPipelineProject,
} from '../helpers/dvc-pipeline.js';
import { MlmdSql } from '../helpers/mlmd-sql.js';
import { tempDir } from '../helpers/tmp.js';
import { failure } from '../helpers/failure.js';

const GIT_REPO = 'https://github.com/example/dvc-project.git';
const UUID1 = /^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let sql: MlmdSql | undefined;
afterEach(() => {
  sql?.close();
  sql = undefined;
});

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

async function project(format: Parameters<typeof dvcPipelineProject>[1] = 'dvc3') {
  const p = await dvcPipelineProject(await tempDir('cmf-ingest-'), format);
  const mlmd = join(p.dir, 'mlmd');
  const ingest = (opts: { pipeline?: string } = {}) => ingestDvcPipeline({ cwd: p.dir, ...opts });
  const db = () => (sql ??= new MlmdSql(mlmd));
  return { ...p, mlmd, ingest, db };
}

function entry(p: DvcPipelineProject, stage: string, kind: 'deps' | 'outs', i: number) {
  return p.stages[stage]![kind][i]!;
}

describe('cmf dvc ingest: what lands in MLMD', () => {
  it('records contexts, executions, artifacts, events and attributions as cmflib does', async () => {
    const p = await project();
    const r = await p.ingest();
    expect(r).toMatchObject({
      pipeline: 'project',
      lockSchema: '2.0',
      lockFiles: ['dvc.lock'],
      changed: true,
      pipelineCreated: true,
      stages: { total: 6, created: 6 },
      executions: { created: 6, reused: 0, unchanged: 0 },
      artifacts: { created: 11, linked: 7, unchanged: 0 },
      warnings: [],
    });
    expect(r.notVersioned.sort()).toEqual([
      'eval/lr-test.json',
      'eval/rf-test.json',
      'src/featurize.py',
      'src/prepare.py',
      'src/train.py',
    ]);
    const db = p.db();
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: p.dir }).toString().trim();

    // Contexts: the pipeline and one stage per lock stage (DVC's generated names kept).
    const contexts = db.all<{ id: number; type: string; name: string }>(
      'SELECT c.id, t.name AS type, c.name FROM Context c JOIN Type t ON t.id = c.type_id ORDER BY c.id',
    );
    const stageNames = [
      'prepare',
      'featurize',
      'train@rf',
      'train@lr',
      'evaluate@rf-test',
      'evaluate@lr-test',
    ];
    expect(contexts.map((c) => [c.type, c.name])).toEqual([
      ['Parent_Context', 'project'],
      ...stageNames.map((s) => ['Pipeline_Stage', `project/${s}`]),
    ]);
    const ctxId = Object.fromEntries(contexts.map((c) => [c.name, c.id]));
    expect(db.props('Context', ctxId.project!)).toEqual({
      declared: { Pipeline: ['string', 'project'] },
      custom: {},
    });
    expect(db.props('Context', ctxId['project/train@rf']!).declared).toEqual({
      Pipeline_Stage: ['string', 'project/train@rf'],
    });
    expect(
      db.all('SELECT context_id, parent_context_id FROM ParentContext ORDER BY context_id'),
    ).toEqual(
      stageNames.map((s) => ({
        context_id: ctxId[`project/${s}`],
        parent_context_id: ctxId.project,
      })),
    );

    // Executions: one per stage, type <pipeline>/<stage>, cmflib's ten properties, params typed.
    const execs = db.all<{ id: number; type: string; name: string | null; kind: number }>(
      'SELECT e.id, t.name AS type, e.name, t.type_kind AS kind FROM Execution e JOIN Type t ON t.id = e.type_id ORDER BY e.id',
    );
    expect(execs.map((e) => [e.type, e.name, e.kind])).toEqual(
      stageNames.map((s) => [`project/${s}`, null, TypeKind.EXECUTION]),
    );
    const execId = Object.fromEntries(execs.map((e) => [e.type.slice('project/'.length), e.id]));
    const typeProps = db.all<{ name: string; data_type: number }>(
      'SELECT p.name, p.data_type FROM TypeProperty p JOIN Type t ON t.id = p.type_id WHERE t.name = ? ORDER BY p.name',
      'project/prepare',
    );
    expect(Object.fromEntries(typeProps.map((t) => [t.name, t.data_type]))).toEqual({
      Context_ID: PropertyType.INT,
      Context_Type: PropertyType.STRING,
      Execution: PropertyType.STRING,
      Execution_type_name: PropertyType.STRING,
      Execution_uuid: PropertyType.STRING,
      Git_End_Commit: PropertyType.STRING,
      Git_Repo: PropertyType.STRING,
      Git_Start_Commit: PropertyType.STRING,
      Pipeline_Type: PropertyType.STRING,
      Pipeline_id: PropertyType.INT,
    });
    const prepare = db.props('Execution', execId.prepare!);
    expect(prepare.declared).toEqual({
      Context_ID: ['int', ctxId['project/prepare']],
      Context_Type: ['string', 'project/prepare'],
      Execution: ['string', 'python src/prepare.py data/data.xml'],
      Execution_type_name: ['string', 'project/prepare'],
      Execution_uuid: ['string', expect.stringMatching(UUID1)],
      Git_End_Commit: ['string', head],
      Git_Repo: ['string', GIT_REPO],
      Git_Start_Commit: ['string', head],
      Pipeline_Type: ['string', 'project'],
      Pipeline_id: ['int', ctxId.project],
    });
    expect(prepare.custom).toEqual({
      'prepare.seed': ['int', 20170428],
      'prepare.split': ['double', 0.2],
    });
    const featurize = db.props('Execution', execId.featurize!);
    expect(featurize.declared.Execution).toEqual([
      'string',
      'python src/featurize.py data/prepared data/features && echo done',
    ]);
    expect(featurize.custom).toEqual({
      'featurize.max_features': ['int', 200],
      'featurize.name': ['string', 'tfidf'],
      'featurize.ngrams': ['int', 2],
      'featurize.scale': ['double', 1],
    });
    expect(db.props('Execution', execId['evaluate@rf-test']!).declared.Execution).toEqual([
      'string',
      'python ../src/evaluate.py rf test',
    ]);
    expect(
      db.all('SELECT context_id, execution_id FROM Association ORDER BY execution_id'),
    ).toEqual(
      stageNames.map((s) => ({ context_id: ctxId[`project/${s}`], execution_id: execId[s] })),
    );

    // Artifacts: Dataset `<path>:<hash>`, paths relative to the project (wdir applied).
    const arts = db.all<{ id: number; type: string; name: string; uri: string }>(
      'SELECT a.id, t.name AS type, a.name, a.uri FROM Artifact a JOIN Type t ON t.id = a.type_id ORDER BY a.id',
    );
    const md5 = (stage: string, kind: 'deps' | 'outs', i: number) => entry(p, stage, kind, i).md5;
    const expected: Array<[string, string]> = [
      ['data/data.xml', md5('prepare', 'deps', 0)],
      ['src/prepare.py', md5('prepare', 'deps', 1)],
      ['data/prepared', md5('prepare', 'outs', 0)],
      ['src/featurize.py', md5('featurize', 'deps', 1)],
      ['data/features', md5('featurize', 'outs', 0)],
      ['src/train.py', md5('train@rf', 'deps', 1)],
      ['models/rf.pkl', md5('train@rf', 'outs', 0)],
      ['models/lr.pkl', md5('train@lr', 'outs', 0)],
      ['data/features/test.tsv', md5('evaluate@rf-test', 'deps', 0)],
      ['eval/rf-test.json', md5('evaluate@rf-test', 'outs', 0)],
      ['eval/lr-test.json', md5('evaluate@lr-test', 'outs', 0)],
    ];
    expect(arts.map((a) => [a.type, a.name, a.uri])).toEqual(
      expected.map(([path, h]) => ['Dataset', `${path}:${h}`, h]),
    );
    const byPath = Object.fromEntries(arts.map((a) => [a.name.split(':')[0], a.id]));
    const url = (h: string) => `project:${p.remote}/files/md5/${h.slice(0, 2)}/${h.slice(2)}`;
    const prepared = entry(p, 'prepare', 'outs', 0);
    expect(db.props('Artifact', byPath['data/prepared']!)).toEqual({
      declared: {
        Commit: ['string', prepared.md5],
        git_repo: ['string', GIT_REPO],
        url: ['string', url(prepared.md5)],
      },
      custom: { dvc_tracked: ['int', 1], nfiles: ['int', 2], size: ['int', prepared.size] },
    });
    expect(prepared.md5).toMatch(/\.dir$/);
    expect(db.props('Artifact', byPath['src/prepare.py']!).custom).toEqual({
      dvc_tracked: ['int', 0],
      size: ['int', entry(p, 'prepare', 'deps', 1).size],
    });
    expect(db.props('Artifact', byPath['data/data.xml']!).custom.dvc_tracked).toEqual(['int', 1]);
    expect(db.props('Artifact', byPath['eval/rf-test.json']!).custom.dvc_tracked).toEqual([
      'int',
      0,
    ]);
    expect(db.props('Artifact', byPath['data/features/test.tsv']!).custom.dvc_tracked).toEqual([
      'int',
      1,
    ]);

    // Events: the producer's OUTPUT (no path), consumers' INPUT links with the name as path key.
    const events = (path: string) =>
      db.all<{ exec: number; type: number; key: string | null }>(
        `SELECT e.execution_id AS exec, e.type, p.step_key AS key FROM Event e
         LEFT JOIN EventPath p ON p.event_id = e.id WHERE e.artifact_id = ? ORDER BY e.id`,
        byPath[path],
      );
    const name = (path: string) => arts.find((a) => a.id === byPath[path])!.name;
    expect(events('data/prepared')).toEqual([
      { exec: execId.prepare, type: 4, key: null },
      { exec: execId.featurize, type: 3, key: name('data/prepared') },
    ]);
    expect(events('data/features')).toEqual([
      { exec: execId.featurize, type: 4, key: null },
      { exec: execId['train@rf'], type: 3, key: name('data/features') },
      { exec: execId['train@lr'], type: 3, key: name('data/features') },
    ]);
    expect(events('models/rf.pkl')).toEqual([
      { exec: execId['train@rf'], type: 4, key: null },
      { exec: execId['evaluate@rf-test'], type: 3, key: name('models/rf.pkl') },
    ]);
    expect(events('data/data.xml')).toEqual([{ exec: execId.prepare, type: 3, key: null }]);
    // Attribution: the stage that produced (or first consumed) each artifact, once.
    const attributed = db.all<{ context_id: number; artifact_id: number }>(
      'SELECT context_id, artifact_id FROM Attribution ORDER BY artifact_id',
    );
    expect(attributed).toHaveLength(11);
    const attributedTo = (path: string) =>
      attributed.filter((a) => a.artifact_id === byPath[path]).map((a) => a.context_id);
    expect(attributedTo('data/prepared')).toEqual([ctxId['project/prepare']]);
    expect(attributedTo('models/lr.pkl')).toEqual([ctxId['project/train@lr']]);
    expect(attributedTo('src/train.py')).toEqual([ctxId['project/train@rf']]);
  });

  it('a second ingest of the same lock file changes nothing, not a byte', async () => {
    const p = await project();
    await p.ingest();
    const before = sha(p.mlmd);
    const r = await p.ingest();
    expect(r).toMatchObject({
      changed: false,
      pipelineCreated: false,
      stages: { total: 6, created: 0 },
      executions: { created: 0, reused: 0, unchanged: 6 },
      artifacts: { created: 0, linked: 0, unchanged: 18 },
    });
    expect(r.stageResults.map((s) => s.outcome)).toEqual(Array(6).fill('unchanged'));
    expect(sha(p.mlmd)).toBe(before);
  });

  it('a new run of a stage reuses its execution (one more uuid); a new command is a new execution', async () => {
    const p = await project();
    await p.ingest();
    const db0 = new MlmdSql(p.mlmd);
    const countsBefore = db0.counts();
    db0.close();

    // train@rf ran again with a new model; evaluate@rf-test read it; prepare got a new split.
    const oldModel = entry(p, 'train@rf', 'outs', 0).md5;
    writeFileSync(join(p.dir, 'models/rf.pkl'), 'retrained');
    const newModel = {
      ...entry(p, 'train@rf', 'outs', 0),
      md5: createHash('md5').update('retrained').digest('hex'),
      size: 9,
    };
    p.stages['train@rf']!.outs = [newModel];
    p.stages['evaluate@rf-test']!.deps[1] = { ...newModel, path: '../models/rf.pkl' };
    p.stages.prepare!.params = {
      'params.yaml': { 'prepare.seed': 20170428n, 'prepare.split': 0.3 },
    };
    p.stages['train@lr']!.cmd = 'python src/train.py lr --fast';
    writeFileSync(join(p.dir, 'dvc.lock'), lockText(p.stages, 'dvc3'));
    const r = await p.ingest();
    expect(Object.fromEntries(r.stageResults.map((s) => [s.stage, s.outcome]))).toEqual({
      prepare: 'reused',
      featurize: 'unchanged',
      'train@rf': 'reused',
      'train@lr': 'created',
      'evaluate@rf-test': 'reused',
      'evaluate@lr-test': 'unchanged',
    });
    expect(r.executions).toEqual({ created: 1, reused: 3, unchanged: 2 });
    // The new model version; train@lr's new execution links what it read and wrote.
    expect(r.artifacts).toEqual({ created: 1, linked: 4, unchanged: 13 });

    const db = p.db();
    const counts = db.counts();
    expect(counts.Execution).toBe(countsBefore.Execution! + 1);
    expect(counts.Artifact).toBe(countsBefore.Artifact! + 1);
    const ids = Object.fromEntries(r.stageResults.map((s) => [s.stage, s.executionId]));
    const props = (stage: string) => db.props('Execution', ids[stage]!);
    const uuids = (stage: string) =>
      String((props(stage).declared.Execution_uuid as [string, string])[1]).split(',');
    expect(uuids('train@rf')).toHaveLength(2);
    expect(uuids('prepare')).toHaveLength(2);
    expect(props('prepare').custom['prepare.split']).toEqual(['double', 0.3]);
    expect(uuids('featurize')).toHaveLength(1);
    expect(props('train@lr').declared.Execution).toEqual([
      'string',
      'python src/train.py lr --fast',
    ]);
    const lrStage = db.all<{ n: number }>(
      "SELECT count(*) AS n FROM Association a JOIN Context c ON c.id = a.context_id WHERE c.name = 'project/train@lr'",
    );
    expect(lrStage[0]!.n).toBe(2);
    const models = db.all<{ name: string }>(
      'SELECT name FROM Artifact WHERE name LIKE ? ORDER BY id',
      'models/rf.pkl:%',
    );
    expect(models.map((m) => m.name)).toEqual([
      `models/rf.pkl:${oldModel}`,
      `models/rf.pkl:${newModel.md5}`,
    ]);
  });
});

describe('cmf dvc ingest: going back to an earlier dvc.lock', () => {
  it('lock A, lock B, lock A again: A is the newest version again and pull restores it; a fourth ingest adds nothing', async () => {
    const p = await project();
    const lockA = readFileSync(join(p.dir, 'dvc.lock'), 'utf8');
    const modelA = readFileSync(join(p.dir, 'models/rf.pkl'));
    await p.ingest();
    // Lock B: train@rf retrained with a new param (its out in the cache), evaluate read it.
    writeFileSync(join(p.dir, 'models/rf.pkl'), 'model B');
    const modelB = await cachedEntry(p.dir, p.cache, 'models/rf.pkl');
    p.stages['train@rf']!.outs = [modelB];
    p.stages['train@rf']!.params = { 'params.yaml': { 'train.lr': 0.2 } };
    p.stages['evaluate@rf-test']!.deps[1] = { ...modelB, path: '../models/rf.pkl' };
    writeFileSync(join(p.dir, 'dvc.lock'), lockText(p.stages, 'dvc3'));
    await p.ingest();

    writeFileSync(join(p.dir, 'dvc.lock'), lockA);
    const r = await p.ingest();
    expect(r.changed).toBe(true);
    const outcome = Object.fromEntries(r.stageResults.map((s) => [s.stage, s.outcome]));
    // train@rf's execution linked model A already: a new one records A last. Then A is the
    // newest at its path, and evaluate@rf-test (which read A, then B) needs nothing new.
    expect(outcome).toMatchObject({
      'train@rf': 'created',
      'evaluate@rf-test': 'unchanged',
      prepare: 'unchanged',
      'train@lr': 'unchanged',
    });
    expect(r.artifacts.created).toBe(0);

    rmSync(join(p.dir, 'models/rf.pkl'));
    const pull = await pullArtifacts({
      cwd: p.dir,
      projectRoot: p.dir,
      mlmdPath: p.mlmd,
      pipeline: 'project',
    });
    expect(pull.failed).toEqual([]);
    expect(readFileSync(join(p.dir, 'models/rf.pkl')).equals(modelA)).toBe(true);

    const before = sha(p.mlmd);
    expect(await p.ingest()).toMatchObject({ changed: false });
    expect(sha(p.mlmd)).toBe(before);
  });

  it('a command changed and changed back: the first command execution does not hide the newer version', async () => {
    const p = await project();
    const lockA = readFileSync(join(p.dir, 'dvc.lock'), 'utf8');
    await p.ingest();
    writeFileSync(join(p.dir, 'models/lr.pkl'), 'model lr B');
    p.stages['train@lr']!.outs = [await cachedEntry(p.dir, p.cache, 'models/lr.pkl')];
    p.stages['train@lr']!.cmd = 'python src/train.py lr --fast';
    writeFileSync(join(p.dir, 'dvc.lock'), lockText(p.stages, 'dvc3'));
    await p.ingest();
    writeFileSync(join(p.dir, 'dvc.lock'), lockA);
    const r = await p.ingest();
    expect(r.stageResults.find((s) => s.stage === 'train@lr')!.outcome).toBe('created');
    rmSync(join(p.dir, 'models/lr.pkl'));
    await pullArtifacts({ cwd: p.dir, projectRoot: p.dir, mlmdPath: p.mlmd, pipeline: 'project' });
    expect(readFileSync(join(p.dir, 'models/lr.pkl'))).toEqual(Buffer.from([0x80, 4, 7]));
  });

  it('a stage whose dep is behind its producer (the producer ran again) does not flip back and forth', async () => {
    const p = await project();
    await p.ingest();
    // train@rf ran again; evaluate@rf-test did not, so its lock entry still names model A.
    writeFileSync(join(p.dir, 'models/rf.pkl'), 'model B');
    p.stages['train@rf']!.outs = [await cachedEntry(p.dir, p.cache, 'models/rf.pkl')];
    writeFileSync(join(p.dir, 'dvc.lock'), lockText(p.stages, 'dvc3'));
    const r = await p.ingest();
    expect(r.executions).toEqual({ created: 0, reused: 1, unchanged: 5 });
    rmSync(join(p.dir, 'models/rf.pkl'));
    await pullArtifacts({ cwd: p.dir, projectRoot: p.dir, mlmdPath: p.mlmd, pipeline: 'project' });
    expect(readFileSync(join(p.dir, 'models/rf.pkl'), 'utf8')).toBe('model B');
    expect(await p.ingest()).toMatchObject({ changed: false });
  });
});

describe('cmf dvc ingest: lock file formats', () => {
  it.each(['dvc2', 'dvc1'] as const)(
    'a %s lock file (legacy entries, no hash key) records the same artifacts',
    async (format) => {
      const modern = await project('dvc3');
      await modern.ingest();
      const names = (db: MlmdSql) =>
        db.all<{ name: string }>('SELECT name FROM Artifact ORDER BY id').map((a) => a.name);
      const want = names(modern.db());
      sql!.close();
      sql = undefined;

      const p = await project(format);
      const r = await p.ingest();
      expect(r.lockSchema).toBe(format === 'dvc1' ? '1' : '2.0');
      expect(r.executions.created).toBe(6);
      expect(r.warnings).toEqual([]);
      // Same names, same hashes: the test project's files have no CRLF text.
      expect(names(p.db())).toEqual(want);
      const prepared = p
        .db()
        .all<{ id: number }>("SELECT id FROM Artifact WHERE name LIKE 'data/prepared:%'");
      const custom = p.db().props('Artifact', prepared[0]!.id).custom;
      if (format === 'dvc1') expect(custom).toEqual({ dvc_tracked: ['int', 1] });
      else expect(custom).toMatchObject({ size: ['int', 12], nfiles: ['int', 2] });
      expect((await p.ingest()).changed).toBe(false);
      // Legacy urls: the objects (here under files/md5, as after `dvc cache migrate`) go to
      // the remote's legacy layout, where DVC looks for the objects of legacy entries.
      const legacyKey = (o: string) => `${o.slice(0, 2)}/${o.slice(2)}`;
      const urls = p
        .db()
        .all<{ v: string }>("SELECT string_value AS v FROM ArtifactProperty WHERE name = 'url'");
      expect(urls.length).toBeGreaterThan(5);
      for (const { v } of urls)
        expect(
          v.startsWith(`project:${p.remote}/`) && /\/[0-9a-f]{2}\/[0-9a-f]{30}(\.dir)?$/.test(v),
          v,
        ).toBe(true);
      expect(urls.some(({ v }) => v.includes('/files/md5/'))).toBe(false);
      const pushed = await pushArtifacts({
        cwd: p.dir,
        projectRoot: p.dir,
        mlmdPath: p.mlmd,
        pipeline: 'project',
      });
      expect(pushed).toMatchObject({ failed: [], uploaded: p.pushedObjects.length });
      expect(listFiles(p.remote)).toEqual(p.pushedObjects.map(legacyKey).sort());
    },
  );
});

describe('cmf dvc ingest, then cmf artifact push', () => {
  it('pushes exactly the DVC-versioned outs and data to a local remote; code, params and cache: false outs stay home', async () => {
    const p = await project();
    await p.ingest();
    const push = () =>
      pushArtifacts({ cwd: p.dir, projectRoot: p.dir, mlmdPath: p.mlmd, pipeline: 'project' });
    const r = await push();
    expect(r.failed).toEqual([]);
    expect(r.skipped).toEqual([]);
    const onRemote = listFiles(p.remote);
    expect(onRemote).toEqual(
      p.pushedObjects.map((o) => `files/md5/${o.slice(0, 2)}/${o.slice(2)}`).sort(),
    );
    for (const f of onRemote) {
      expect(
        readFileSync(join(p.remote, f)).equals(readFileSync(join(p.dir, '.dvc/cache', f))),
      ).toBe(true);
    }
    const code = entry(p, 'prepare', 'deps', 1).md5;
    expect(onRemote.some((f) => f.endsWith(code.slice(2)))).toBe(false);
    expect(r.uploaded).toBe(p.pushedObjects.length);
    // The remote has it all now.
    expect(await push()).toMatchObject({
      uploaded: 0,
      present: p.pushedObjects.length,
      failed: [],
    });
  });
});

describe('cmf dvc ingest: bad input writes nothing', () => {
  async function rejected(p: Awaited<ReturnType<typeof project>>, lock: string | undefined) {
    if (lock === undefined) execFileSync('rm', [join(p.dir, 'dvc.lock')]);
    else writeFileSync(join(p.dir, 'dvc.lock'), lock);
    return failure(p.ingest());
  }

  it('no dvc.lock: not found (exit 3), no MLMD file made', async () => {
    const p = await project();
    const e = await rejected(p, undefined);
    expect(e).toMatchObject({ code: 'INGEST_NO_DVC_LOCK', exitCode: 3 });
    expect(e.message).toBe(`No dvc.lock in ${p.dir}`);
    expect(e.hint).toMatch(/dvc repro/);
    expect(existsSync(p.mlmd)).toBe(false);
  });

  // Stages of the project's dvc.yaml: a lock stage it does not define is skipped, not checked.
  it.each([
    [
      'a YAML syntax error',
      "schema: '2.0'\nstages:\n  a:\n    cmd: [x\n",
      'INGEST_YAML_SYNTAX',
      /^dvc\.lock:\d+: not valid YAML/,
    ],
    [
      'an unknown schema version',
      "schema: '3.0'\nstages: {}\n",
      'INGEST_LOCK_SCHEMA',
      /^dvc\.lock:1: unknown dvc\.lock schema version "3\.0"$/,
    ],
    [
      'a stage without cmd',
      "schema: '2.0'\nstages:\n  a:\n    cmd: x\n  b:\n    outs: []\n",
      'INGEST_LOCK_INVALID',
      /^dvc\.lock:5: stage b has no "cmd"$/,
    ],
  ])(
    '%s: exit 5 naming the line; an existing MLMD file is untouched',
    async (_, lock, code, message) => {
      const p = await project();
      await p.ingest();
      const before = sha(p.mlmd);
      const e = await rejected(p, lock);
      expect(e.code).toBe(code);
      expect(e.exitCode).toBe(5);
      expect(e.message).toMatch(message);
      expect(e.hint).toBeTruthy();
      expect(sha(p.mlmd)).toBe(before);
    },
  );

  it('a failure half-way through writing rolls everything back', async () => {
    const p = await project();
    // An execution type of the same name with a conflicting property: stage 2 cannot be written.
    const store = MlmdStore.open(p.mlmd);
    store.types.put(TypeKind.EXECUTION, 'project/featurize', {
      properties: { Execution: PropertyType.INT },
    });
    store.close();
    const before = sha(p.mlmd);
    const e = await failure(p.ingest());
    expect(e.message).toMatch(/declares property "Execution" as INT/);
    expect(sha(p.mlmd)).toBe(before);
    expect(p.db().counts()).toMatchObject({ Context: 0, Execution: 0, Artifact: 0, Event: 0 });
  });
});

describe('cmf dvc ingest: edge cases', () => {
  it('deps and outs outside the project (URLs, absolute paths, ../, other repos) are left out with one warning; the rest is recorded', async () => {
    const p = await project();
    const baseline = await project();
    const expected = await baseline.ingest();
    // As DVC 3 writes them: `hash: md5` with the remote's own hash (etag, checksum) for URLs,
    // an md5 for local files outside the repository.
    const external = [
      '    - path: ../shared/lookup.csv',
      '      hash: md5',
      '      md5: 92eb5ffee6ae2fec3ad71c777531578f',
      '      size: 10',
      '    - path: /srv/data/stop-words.txt',
      '      hash: md5',
      '      md5: 0cc175b9c0f1b6a831c399e269772661',
      '      size: 2',
      '    - path: https://example.com/data/extra.csv',
      '      hash: md5',
      `      checksum: '"5d41402abc4b2a76b9719d911017c592"'`,
      '      size: 5',
      '    - path: s3://bucket/raw/data.xml',
      '      hash: md5',
      '      etag: 9a0364b9e99bb480dd25e1f0284c8555-2',
      '      size: 123456',
      '    - path: data/registry.csv',
      '      repo:',
      '        url: https://github.com/example/registry',
      '        rev_lock: 0123456789abcdef0123456789abcdef01234567',
      '      md5: 3b5d5c3712955042212316173ccf37be',
      '',
    ].join('\n');
    const lock = readFileSync(join(p.dir, 'dvc.lock'), 'utf8').replace(
      '    params:\n      params.yaml:\n        prepare.seed',
      `${external}    params:\n      params.yaml:\n        prepare.seed`,
    );
    writeFileSync(join(p.dir, 'dvc.lock'), lock);
    const r = await p.ingest();
    expect(r).toMatchObject({
      stages: expected.stages,
      executions: expected.executions,
      artifacts: expected.artifacts,
    });
    expect(r.warnings).toEqual([
      'Not recorded: 5 external deps, outside the project (DVC neither caches nor pushes them; cmf records files inside the project only): ../shared/lookup.csv (dep of prepare), /srv/data/stop-words.txt (dep of prepare), https://example.com/data/extra.csv (dep of prepare), s3://bucket/raw/data.xml (dep of prepare), data/registry.csv of https://github.com/example/registry (dep of prepare)',
    ]);
    expect(r.external.map((x) => [x.path, x.reason, x.hash, x.repo])).toEqual([
      ['../shared/lookup.csv', 'outside', 'md5:92eb5ffee6ae2fec3ad71c777531578f', undefined],
      ['/srv/data/stop-words.txt', 'absolute', 'md5:0cc175b9c0f1b6a831c399e269772661', undefined],
      [
        'https://example.com/data/extra.csv',
        'url',
        'checksum:"5d41402abc4b2a76b9719d911017c592"',
        undefined,
      ],
      ['s3://bucket/raw/data.xml', 'url', 'etag:9a0364b9e99bb480dd25e1f0284c8555-2', undefined],
      [
        'data/registry.csv',
        'repo',
        'md5:3b5d5c3712955042212316173ccf37be',
        'https://github.com/example/registry',
      ],
    ]);
    expect(r.external[0]).toMatchObject({ stage: 'prepare', kind: 'dep', lockFile: 'dvc.lock' });
    // Nothing of them in MLMD: the same artifacts as without them.
    const names = (db: MlmdSql) =>
      db.all<{ name: string }>('SELECT name FROM Artifact ORDER BY name').map((a) => a.name);
    const recorded = names(p.db());
    sql?.close();
    sql = undefined;
    expect(recorded).toEqual(names(baseline.db()));
    expect((await p.ingest()).changed).toBe(false);
  });

  it('pipelines inside outputs (a stage out, a dvc add-ed directory) are data: not read, as DVC does not read them', async () => {
    const p = await project();
    const inner = {
      'dvc.yaml': 'stages:\n  inner:\n    cmd: echo hi > hi.txt\n    outs:\n    - hi.txt\n',
      'dvc.lock': `schema: '2.0'\nstages:\n  inner:\n    cmd: echo hi > hi.txt\n    outs:\n    - path: hi.txt\n      hash: md5\n      md5: ${'a'.repeat(32)}\n      size: 3\n`,
    };
    for (const dir of ['data/prepared/vendored', 'raw', 'sub'])
      for (const [name, text] of Object.entries(inner)) {
        execFileSync('mkdir', ['-p', join(p.dir, dir)]);
        writeFileSync(join(p.dir, dir, name), text);
      }
    // raw/ is tracked by raw.dvc, as `dvc add raw` leaves it; sub/ is an ordinary folder.
    writeFileSync(join(p.dir, 'raw.dvc'), `outs:\n- md5: ${'b'.repeat(32)}.dir\n  path: raw\n`);
    const r = await p.ingest();
    expect(r.lockFiles).toEqual(['dvc.lock', 'sub/dvc.lock']);
    expect(r.stageResults.map((s) => s.stage)).toContain('sub/dvc.yaml:inner');
    expect(
      r.stageResults.some((s) => s.stage.includes('vendored') || s.stage.startsWith('raw')),
    ).toBe(false);
    expect(r.warnings).toEqual([]);
  });

  it('a dep without a hash is recorded by its path with a warning, and push ignores it', async () => {
    const p = await project();
    const lock = readFileSync(join(p.dir, 'dvc.lock'), 'utf8').replace(
      '    params:\n      params.yaml:\n        prepare.seed',
      '    - path: data/extra.csv\n    params:\n      params.yaml:\n        prepare.seed',
    );
    writeFileSync(join(p.dir, 'dvc.lock'), lock);
    const r = await p.ingest();
    expect(r.warnings).toEqual([
      'stage prepare: dep data/extra.csv has no hash in dvc.lock (DVC does not track it); recorded without a version',
    ]);
    const a = p
      .db()
      .all<{ id: number; uri: string | null }>(
        "SELECT id, uri FROM Artifact WHERE name = 'data/extra.csv'",
      );
    expect(a).toHaveLength(1);
    expect(p.db().props('Artifact', a[0]!.id)).toEqual({
      declared: { git_repo: ['string', GIT_REPO] },
      custom: { dvc_tracked: ['int', 0] },
    });
    expect((await p.ingest()).changed).toBe(false);
    const pushed = await pushArtifacts({
      cwd: p.dir,
      projectRoot: p.dir,
      mlmdPath: p.mlmd,
      pipeline: 'project',
    });
    expect(pushed).toMatchObject({ failed: [], skipped: [], uploaded: p.pushedObjects.length });
  });

  it('push: false content is marked dvc_push = 0, and unmarked once an out of it may be pushed', async () => {
    const p = await project();
    const md5 = entry(p, 'train@rf', 'outs', 0).md5;
    const mark = () =>
      p
        .db()
        .props(
          'Artifact',
          p.db().all<{ id: number }>('SELECT id FROM Artifact WHERE uri = ?', md5)[0]!.id,
        ).custom;
    // models/rf.pkl declared push: false: its artifact (and the dep of evaluate@rf-test) is marked.
    const yaml = readFileSync(join(p.dir, 'dvc.yaml'), 'utf8');
    writeFileSync(
      join(p.dir, 'dvc.yaml'),
      yaml.replace(
        '      outs:\n      - models/${item}.pkl\n',
        '      outs:\n      - models/${item}.pkl:\n          push: false\n',
      ),
    );
    await p.ingest();
    expect(mark()).toMatchObject({ dvc_tracked: ['int', 1], dvc_push: ['int', 0] });
    sql?.close();
    sql = undefined;
    // The same content as an out that may be pushed (push: false dropped): pushed from now on.
    writeFileSync(join(p.dir, 'dvc.yaml'), yaml);
    const lock = readFileSync(join(p.dir, 'dvc.lock'), 'utf8');
    writeFileSync(
      join(p.dir, 'dvc.lock'),
      lock.replace(/cmd: python src\/train\.py rf/, 'cmd: python src/train.py rf --again'),
    );
    await p.ingest();
    expect(mark()).toMatchObject({ dvc_tracked: ['int', 1], dvc_push: ['int', 1] });
  });

  it('the pipeline name: -p, else the only pipeline in the file, else the directory name; several is an error', async () => {
    const p = await project();
    expect((await p.ingest({ pipeline: 'Test-env' })).pipeline).toBe('Test-env');
    const again: IngestResult = await p.ingest();
    expect(again).toMatchObject({ pipeline: 'Test-env', changed: false });
    await p.ingest({ pipeline: 'other' });
    const e = await failure(p.ingest());
    expect(e).toMatchObject({ code: 'PIPELINE_AMBIGUOUS', exitCode: 2 });
    expect(e.hint).toMatch(/-p .*Test-env, other/);
    // The second pipeline shares the artifacts and adds its url entry.
    const url = p
      .db()
      .all<{ v: string }>(
        "SELECT string_value AS v FROM ArtifactProperty WHERE name = 'url' LIMIT 1",
      )[0]!.v;
    expect(url.split(',').map((u) => u.split(':')[0])).toEqual(['Test-env', 'other']);
  });

  it('outside git: Git fields are empty and a warning says so; no default remote is exit 4', async () => {
    const p = await project();
    execFileSync('rm', ['-rf', join(p.dir, '.git')]);
    const r = await p.ingest();
    expect(r.warnings).toEqual([expect.stringMatching(/^Not a git repository/)]);
    const id = p.db().all<{ id: number }>('SELECT id FROM Execution LIMIT 1')[0]!.id;
    expect(p.db().props('Execution', id).declared).toMatchObject({
      Git_Repo: ['string', ''],
      Git_Start_Commit: ['string', ''],
      Git_End_Commit: ['string', ''],
    });
    writeFileSync(join(p.dir, '.dvc/config'), '');
    const e = await failure(p.ingest());
    expect(e).toMatchObject({ code: 'NO_DEFAULT_REMOTE', exitCode: 4 });
  });
});
