/**
 * Merge of a pipeline's exchange document (`{"Pipeline": [...]}`, spec §6.1) into an MLMD
 * store: what the metadata server does with `cmf metadata push` and the client with
 * `cmf metadata pull` (cmflib's `update_mlmd` and `parse_json_to_mlmd`, §6.2–§6.3), written
 * once for every AsyncMlmdStore backend.
 *
 * Outcome, before anything is written:
 * - `invalid_json_payload`: not JSON, not an object, or no pipelines in it;
 *   InvalidDocumentError (CMF_INVALID_DOCUMENT) for any other malformed part;
 * - `pipeline_not_exist`: the requested pipeline is not in the document;
 * - `version_update`: an execution without `Execution_uuid` (written by an old cmf);
 * - EXECUTION_NOT_FOUND (NotFoundError) when `executionUuid` names no execution of it;
 * - `exists`: every execution is already in the store (nothing is written at all);
 * - `success`: the new executions were merged.
 *
 * Dedupe, by execution uuid: an execution is skipped when every one of its uuids is known to
 * the receiver (in that pipeline) or was merged earlier from the same document, so an
 * execution listed twice, or holding several uuids, is merged once (cmflib merges it once
 * per uuid, §11.9). An execution that brings a uuid the receiver lacks is merged into the
 * receiver's execution of that type and name when it is named (reused), else into the
 * receiver's execution holding one of its other uuids (an execution reused without a name,
 * as `cmf dvc ingest` records a re-run), else it is created; a reused execution's uuid list
 * becomes the union, and its new events and artifacts join it. (cmflib skips an unnamed
 * execution as soon as one of its uuids is known, so such a re-run never reaches it.)
 *
 * Writes: the whole merge is one `store.transaction` — all of it lands or none of it; any
 * error rolls back and propagates as a typed error naming where it happened (cmflib logs
 * and skips, then reports success). Executions are merged in the sender's creation order
 * (its execution ids), so an artifact is created by the execution that created it on the
 * sender, and a merge into an empty store reproduces the sender's ids. Everything written
 * uses the receiver's ids (`Context_ID`, `Pipeline_id`, ids inside artifact names), never
 * the sender's. Values keep their types (give the document as text to keep `3000.0` a
 * double, see exact-json.ts). Deliberate differences from cmflib: an execution keeps the
 * sender's execution type name (cmflib renames it after the stage), and events keep the
 * document's event type for every artifact type.
 */
import { CmfError, NotFoundError } from '../errors/index.js';
import {
  intValue,
  stringValue,
  type AsyncMlmdStore,
  type ExecutionInput,
  type MlmdContext,
  type MlmdExecution,
  type Properties,
} from '../mlmd/index.js';
import { findPipeline } from './async-query.js';
import { DocumentSpool } from './document-spool.js';
import { normalUuid } from './query.js';
import { PARENT_CONTEXT, PIPELINE_STAGE } from './conventions.js';
import { ArtifactMerge } from './merge-artifacts.js';
import {
  readDocument,
  splitUuids,
  type DocExecution,
  type DocExecutionRef,
  type DocPipeline,
  type DocStage,
} from './merge-document.js';
import { MergeTypes } from './merge-types.js';
import {
  assignProperties,
  changedProperties,
  creationCustom,
  updateCustom,
  type MergeMode,
} from './merge-values.js';

export { InvalidDocumentError } from './merge-document.js';
export { ORIGINAL_CREATE_TIME, type MergeMode } from './merge-values.js';

export type MergeStatus =
  'success' | 'exists' | 'pipeline_not_exist' | 'invalid_json_payload' | 'version_update';

export interface MergeOptions {
  /** Merge only this pipeline of the document; all of them when absent (server-to-server sync). */
  pipelineName?: string;
  /** Merge only the execution whose comma-joined Execution_uuid holds this uuid. */
  executionUuid?: string | null;
  /** 'push': the server receives a client's document (stamps original_create_time_since_epoch). */
  mode: MergeMode;
}

export interface MergeResult {
  status: MergeStatus;
  /** The document's pipelines the merge looked at (pipeline_not_exist: the one asked for). */
  pipelines: string[];
  /** Executions created, or existing (reused) executions that received new uuids. */
  executions: number;
  /** Artifacts created. */
  artifacts: number;
  /** Events created. */
  events: number;
  /** Stage contexts created. */
  stages: number;
  /** Executions of the document already in the store. */
  skippedExecutions: number;
}

