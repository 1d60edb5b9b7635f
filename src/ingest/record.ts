/**
 * Writes an ingest plan into MLMD as cmflib's conventions say (spec/cmf-reference.md §5):
 * the pipeline's `Parent_Context`, one `Pipeline_Stage` context per stage (child of the
 * pipeline), one execution per stage and command (type `<pipeline>/<stage>`, cmflib's ten
 * properties, params as typed custom properties), `Dataset` artifacts `<path>:<hash>` (uri
 * and Commit = the hash, `url` = `<pipeline>:<remote>/files/md5/xx/rest`, custom `size`,
 * `nfiles`, `dvc_tracked`), events, attributions. Everything happens in one transaction.
 *
 * Idempotent: an execution with the same stage and command is reused; it gets a new uuid
 * (a new run) only when the lock file brings something it does not have yet (a new
 * artifact version, a changed param). Nothing is written when nothing changed.
 */
import { v1 as uuid1 } from 'uuid';
import { recordArtifact, type Scope } from '../cmf/artifact-logging.js';
import { DVC_TRACKED_PROPERTY, PARENT_CONTEXT, PIPELINE_STAGE } from '../cmf/conventions.js';
import { TypeRegistry } from '../cmf/types.js';
import { pipelineUrl } from '../cmf/url.js';
import {
  EventType,
  intValue,
  type MlmdExecution,
  type MlmdStore,
  type PropertyValue,
} from '../mlmd/index.js';
import type { IngestPlan, PlannedFile, PlannedStage } from './plan.js';

export interface RecordOptions {
  pipeline: string;
  /** The DVC default remote's url. */
  remoteUrl: string;
  /** `Git_Repo` / `git_repo` ('' without a git remote). */
  gitRepo: string;
  /** `Git_Start_Commit` and `Git_End_Commit` of new executions ('' without commits). */
  gitCommit: string;
}

export type StageOutcome = 'created' | 'reused' | 'unchanged';

export interface StageRecord {
  stage: string;
  context: string;
  executionId: number;
  outcome: StageOutcome;
}

export interface RecordCounts {
  pipelineCreated: boolean;
  stagesCreated: number;
  executions: Record<StageOutcome, number>;
  artifacts: { created: number; linked: number; unchanged: number };
  stages: StageRecord[];
}

function sameValue(a: PropertyValue | undefined, b: PropertyValue): boolean {
  return a !== undefined && a.type === b.type && String(a.value) === String(b.value);
}

function stringProp(e: MlmdExecution, key: string): string {
  const v = e.properties[key];
  return v?.type === 'string' ? v.value : '';
}

class Recorder {
  private readonly types: TypeRegistry;
  private readonly countEvents;
  readonly counts: RecordCounts = {
    pipelineCreated: false,
    stagesCreated: 0,
    executions: { created: 0, reused: 0, unchanged: 0 },
    artifacts: { created: 0, linked: 0, unchanged: 0 },
    stages: [],
  };

  constructor(
    private readonly store: MlmdStore,
    private readonly opts: RecordOptions,
  ) {
    // A fresh registry: types it creates inside the transaction vanish with a rollback.
    this.types = new TypeRegistry(store);
    this.countEvents = store.database.prepare(
      'SELECT count(*) AS n FROM Event WHERE execution_id = ?',
    );
  }

  private events(executionId: number): number {
    return Number((this.countEvents.get(executionId) as { n: number | bigint }).n);
  }

  run(plan: IngestPlan): RecordCounts {
    const { store, opts } = this;
    const pipeline = store.contexts.getOrCreate({
      typeId: this.types.context(PARENT_CONTEXT),
      name: opts.pipeline,
      properties: { Pipeline: opts.pipeline },
    });
    this.counts.pipelineCreated = pipeline.created;
    for (const stage of plan.stages) this.stage(pipeline.value.id, stage);
    return this.counts;
  }

