/**
 * Small MLMD files in the shape cmflib writes (types, properties, stage links, events,
 * attributions), built through src/mlmd with a fixed clock so exports are byte-stable.
 */
import { join } from 'node:path';
import {
  ARTIFACT_TYPES,
  CONTEXT_TYPES,
  EXECUTION_PROPERTIES,
  PARENT_CONTEXT,
  PIPELINE_STAGE,
} from '../../src/cmf/conventions.js';
import {
  EventType,
  MlmdStore,
  TypeKind,
  doubleValue,
  type PropertyInputs,
} from '../../src/mlmd/index.js';

export const T0 = 1_698_650_991_000; // Mon 30 Oct 2023 07:29:51 GMT

export class FixtureBuilder {
  private t = T0;
  readonly store: MlmdStore;

  constructor(path: string) {
    this.store = MlmdStore.open(path, { clock: () => this.t++ });
  }

  pipeline(name: string, custom: PropertyInputs = {}): number {
    const typeId = this.store.types.put(TypeKind.CONTEXT, PARENT_CONTEXT, {
      properties: CONTEXT_TYPES[PARENT_CONTEXT],
    }).id;
    return this.store.contexts.create({
      typeId,
      name,
      properties: { Pipeline: name },
      customProperties: custom,
    }).id;
  }

  stage(pipelineId: number, name: string, custom: PropertyInputs = {}): number {
    const typeId = this.store.types.put(TypeKind.CONTEXT, PIPELINE_STAGE, {
      properties: CONTEXT_TYPES[PIPELINE_STAGE],
    }).id;
    const id = this.store.contexts.create({
      typeId,
      name,
      properties: { Pipeline_Stage: name },
      customProperties: custom,
    }).id;
    this.store.links.addParentContext(id, pipelineId);
    return id;
  }

  execution(
    pipeline: { id: number; name: string },
    stage: { id: number; name: string },
    opts: { type: string; uuid: string; name?: string; custom?: PropertyInputs; cmd?: string },
  ): number {
    const typeId = this.store.types.put(TypeKind.EXECUTION, opts.type, {
      properties: EXECUTION_PROPERTIES,
    }).id;
    const id = this.store.executions.create({
      typeId,
      name: opts.name ?? null,
      properties: {
        Execution_uuid: opts.uuid,
        Context_Type: stage.name,
        Context_ID: stage.id,
        Execution: opts.cmd ?? "['src/run.py']",
        Execution_type_name: stage.name,
        Pipeline_Type: pipeline.name,
        Pipeline_id: pipeline.id,
        Git_Repo: 'https://github.com/example/project.git',
        Git_Start_Commit: 'a1b2c3',
        Git_End_Commit: '',
      },
      customProperties: opts.custom ?? {},
    }).id;
    this.store.links.associate(stage.id, id);
    return id;
  }

  artifact(
    stageId: number,
    executionId: number,
    opts: {
      type: keyof typeof ARTIFACT_TYPES;
      name: string;
      uri: string;
      event: 'input' | 'output';
      properties?: PropertyInputs;
      custom?: PropertyInputs;
    },
  ): number {
    const typeId = this.store.types.put(TypeKind.ARTIFACT, opts.type, {
      properties: ARTIFACT_TYPES[opts.type],
    }).id;
    const id = this.store.artifacts.create({
      typeId,
      name: opts.name,
      uri: opts.uri,
      properties: opts.properties ?? {},
      customProperties: opts.custom ?? {},
    }).id;
    this.link(executionId, id, opts.event);
    this.store.links.attribute(stageId, id);
    return id;
  }

  link(executionId: number, artifactId: number, event: 'input' | 'output'): void {
    this.store.links.putEvent({
      artifactId,
      executionId,
      type: event === 'input' ? EventType.INPUT : EventType.OUTPUT,
    });
  }

  close(): void {
    this.store.close();
  }
}

/**
 * Two pipelines: `Test-env` (Prepare: a dataset in, two out; Train: a named execution with a
 * model and metrics) and `Metrics-only` (one Metrics artifact, none of the 7 list columns
 * but id, name, type and time). Returns the MLMD path.
 */