/** A merge that failed while writing: the cause's code and exit code, and where it happened. */
export class MergeError extends CmfError {
  constructor(cause: unknown, at: string) {
    const inner = cause instanceof CmfError ? cause : undefined;
    const message = cause instanceof Error ? cause.message : String(cause);
    super(
      inner?.code ?? 'MERGE_FAILED',
      inner?.exitCode ?? 1,
      `Merging ${at} failed, nothing was merged: ${message}`,
      {
        cause,
        hint:
          inner?.hint ??
          'The store is unchanged. Check the document and the store, then merge again.',
        data: { ...inner?.data, at },
      },
    );
  }
}

function emptyResult(status: MergeStatus, pipelines: string[]): MergeResult {
  return {
    status,
    pipelines,
    executions: 0,
    artifacts: 0,
    events: 0,
    stages: 0,
    skippedExecutions: 0,
  };
}

/**
 * Executions read, decided and written at a time. Fewer hold less in memory; more make
 * fewer calls, each reading tables that grow within the transaction (on PostgreSQL, 20,000
 * executions took 81 s by 100, 65 s by 250, 47 s by 500, at ~60 MiB more peak memory).
 */
const BATCH = 250;

/**
 * Merges `document`: parsed data, JSON text, or a DocumentSpool (a large document received
 * piece by piece, whose executions are read from its file a batch at a time).
 */
export async function mergeDocument(
  store: AsyncMlmdStore,
  document: unknown,
  opts: MergeOptions,
): Promise<MergeResult> {
  const all = document instanceof DocumentSpool ? document.pipelines() : readDocument(document);
  if (!all) return emptyResult('invalid_json_payload', []);
  const selected =
    opts.pipelineName === undefined ? all : all.filter((p) => p.name === opts.pipelineName);
  const names = [...new Set(selected.map((p) => p.name))];
  if (selected.length === 0) return emptyResult('pipeline_not_exist', [opts.pipelineName!]);
  const executions = selected.flatMap((p) => p.stages.flatMap((s) => s.executions));
  if (executions.some((e) => e.uuids.length === 0)) return emptyResult('version_update', names);
  const uuid = opts.executionUuid ?? undefined;
  if (uuid !== undefined && !executions.some((e) => holdsUuid(e, uuid))) {
    throw new NotFoundError(
      'EXECUTION_NOT_FOUND',
      `Execution uuid ${uuid} is not in the document of ${names.join(', ')}`,
      {
        hint: "Run 'cmf execution list -p <pipeline>' to see the executions and their uuids.",
        data: { uuid, pipelines: names },
      },
    );
  }
  let result: MergeResult;
  try {
    result = await store.transaction(async (tx) => {
      // Counted afresh in each attempt, should a backend run `fn` again after a conflict.
      const counted = emptyResult('exists', names);
      const merger = new Merger(tx, opts.mode, counted);
      for (const p of selected) await merger.pipeline(p, uuid);
      return counted;
    });
  } catch (err) {
    // Failures of a step are MergeErrors already; this catches opening and committing.
    throw err instanceof CmfError
      ? err
      : new MergeError(err, `the document into ${store.location}`);
  }
  result.status = result.executions > 0 ? 'success' : 'exists';
  return result;
}

interface Planned {
  stage: DocStage;
  execution: DocExecutionRef;
}

interface Loaded {
  stage: DocStage;
  execution: DocExecution;
}

/** A receiver's execution the merge creates or extends. */
interface ExecutionSlot {
  /** The receiver's id; undefined until a planned creation is written. */
  id: number | undefined;
  properties: Properties;
  customProperties: Properties;
  /** A creation: the input, holding `properties` and `customProperties` themselves. */
  input?: ExecutionInput;
  /** An existing execution's changes, written by one update. */
  patch?: { properties?: Properties; customProperties?: Properties };
  /** The document execution that created or last changed it. */
  at: string;
}

/** One planned execution with its type ids. */
interface TypedStep {
  doc: DocExecution;
  at: string;
  stageId: number;
  stageName: string;
  typeId: number;
  /** The type id of each event's artifact. */
  artifactTypes: number[];
}

/** One planned execution with the receiver's execution it goes to. */
interface Step extends TypedStep {
  slot: ExecutionSlot;
}

