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
 * Dedupe, by execution uuid: an unnamed execution is skipped when any of its uuids is known
 * to the receiver (in that pipeline) or was merged earlier from the same document, so an
 * execution listed twice, or holding several uuids, is merged once (cmflib merges it once
 * per uuid, §11.9). A named (reused) execution is merged while it brings a uuid the
 * receiver lacks, into the receiver's execution of that type and name, whose uuid list
 * becomes the union.
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
import type { AsyncMlmdStore, MlmdContext, MlmdExecution, PropertyInputs } from '../mlmd/index.js';
import { findPipeline } from './async-query.js';
import { PARENT_CONTEXT, PIPELINE_STAGE } from './conventions.js';
import { KnownArtifacts, mergeEvent } from './merge-artifacts.js';
import {
  readDocument,
  splitUuids,
  type DocExecution,
  type DocPipeline,
  type DocStage,
} from './merge-document.js';
import { MergeTypes } from './merge-types.js';
import { changedProperties, creationCustom, updateCustom, type MergeMode } from './merge-values.js';

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
  /** Executions created, or existing named executions that received new uuids. */
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

export async function mergeDocument(
  store: AsyncMlmdStore,
  document: unknown,
  opts: MergeOptions,
): Promise<MergeResult> {
  const all = readDocument(document);
  if (!all) return emptyResult('invalid_json_payload', []);
  const selected =
    opts.pipelineName === undefined ? all : all.filter((p) => p.name === opts.pipelineName);
  const names = [...new Set(selected.map((p) => p.name))];
  if (selected.length === 0) return emptyResult('pipeline_not_exist', [opts.pipelineName!]);
  const executions = selected.flatMap((p) => p.stages.flatMap((s) => s.executions));
  if (executions.some((e) => e.uuids.length === 0)) return emptyResult('version_update', names);
  const uuid = opts.executionUuid ?? undefined;
  if (uuid !== undefined && !executions.some((e) => e.uuids.includes(uuid))) {
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
  execution: DocExecution;
}

/** One merge transaction. */
class Merger {
  private readonly types: MergeTypes;
  private readonly known: KnownArtifacts;
  private readonly tx: AsyncMlmdStore;
  private readonly mode: MergeMode;
  private readonly result: MergeResult;

  constructor(tx: AsyncMlmdStore, mode: MergeMode, result: MergeResult) {
    this.tx = tx;
    this.mode = mode;
    this.result = result;
    this.types = new MergeTypes(tx);
    this.known = new KnownArtifacts(tx);
  }

  async pipeline(doc: DocPipeline, uuid: string | undefined): Promise<void> {
    const found = await findPipeline(this.tx, doc.name);
    const known = found ? await this.knownUuids(found) : new Set<string>();
    const plan = this.plan(doc, known, uuid);
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
    for (const { stage, execution } of plan) {
      const at = `${execution.at} (Execution_uuid ${execution.uuids.join(',')})`;
      await this.guard(at, () =>
        this.execution(execution, stageIds.get(stage)!, stage.name, pipeline),
      );
    }
  }

  /** Uuids of the executions of the receiver's pipeline. */
  private async knownUuids(pipeline: MlmdContext): Promise<Set<string>> {
    const stages = await this.tx.contexts.children(pipeline.id, { properties: false });
    const assoc = await this.tx.links.associationsOf(stages.map((s) => s.id));
    const executions = await this.tx.executions.getMany(
      assoc.map((a) => a.executionId),
      { propertyNames: ['Execution_uuid'] },
    );
    const out = new Set<string>();
    for (const e of executions) {
      const v = e.properties.Execution_uuid;
      if (v?.type === 'string') for (const u of splitUuids(v.value)) out.add(u);
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
        if (uuid !== undefined && !execution.uuids.includes(uuid)) continue;
        candidates.push({ stage, execution, order: position });
      }
    }
    const bySender = (p: { execution: DocExecution; order: number }) =>
      p.execution.senderId ?? Number.MAX_SAFE_INTEGER;
    candidates.sort((a, b) => bySender(a) - bySender(b) || a.order - b.order);
    const plan: Planned[] = [];
    for (const c of candidates) {
      const { uuids, name } = c.execution;
      const isNew =
        name === '' ? uuids.every((u) => !known.has(u)) : uuids.some((u) => !known.has(u));
      if (!isNew) {
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

  private async execution(
    doc: DocExecution,
    stageId: number,
    stageName: string,
    pipeline: MlmdContext,
  ): Promise<void> {
    const typeId = await this.types.execution(doc.type, doc.properties);
    const existing =
      doc.name === '' ? undefined : await this.tx.executions.getByName(typeId, doc.name);
    const execution = existing
      ? await this.extend(existing, doc)
      : await this.create(doc, typeId, stageId, stageName, pipeline);
    this.result.executions++;
    await this.tx.links.associate(stageId, execution.id);
    for (const ev of doc.events) {
      const outcome = await mergeEvent(
        {
          tx: this.tx,
          types: this.types,
          known: this.known,
          mode: this.mode,
          stageId,
          executionId: execution.id,
        },
        ev,
      );
      if (outcome.artifactCreated) this.result.artifacts++;
      if (outcome.eventCreated) this.result.events++;
    }
  }

  private create(
    doc: DocExecution,
    typeId: number,
    stageId: number,
    stageName: string,
    pipeline: MlmdContext,
  ): Promise<MlmdExecution> {
    const text = (key: string, fallback: string) => {
      const v = doc.properties[key];
      return v?.type === 'string' ? v.value : fallback;
    };
    const properties: PropertyInputs = {
      ...doc.properties,
      Execution_uuid: doc.uuids.join(','),
      Context_Type: text('Context_Type', stageName),
      Context_ID: stageId,
      Execution: text('Execution', ''),
      Execution_type_name: text('Execution_type_name', stageName),
      Pipeline_Type: pipeline.name,
      Pipeline_id: pipeline.id,
      Git_Repo: text('Git_Repo', ''),
      Git_Start_Commit: text('Git_Start_Commit', ''),
      Git_End_Commit: text('Git_End_Commit', ''),
    };
    return this.tx.executions.create({
      typeId,
      name: doc.name === '' ? null : doc.name,
      properties,
      customProperties: creationCustom(doc.customProperties, doc.createTime, this.mode),
    });
  }

  /** A reused execution: the union of the uuid lists, the document's custom properties. */
  private async extend(existing: MlmdExecution, doc: DocExecution): Promise<MlmdExecution> {
    const old = existing.properties.Execution_uuid;
    const uuids = old?.type === 'string' ? splitUuids(old.value) : [];
    for (const u of doc.uuids) if (!uuids.includes(u)) uuids.push(u);
    const properties = changedProperties(existing.properties, { Execution_uuid: uuids.join(',') });
    const customProperties = changedProperties(
      existing.customProperties,
      updateCustom(doc.customProperties),
    );
    if (!properties && !customProperties) return existing;
    return this.tx.executions.update(existing.id, {
      ...(properties ? { properties } : {}),
      ...(customProperties ? { customProperties } : {}),
    });
  }

  /** Runs one step; a failure becomes a MergeError naming the step (the transaction rolls back). */
  private async guard<T>(at: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof MergeError) throw err;
      throw new MergeError(err, at);
    }
  }
}
