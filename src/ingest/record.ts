/**
 * Writes an ingest plan into MLMD as cmflib's conventions say (spec/cmf-reference.md §5):
 * the pipeline's `Parent_Context`, one `Pipeline_Stage` context per stage (child of the
 * pipeline), one execution per stage and command (type `<pipeline>/<stage>`, cmflib's ten
 * properties, params as typed custom properties), `Dataset` artifacts `<path>:<hash>` (uri
 * and Commit = the hash, `url` = `<pipeline>:<remote>/files/md5/xx/rest` (legacy entries:
 * `<remote>/xx/rest`), custom `size`,
 * `nfiles`, `dvc_tracked`, and `dvc_push` = 0 for `push: false` outs), events, attributions. Everything happens in one transaction.
 *
 * Idempotent: an execution with the same stage and command is reused; it gets a new uuid
 * (a new run) only when the lock file brings something it does not have yet (a new
 * artifact version, a changed param). Nothing is written when nothing changed.
 *
 * The versions dvc.lock names end up the newest recorded at their paths (`cmf artifact pull`
 * restores the newest event's version of each path): a lock file that goes back to versions
 * the reused execution already links (an older dvc.lock checked out again, a param toggled
 * back) makes a new execution, since MLMD keeps one event per artifact and execution.
 */