/**
 * One merge transaction. The pipeline and its stages are put one by one (a few); the
 * executions, their associations and their events are decided in memory in the merge's
 * order, BATCH executions at a time, and written per table in batch calls, so a large push
 * costs a few statements per table and batch instead of several per execution (each one a
 * round trip on a database server), and holds one batch of executions in memory. Each
 * batch reads what it could match from the store, which holds the earlier batches' writes
 * (the transaction is its only writer), so batches decide as one pass over all would, and
 * every table's rows come in the same order.
 */
class Merger {
  private readonly types: MergeTypes;
  private readonly tx: AsyncMlmdStore;
  private readonly mode: MergeMode;
  private readonly result: MergeResult;

  constructor(tx: AsyncMlmdStore, mode: MergeMode, result: MergeResult) {
    this.tx = tx;
    this.mode = mode;
    this.result = result;
    this.types = new MergeTypes(tx);
  }

  async pipeline(doc: DocPipeline, uuid: string | undefined): Promise<void> {
    const found = await findPipeline(this.tx, doc.name);
    const owners = found ? await this.knownUuids(found) : new Map<string, number>();
    const plan = this.plan(doc, new Set(owners.keys()), uuid);
    if (plan.length === 0) return;

    const pipeline = await this.guard(`pipeline "${doc.name}"`, async () => {
      if (found) return found;
      const typeId = await this.types.context(PARENT_CONTEXT);
      return (
        await this.tx.contexts.getOrCreate({
          typeId,
          name: doc.name,
          properties: { Pipeline: doc.name },
          customProperties: doc.customProperties,
        })
      ).value;
    });
    // Stages in document order (the sender's id order), then executions in creation order.
    const stageIds = new Map<DocStage, number>();
    for (const stage of doc.stages) {
      if (!plan.some((p) => p.stage === stage)) continue;
      const ctx = await this.guard(`stage "${stage.name}"`, () => this.stage(stage, pipeline));
      stageIds.set(stage, ctx.id);
    }
    for (let i = 0; i < plan.length; i += BATCH) {
      const batch = plan.slice(i, i + BATCH).map((p) => ({
        stage: p.stage,
        execution: p.execution.load(),
      }));
      await this.batch(doc, batch, stageIds, pipeline, owners);
    }
  }

  /** Merges planned executions (a batch), their associations, artifacts and events. */
  private async batch(
    doc: DocPipeline,
    batch: Loaded[],
    stageIds: Map<DocStage, number>,
    pipeline: MlmdContext,
    owners: Map<string, number>,
  ): Promise<void> {
    const steps = await this.executions(await this.typed(batch, stageIds), pipeline, owners);
    // Later batches find these executions by uuid as the store's own.
    for (const s of steps) for (const u of s.doc.uuids) owners.set(u, s.slot.id!);
    this.result.executions += steps.length;
    await this.guard(
      (i) => steps[i ?? -1]?.at ?? `the executions of "${doc.name}"`,
      () => this.tx.links.associateMany(steps.map((s) => [s.stageId, s.slot.id!] as const)),
    );
    const artifacts = new ArtifactMerge(this.tx, this.mode);
    const events = steps.flatMap((s) =>
      s.doc.events.map((ev, i) => ({ ev, typeId: s.artifactTypes[i]!, executionId: s.slot.id! })),
    );
    await this.guard(`the artifacts of "${doc.name}"`, () => artifacts.prepare(events));
    for (const s of steps) {
      const scope = { stageId: s.stageId, executionId: s.slot.id!, at: s.at };
      s.doc.events.forEach((ev, i) => artifacts.event(ev, s.artifactTypes[i]!, scope));
    }
    const written = await artifacts.write((at, fn) => this.guard(at, fn));
    this.result.artifacts += written.artifacts;
    this.result.events += written.events;
  }

  /**
   * The type ids of the planned executions and of their events' artifacts, put in the order
   * the executions and their events come (so new types get the ids one by one would give).
   */
  private async typed(plan: Loaded[], stageIds: Map<DocStage, number>): Promise<TypedStep[]> {
    const steps: TypedStep[] = [];
    for (const { stage, execution: doc } of plan) {
      const at = `${doc.at} (Execution_uuid ${doc.uuids.join(',')})`;
      await this.guard(at, async () => {
        const typeId = await this.types.execution(doc.type, doc.properties);
        const artifactTypes: number[] = [];
        for (const ev of doc.events) {
          artifactTypes.push(await this.types.artifact(ev.artifact.type, ev.artifact.properties));
        }
        const stageId = stageIds.get(stage)!;
        steps.push({ doc, at, stageId, stageName: stage.name, typeId, artifactTypes });
      });
    }
    return steps;
  }