  private stage(pipelineId: number, s: PlannedStage): void {
    const { store, opts } = this;
    const name = `${opts.pipeline}/${s.name}`;
    const ctx = store.contexts.getOrCreate({
      typeId: this.types.context(PIPELINE_STAGE),
      name,
      properties: { Pipeline_Stage: name },
    });
    if (ctx.created) this.counts.stagesCreated++;
    store.links.addParentContext(ctx.value.id, pipelineId);
    const stageId = ctx.value.id;

    // The stage's execution running this command, if ingested (or logged) before.
    const existing = store.executions
      .byContext(stageId)
      .filter((e) => stringProp(e, 'Execution') === s.cmd)
      .pop();
    const execution =
      existing ??
      store.executions.create({
        typeId: this.types.execution(name),
        properties: {
          Execution_uuid: uuid1(),
          Context_Type: name,
          Context_ID: stageId,
          Execution: s.cmd,
          Execution_type_name: name,
          Pipeline_Type: opts.pipeline,
          Pipeline_id: pipelineId,
          Git_Repo: opts.gitRepo,
          Git_Start_Commit: opts.gitCommit,
          Git_End_Commit: opts.gitCommit,
        },
        customProperties: s.params,
      });
    store.links.associate(stageId, execution.id);

    const before = existing ? this.events(execution.id) : 0;
    const scope: Scope = { store, stageId, executionId: execution.id };
    for (const d of s.deps) this.file(scope, d, EventType.INPUT);
    for (const o of s.outs) this.file(scope, o, EventType.OUTPUT);

    let outcome: StageOutcome = 'created';
    if (existing) {
      const changedParams = Object.entries(s.params).filter(
        ([k, v]) => !sameValue(existing.customProperties[k], v),
      );
      const newRun = this.events(execution.id) > before || changedParams.length > 0;
      outcome = newRun ? 'reused' : 'unchanged';
      if (newRun) {
        const uuids = stringProp(existing, 'Execution_uuid');
        store.executions.update(existing.id, {
          properties: { Execution_uuid: uuids === '' ? uuid1() : `${uuids},${uuid1()}` },
          customProperties: Object.fromEntries(changedParams),
        });
      }
    }
    this.counts.executions[outcome]++;
    this.counts.stages.push({ stage: s.name, context: name, executionId: execution.id, outcome });
  }

  private file(scope: Scope, f: PlannedFile, event: EventType): void {
    const before = this.events(scope.executionId);
    const created =
      f.oid === undefined
        ? this.unversioned(scope, f, event)
        : this.versioned(scope, f, f.oid, event);
    if (created) this.counts.artifacts.created++;
    else if (this.events(scope.executionId) > before) this.counts.artifacts.linked++;
    else this.counts.artifacts.unchanged++;
  }

  /** A file with a hash: cmflib's Dataset, found again by its content (same uri and type). */
  private versioned(scope: Scope, f: PlannedFile, oid: string, event: EventType): boolean {
    const { opts } = this;
    const url = pipelineUrl(opts.pipeline, opts.remoteUrl, oid);
    const custom: Record<string, PropertyValue> = {
      [DVC_TRACKED_PROPERTY]: intValue(f.versioned ? 1 : 0),
    };
    if (f.size !== undefined) custom.size = intValue(f.size);
    if (f.nfiles !== undefined) custom.nfiles = intValue(f.nfiles);
    const r = recordArtifact(scope, {
      typeId: this.types.artifact('Dataset'),
      name: `${f.path}:${oid}`,
      uri: oid,
      properties: { git_repo: opts.gitRepo, Commit: oid, url },
      custom,
      event,
      url: { entry: url, targets: 'first' },
    });
    // Content first seen as an unversioned file (say, a config file) is now a DVC output.
    const mark = r.artifact.customProperties[DVC_TRACKED_PROPERTY];
    if (!r.created && f.versioned && mark?.type === 'int' && Number(mark.value) === 0) {
      this.store.artifacts.update(r.artifact.id, {
        customProperties: { [DVC_TRACKED_PROPERTY]: intValue(1) },
      });
    }
    return r.created;
  }

  /** A dep DVC recorded no hash for: a Dataset named by its path alone, never pushed. */
  private unversioned(scope: Scope, f: PlannedFile, event: EventType): boolean {
    const { store } = this;
    const typeId = this.types.artifact('Dataset');
    const found = store.artifacts.getByName(typeId, f.path, { properties: false });
    if (found) {
      const linked = store.links
        .eventsOfArtifacts([found.id])
        .some((e) => e.executionId === scope.executionId);
      if (!linked) {
        store.links.putEvent({
          artifactId: found.id,
          executionId: scope.executionId,
          type: event,
          path: [{ key: f.path }],
        });
      }
      return false;
    }
    const a = store.artifacts.create({
      typeId,
      name: f.path,
      properties: { git_repo: this.opts.gitRepo },
      customProperties: { [DVC_TRACKED_PROPERTY]: intValue(0) },
    });
    store.links.putEvent({ artifactId: a.id, executionId: scope.executionId, type: event });
    store.links.attribute(scope.stageId, a.id);
    return true;
  }
}

/** Records the plan in one transaction: all of it, or (on any error) nothing. */
export function recordPlan(store: MlmdStore, plan: IngestPlan, opts: RecordOptions): RecordCounts {
  return store.transaction(() => new Recorder(store, opts).run(plan));
}