export function buildSmallFixture(dir: string): string {
  const path = join(dir, 'mlmd');
  const b = new FixtureBuilder(path);
  const p = { id: b.pipeline('Test-env'), name: 'Test-env' };
  const prep = {
    id: b.stage(p.id, 'Test-env/Prepare', { 'user-metadata1': 'metadata_value' }),
    name: 'Test-env/Prepare',
  };
  const e1 = b.execution(p, prep, {
    type: 'Prepare',
    uuid: 'e8a1c7e2-76f3-11ee-9a0f-0242ac110002',
    custom: {
      seed: 42,
      split: '0.2',
      lr: doubleValue(3000),
      Python_Env: 'cmf_artifacts/python_env_1.yaml',
    },
    cmd: "['src/parse.py', 'artifacts/data.xml.gz', 'artifacts/parsed']",
  });
  const url = (h: string) =>
    `Test-env:/home/user/local-storage/files/md5/${h.slice(0, 2)}/${h.slice(2)}`;
  const h1 = '236d9502e0283d91f689d7038b8508a2';
  const h2 = '5e9f1d2a0c3b4a5d6e7f8091a2b3c4d5';
  const h3 = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
  b.artifact(prep.id, e1, {
    type: 'Dataset',
    name: `artifacts/data.xml.gz:${h1}`,
    uri: h1,
    event: 'input',
    properties: { git_repo: 'https://github.com/example/project.git', Commit: h1, url: url(h1) },
    custom: { 'user-metadata1': 'metadata_value', note: 'naïve ✓', type: 'raw' },
  });
  const train = b.artifact(prep.id, e1, {
    type: 'Dataset',
    name: `artifacts/parsed/train.tsv:${h2}`,
    uri: h2,
    event: 'output',
    properties: { git_repo: 'https://github.com/example/project.git', Commit: h2, url: url(h2) },
  });
  const trainStage = { id: b.stage(p.id, 'Test-env/Train'), name: 'Test-env/Train' };
  const e2 = b.execution(p, trainStage, {
    type: 'Test-env/Train',
    name: 'Test-env/Train',
    uuid: 'f0000000-76f3-11ee-9a0f-0242ac110002,f1111111-76f3-11ee-9a0f-0242ac110002',
  });
  b.link(e2, train, 'input');
  b.artifact(trainStage.id, e2, {
    type: 'Model',
    name: `artifacts/model/model.pkl:${h3}:${e2}`,
    uri: h3,
    event: 'output',
    properties: {
      model_framework: 'SKlearn',
      model_type: 'RandomForestClassifier',
      model_name: 'RandomForestClassifier:default',
      Commit: h3,
      url: url(h3),
    },
  });
  b.artifact(trainStage.id, e2, {
    type: 'Metrics',
    name: `metrics:1e4d3c2b-76f4-11ee-9a0f-0242ac110002:${e2}`,
    uri: '1e4d3c2b-76f4-11ee-9a0f-0242ac110002',
    event: 'output',
    properties: { metrics_name: `metrics:1e4d3c2b-76f4-11ee-9a0f-0242ac110002:${e2}` },
    custom: { avg_prec: doubleValue(0.25), roc_auc: 0.9, count: 3 },
  });

  const m = { id: b.pipeline('Metrics-only'), name: 'Metrics-only' };
  const ms = { id: b.stage(m.id, 'Metrics-only/Eval'), name: 'Metrics-only/Eval' };
  const e3 = b.execution(m, ms, { type: 'Eval', uuid: '11111111-0000-11ee-9a0f-0242ac110002' });
  b.artifact(ms.id, e3, {
    type: 'Metrics',
    name: `metrics:22222222-0000-11ee-9a0f-0242ac110002:${e3}`,
    uri: '22222222-0000-11ee-9a0f-0242ac110002',
    event: 'output',
    properties: { metrics_name: `metrics:22222222-0000-11ee-9a0f-0242ac110002:${e3}` },
    custom: { accuracy: doubleValue(1) },
  });
  b.pipeline('Empty');
  b.close();
  return path;
}