  /**
   * Creates the new executions (one batch) and extends the reused ones the receiver has (or
   * this merge created for an earlier entry), found by type and name, else by a uuid they
   * share (`owners`: the receiver's execution id of each uuid it knows): each step gets its
   * slot with the receiver's id.
   */
  private async executions(
    typed: TypedStep[],
    pipeline: MlmdContext,
    owners: Map<string, number>,
  ): Promise<Step[]> {
    const keys = new Map<string, { typeId: number; name: string }>();
    const ownerIds = new Set<number>();
    for (const s of typed) {
      if (s.doc.name !== '')
        keys.set(`${s.typeId}:${s.doc.name}`, { typeId: s.typeId, name: s.doc.name });
      for (const u of s.doc.uuids) {
        const id = owners.get(u);
        if (id !== undefined) ownerIds.add(id);
      }
    }
    // One slot per receiver execution, however it is found.
    const slots = new Map<number, ExecutionSlot>();
    const slotOf = (e: MlmdExecution): ExecutionSlot => {
      let slot = slots.get(e.id);
      if (!slot) {
        slot = {
          id: e.id,
          properties: e.properties,
          customProperties: e.customProperties,
          at: 'an existing execution',
        };
        slots.set(e.id, slot);
      }
      return slot;
    };
    const byName = new Map<string, ExecutionSlot>();
    if (keys.size > 0) {
      const found = await this.guard('the named executions', () =>
        this.tx.executions.getByNames([...keys.values()]),
      );
      for (const e of found) byName.set(`${e.typeId}:${e.name}`, slotOf(e));
    }
    const byUuid = new Map<string, ExecutionSlot>();
    if (ownerIds.size > 0) {
      const found = await this.guard('the executions of known uuids', () =>
        this.tx.executions.getMany(ownerIds),
      );
      const byId = new Map(found.map((e) => [e.id, slotOf(e)]));
      for (const [u, id] of owners) {
        const slot = byId.get(id);
        if (slot) byUuid.set(u, slot);
      }
    }
    const creations: ExecutionSlot[] = [];
    const changed = new Set<ExecutionSlot>();
    const steps: Step[] = typed.map((s) => {
      const key = `${s.typeId}:${s.doc.name}`;
      const existing =
        (s.doc.name === '' ? undefined : byName.get(key)) ??
        s.doc.uuids.map((u) => byUuid.get(u)).find((slot) => slot !== undefined);
      if (existing) {
        if (this.extend(existing, s) && !existing.input) changed.add(existing);
        for (const u of s.doc.uuids) byUuid.set(u, existing);
        return { ...s, slot: existing };
      }
      const slot = this.creation(s, pipeline);
      creations.push(slot);
      if (s.doc.name !== '') byName.set(key, slot);
      for (const u of s.doc.uuids) byUuid.set(u, slot);
      return { ...s, slot };
    });
    const created = await this.guard(
      (i) => creations[i ?? -1]?.at ?? 'the executions',
      () => this.tx.executions.createMany(creations.map((c) => c.input!)),
    );
    created.forEach((e, i) => (creations[i]!.id = e.id));
    for (const slot of changed) {
      await this.guard(slot.at, () => this.tx.executions.update(slot.id!, slot.patch!));
    }
    return steps;
  }

  /** Uuids of the executions of the receiver's pipeline, each with its execution's id. */
  private async knownUuids(pipeline: MlmdContext): Promise<Map<string, number>> {
    const stages = await this.tx.contexts.children(pipeline.id, { properties: false });
    const assoc = await this.tx.links.associationsOf(stages.map((s) => s.id));
    const executions = await this.tx.executions.getMany(
      assoc.map((a) => a.executionId),
      { propertyNames: ['Execution_uuid'] },
    );
    const out = new Map<string, number>();
    for (const e of executions) {
      const v = e.properties.Execution_uuid;
      if (v?.type === 'string') for (const u of splitUuids(v.value)) out.set(u, e.id);
    }
    return out;
  }