import { v1 as uuid1 } from 'uuid';
import { eventPath } from '../artifacts/collect.js';
import { artifactPath } from '../cmf/artifact-name.js';
import {
  DVC_PUSH_PROPERTY,
  DVC_TRACKED_PROPERTY,
  PARENT_CONTEXT,
  PIPELINE_STAGE,
} from '../cmf/conventions.js';
import { pipelineExecutions } from '../cmf/query.js';
import { TypeRegistry } from '../cmf/types.js';
import { mergeUrl, pipelineUrl } from '../cmf/url.js';
import {
  EventType,
  intValue,
  type ArtifactInput,
  type MlmdContext,
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
type FileOutcome = 'created' | 'linked' | 'unchanged';

interface Scope {
  stageId: number;
  executionId: number;
}

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
  private readonly sql;
  readonly counts: RecordCounts = {
    pipelineCreated: false,
    stagesCreated: 0,
    executions: { created: 0, reused: 0, unchanged: 0 },
    artifacts: { created: 0, linked: 0, unchanged: 0 },
    stages: [],
  };
  private readonly store: MlmdStore;
  private readonly opts: RecordOptions;
  /** Path → the artifact of the newest event recording that path in the pipeline. */
  private latest = new Map<string, number>();

  constructor(store: MlmdStore, opts: RecordOptions) {
    this.store = store;
    this.opts = opts;
    // A fresh registry: types it creates inside the transaction vanish with a rollback.
    this.types = new TypeRegistry(store);
    const db = store.database;
    this.sql = {
      byUri: db.prepare('SELECT id FROM Artifact WHERE uri = ? AND type_id = ? ORDER BY id'),
      linked: db.prepare('SELECT 1 FROM Event WHERE artifact_id = ? AND execution_id = ? LIMIT 1'),
      url: db.prepare(
        "SELECT string_value AS v FROM ArtifactProperty WHERE artifact_id = ? AND name = 'url' AND is_custom_property = 0",
      ),
      custom: db.prepare(
        'SELECT int_value AS v FROM ArtifactProperty WHERE artifact_id = ? AND name = ? AND is_custom_property = 1',
      ),
    };
  }

  run(plan: IngestPlan): RecordCounts {
    const { store, opts } = this;
    const pipeline = store.contexts.getOrCreate({
      typeId: this.types.context(PARENT_CONTEXT),
      name: opts.pipeline,
      properties: { Pipeline: opts.pipeline },
    });
    this.counts.pipelineCreated = pipeline.created;
    if (!pipeline.created) this.latest = this.latestByPath(pipeline.value);
    for (const stage of plan.stages) this.stage(pipeline.value.id, stage);
    return this.counts;
  }

  /** What each path's newest event records, as pull picks it (events in id order). */
  private latestByPath(pipeline: MlmdContext): Map<string, number> {
    const { store } = this;
    const { executions } = pipelineExecutions(store, pipeline);
    const events = store.links.eventsOfExecutions(executions.map((e) => e.id));
    const ids = [...new Set(events.map((e) => e.artifactId))];
    const artifacts = new Map(
      store.artifacts.getMany(ids, { properties: false }).map((a) => [a.id, a]),
    );
    const latest = new Map<string, number>();
    for (const e of events) {
      const a = artifacts.get(e.artifactId);
      if (a?.name) latest.set(eventPath(e, a, artifactPath(a.name, a.uri)), a.id);
    }
    return latest;
  }

  /**
   * The artifact a planned file is known as, if any: the one a link would use. The lookups
   * are the same as versioned()'s and unversioned()'s, without writing.
   */
  private known(f: PlannedFile): number | undefined {
    const typeId = this.types.artifact('Dataset');
    if (f.oid === undefined) {
      return this.store.artifacts.getByName(typeId, f.path, { properties: false })?.id;
    }
    const rows = this.sql.byUri.all(f.oid, typeId) as { id: number | bigint }[];
    return rows.length === 0 ? undefined : Number(rows[rows.length - 1]!.id);
  }

  /**
   * True when the execution already links a version dvc.lock names that is not the newest at
   * its path any more (a later ingest recorded another one): linking it again there would
   * change nothing, so the stage needs a new execution for it to be the newest again.
   */
  private goesBack(executionId: number, s: PlannedStage): boolean {
    return [...s.deps, ...s.outs].some((f) => {
      if (!f.current) return false;
      const id = this.known(f);
      return id !== undefined && this.latest.get(f.path) !== id && this.linked(id, executionId);
    });
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
    const last = store.executions
      .byContext(stageId)
      .filter((e) => stringProp(e, 'Execution') === s.cmd)
      .pop();
    const existing = last && !this.goesBack(last.id, s) ? last : undefined;
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

    const scope: Scope = { stageId, executionId: execution.id };
    const files = [
      ...s.deps.map((d) => this.file(scope, d, EventType.INPUT)),
      ...s.outs.map((o) => this.file(scope, o, EventType.OUTPUT)),
    ];

    let outcome: StageOutcome = 'created';
    if (existing) {
      const changedParams = Object.entries(s.params).filter(
        ([k, v]) => !sameValue(existing.customProperties[k], v),
      );
      const newRun = files.some((o) => o !== 'unchanged') || changedParams.length > 0;
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

  private file(scope: Scope, f: PlannedFile, event: EventType): FileOutcome {
    const outcome =
      f.oid === undefined
        ? this.unversioned(scope, f, event)
        : this.versioned(scope, f, f.oid, event);
    this.counts.artifacts[outcome]++;
    return outcome;
  }

  /** True when an event already links the artifact and the execution (UNIQUE index lookup). */
  private linked(artifactId: number, executionId: number): boolean {
    return this.sql.linked.get(artifactId, executionId) !== undefined;
  }

  /** A new artifact: its event (no path) and its attribution to the stage, as cmflib writes them. */
  private create(scope: Scope, path: string, input: ArtifactInput, event: EventType): FileOutcome {
    const a = this.store.artifacts.create(input);
    this.store.links.putEvent({ artifactId: a.id, executionId: scope.executionId, type: event });
    this.latest.set(path, a.id);
    this.store.links.attribute(scope.stageId, a.id);
    return 'created';
  }

  /** Links known content to the execution: an event whose path step is the name used now. */
  private link(
    scope: Scope,
    artifactId: number,
    path: string,
    name: string,
    event: EventType,
  ): FileOutcome {
    if (this.linked(artifactId, scope.executionId)) return 'unchanged';
    this.store.links.putEvent({
      artifactId,
      executionId: scope.executionId,
      type: event,
      path: [{ key: name }],
    });
    this.latest.set(path, artifactId);
    return 'linked';
  }

  /**
   * A file with a hash: cmflib's Dataset, found again by its content (same uri and type; the
   * first such artifact's url gains this pipeline's entry, the last one is linked), as
   * src/cmf/artifact-logging.ts does for the Cmf API. Written out here with indexed lookups
   * because ingest links one code file to thousands of foreach stages, and the generic
   * version reads every event of the artifact for each link.
   */
  private versioned(scope: Scope, f: PlannedFile, oid: string, event: EventType): FileOutcome {
    const { opts, store } = this;
    const typeId = this.types.artifact('Dataset');
    // A legacy (DVC 2.x) entry's object lives in the remote's legacy layout, as DVC keeps it.
    const url = pipelineUrl(opts.pipeline, opts.remoteUrl, oid, { legacy: f.legacy });
    const name = `${f.path}:${oid}`;
    const ids = (this.sql.byUri.all(oid, typeId) as { id: number | bigint }[]).map((r) =>
      Number(r.id),
    );
    if (ids.length === 0) {
      const custom: Record<string, PropertyValue> = {
        [DVC_TRACKED_PROPERTY]: intValue(f.versioned ? 1 : 0),
      };
      if (f.versioned && !f.push) custom[DVC_PUSH_PROPERTY] = intValue(0);
      if (f.size !== undefined) custom.size = intValue(f.size);
      if (f.nfiles !== undefined) custom.nfiles = intValue(f.nfiles);
      return this.create(
        scope,
        f.path,
        {
          typeId,
          name,
          uri: oid,
          properties: { git_repo: opts.gitRepo, Commit: oid, url },
          customProperties: custom,
        },
        event,
      );
    }
    const first = ids[0]!;
    const last = ids[ids.length - 1]!;
    const urls = (this.sql.url.get(first) as { v: string } | undefined)?.v ?? '';
    if (mergeUrl(urls, url) !== urls) {
      store.artifacts.update(first, { properties: { url: mergeUrl(urls, url) } });
    }
    if (f.versioned) this.markVersioned(last, f.push);
    return this.link(scope, last, f.path, name, event);
  }

  /** An ingest mark (custom int property) of an artifact: 0, 1, or undefined when absent. */
  private mark(artifactId: number, name: string): number | undefined {
    const row = this.sql.custom.get(artifactId, name) as { v: number | bigint | null } | undefined;
    return row === undefined || row.v === null ? undefined : Number(row.v);
  }

  /**
   * Known content seen now as a DVC-versioned file: content first seen unversioned (say, a
   * config file) becomes versioned (pushed unless this file is `push: false`), and content
   * marked `push: false` is pushed once some stage's out of it may be.
   */
  private markVersioned(artifactId: number, push: boolean): void {
    const custom: Record<string, PropertyValue> = {};
    if (this.mark(artifactId, DVC_TRACKED_PROPERTY) === 0) {
      custom[DVC_TRACKED_PROPERTY] = intValue(1);
      if (!push) custom[DVC_PUSH_PROPERTY] = intValue(0);
    } else if (push && this.mark(artifactId, DVC_PUSH_PROPERTY) === 0) {
      custom[DVC_PUSH_PROPERTY] = intValue(1);
    }
    if (Object.keys(custom).length > 0)
      this.store.artifacts.update(artifactId, { customProperties: custom });
  }

  /** A dep DVC recorded no hash for: a Dataset named by its path alone, never pushed. */
  private unversioned(scope: Scope, f: PlannedFile, event: EventType): FileOutcome {
    const typeId = this.types.artifact('Dataset');
    const found = this.store.artifacts.getByName(typeId, f.path, { properties: false });
    if (found) return this.link(scope, found.id, f.path, f.path, event);
    return this.create(
      scope,
      f.path,
      {
        typeId,
        name: f.path,
        properties: { git_repo: this.opts.gitRepo },
        customProperties: { [DVC_TRACKED_PROPERTY]: intValue(0) },
      },
      event,
    );
  }
}

/** Records the plan in one transaction: all of it, or (on any error) nothing. */
export function recordPlan(store: MlmdStore, plan: IngestPlan, opts: RecordOptions): RecordCounts {
  return store.transaction(() => new Recorder(store, opts).run(plan));
}