  /** The executions to merge, in the sender's creation order; counts the skipped ones. */
  private plan(doc: DocPipeline, known: Set<string>, uuid: string | undefined): Planned[] {
    const candidates: (Planned & { order: number })[] = [];
    let position = 0;
    for (const stage of doc.stages) {
      for (const execution of stage.executions) {
        position++;
        if (uuid !== undefined && !holdsUuid(execution, uuid)) continue;
        candidates.push({ stage, execution, order: position });
      }
    }
    const bySender = (p: { execution: DocExecutionRef; order: number }) =>
      p.execution.senderId ?? Number.MAX_SAFE_INTEGER;
    candidates.sort((a, b) => bySender(a) - bySender(b) || a.order - b.order);
    const plan: Planned[] = [];
    for (const c of candidates) {
      const { uuids } = c.execution;
      if (uuids.every((u) => known.has(u))) {
        this.result.skippedExecutions++;
        continue;
      }
      for (const u of uuids) known.add(u);
      plan.push(c);
    }
    return plan;
  }

  private async stage(stage: DocStage, pipeline: MlmdContext): Promise<MlmdContext> {
    const typeId = await this.types.context(PIPELINE_STAGE);
    const put = await this.tx.contexts.getOrCreate({
      typeId,
      name: stage.name,
      properties: { Pipeline_Stage: stage.name },
      customProperties: creationCustom(stage.customProperties, stage.createTime, this.mode),
    });
    if (put.created) this.result.stages++;
    await this.tx.links.addParentContext(put.value.id, pipeline.id);
    return put.value;
  }

  /** A new execution (to be created in the batch) for a step. */
  private creation(s: TypedStep, pipeline: MlmdContext): ExecutionSlot {
    const { doc, stageName } = s;
    const text = (key: string, fallback: string) => {
      const v = doc.properties[key];
      return v?.type === 'string' ? v.value : fallback;
    };
    const properties: Properties = {
      ...doc.properties,
      Execution_uuid: stringValue(doc.uuids.join(',')),
      Context_Type: stringValue(text('Context_Type', stageName)),
      Context_ID: intValue(s.stageId),
      Execution: stringValue(text('Execution', '')),
      Execution_type_name: stringValue(text('Execution_type_name', stageName)),
      Pipeline_Type: stringValue(pipeline.name),
      Pipeline_id: intValue(pipeline.id),
      Git_Repo: stringValue(text('Git_Repo', '')),
      Git_Start_Commit: stringValue(text('Git_Start_Commit', '')),
      Git_End_Commit: stringValue(text('Git_End_Commit', '')),
    };
    const customProperties = creationCustom(doc.customProperties, doc.createTime, this.mode);
    return {
      id: undefined,
      properties,
      customProperties,
      input: {
        typeId: s.typeId,
        name: doc.name === '' ? null : doc.name,
        properties,
        customProperties,
      },
      at: s.at,
    };
  }

  /**
   * A reused execution: the union of the uuid lists, the document's custom properties.
   * Returns whether that changed anything.
   */
  private extend(slot: ExecutionSlot, s: TypedStep): boolean {
    const old = slot.properties.Execution_uuid;
    const uuids = old?.type === 'string' ? splitUuids(old.value) : [];
    for (const u of s.doc.uuids) if (!uuids.includes(u)) uuids.push(u);
    const properties = changedProperties(slot.properties, { Execution_uuid: uuids.join(',') });
    const customProperties = changedProperties(
      slot.customProperties,
      updateCustom(s.doc.customProperties),
    );
    if (!properties && !customProperties) return false;
    // A planned creation's input holds these same objects: it is created as changed.
    if (properties) assignProperties(slot.properties, properties);
    if (customProperties) assignProperties(slot.customProperties, customProperties);
    if (!slot.input) {
      slot.patch ??= {};
      if (properties) assignProperties((slot.patch.properties ??= {}), properties);
      if (customProperties) {
        assignProperties((slot.patch.customProperties ??= {}), customProperties);
      }
      slot.at = s.at;
    }
    return true;
  }

  /**
   * Runs one step; a failure becomes a MergeError naming the step (the transaction rolls
   * back). For a batch call, `at` names the place of the batch item that failed
   * (`data.index` of the store's error).
   */
  private async guard<T>(
    at: string | ((index: number | undefined) => string),
    fn: () => Promise<T>,
  ): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof MergeError) throw err;
      if (typeof at === 'string') throw new MergeError(err, at);
      const index = err instanceof CmfError ? err.data?.index : undefined;
      throw new MergeError(err, at(typeof index === 'number' ? index : undefined));
    }
  }
}

/** Whether `execution` is the one `-e uuid` names (spaces aside, in any case, as listings). */
function holdsUuid(execution: DocExecutionRef, uuid: string): boolean {
  return execution.uuids.some((u) => normalUuid(u) === normalUuid(uuid));
}
