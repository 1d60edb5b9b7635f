/**
 * The JSON exchange format of one pipeline (cmflib's `dumptojson`, spec/cmf-reference.md
 * §6.1): what `cmf metadata export` writes and `cmf metadata push` sends.
 *
 * Each node copies, in this order, `create_time_since_epoch`, `custom_properties`, `id`,
 * `last_update_time_since_epoch`, `name`, `properties`, `type`, `type_id`, `uri` — skipping
 * an empty-string name or uri — after the keys its parent seeds first (`stages`,
 * `executions`, execution `type`/`name`/`events`, artifact `type`). Doubles stay doubles
 * (`PyFloat`), so `3000.0` is not turned into the int `3000` on the receiver.
 *
 * Where we differ from cmflib: a bool property (cmf never writes one) is `true`/`false`
 * rather than cmflib's `0.0`; struct and proto values are their Base64 text.
 */
import type {
  AsyncMlmdStore,
  MlmdContext,
  MlmdEvent,
  MlmdNode,
  Properties,
} from '../mlmd/index.js';
import { listPipelinesAsync, requirePipelineAsync } from './async-query.js';
import { PyFloat, pythonJson, type PyJson } from './python-json.js';
import { hasUuid } from './query.js';

type Obj = { [key: string]: PyJson };

export interface ExportOptions {
  /** Keep only executions whose comma-joined Execution_uuid holds this uuid (stages stay). */
  executionUuid?: string;
  /**
   * Server-to-server sync (`last_sync_time`, ms since the epoch; 0 or absent: everything),
   * filtered as cmflib's `extract_to_json` does: an execution is kept when its
   * last_update_time_since_epoch is later, with all its events and their artifacts whole; a
   * stage when it keeps an execution or was itself updated later; a pipeline likewise.
   */
  updatedAfter?: number;
}

export interface ExportSummary {
  stages: number;
  executions: number;
  events: number;
}

export interface ExportAllSummary extends ExportSummary {
  pipelines: number;
}

function propertyMap(props: Properties, custom: boolean): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(props)) {
    const key = custom && k === 'type' ? 'user_type' : k;
    // defineProperty: a property named `__proto__` is data, not the object's prototype.
    Object.defineProperty(out, key, {
      value: v.type === 'double' ? new PyFloat(v.value) : v.value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** Copies a node's fields into `seed` in cmflib's order; seeded keys keep their place. */
function nodeAttributes(node: MlmdNode, seed: Obj): Obj {
  const out = seed;
  out.create_time_since_epoch = node.createTimeSinceEpoch;
  out.custom_properties = propertyMap(node.customProperties, true);
  out.id = node.id;
  out.last_update_time_since_epoch = node.lastUpdateTimeSinceEpoch;
  if (node.name) out.name = node.name;
  out.properties = propertyMap(node.properties, false);
  out.type = node.typeName;
  out.type_id = node.typeId;
  if ('uri' in node && node.uri !== '') out.uri = node.uri;
  return out;
}

/**
 * The `{"Pipeline": [...]}` document of one pipeline, as plain data with typed numbers.
 * NotFoundError PIPELINE_NOT_FOUND when the store has no such pipeline.
 */
export async function exportDocument(
  store: AsyncMlmdStore,
  pipelineName: string,
  opts: ExportOptions = {},
): Promise<{ document: Obj; summary: ExportSummary }> {
  const pipeline = await requirePipelineAsync(store, pipelineName);
  const { doc, summary } = await pipelineDocument(store, pipeline, opts);
  return { document: { Pipeline: [doc] }, summary };
}

/**
 * Every pipeline of the store in one document, `{"Pipeline": [<pipeline>, ...]}` in id order
 * (a whole store for server-to-server sync; `mergeDocument` without a pipeline name takes it).
 */
export async function exportAllPipelines(
  store: AsyncMlmdStore,
  opts: ExportOptions = {},
): Promise<{ document: Obj; summary: ExportAllSummary }> {
  const docs: PyJson[] = [];
  const summary: ExportAllSummary = { pipelines: 0, stages: 0, executions: 0, events: 0 };
  for (const pipeline of await listPipelinesAsync(store)) {
    const one = await pipelineDocument(store, pipeline, opts);
    if (one.summary.stages === 0 && !updatedSince(pipeline, opts)) continue;
    docs.push(one.doc);
    summary.pipelines++;
    summary.stages += one.summary.stages;
    summary.executions += one.summary.executions;
    summary.events += one.summary.events;
  }
  return { document: { Pipeline: docs }, summary };
}

/**
 * One pipeline's element. A fixed number of batched reads whatever the pipeline's size
 * (stages, associations, executions, events, artifacts), never one per node. The reads are
 * not one snapshot (AsyncMlmdStore has no read transaction): MLMD stores only grow, so a
 * write landing between two reads can at most add an event of a listed execution, whose
 * artifact the later artifact read then finds.
 */
async function pipelineDocument(
  store: AsyncMlmdStore,
  pipeline: MlmdContext,
  opts: ExportOptions,
): Promise<{ doc: Obj; summary: ExportSummary }> {
  const stages = await store.contexts.children(pipeline.id);
  const assoc = await store.links.associationsOf(stages.map((s) => s.id));
  const executionsOf = group(assoc, (a) => a.contextId);
  const executions = new Map(
    (await store.executions.getMany(assoc.map((a) => a.executionId))).map((e) => [e.id, e]),
  );
  const events = await store.links.eventsOfExecutions([...executions.keys()]);
  const artifacts = new Map(
    (await store.artifacts.getMany(events.map((e) => e.artifactId))).map((a) => [a.id, a]),
  );
  const eventsOf = group<MlmdEvent>(events, (ev) => ev.executionId);
  const summary: ExportSummary = { stages: 0, executions: 0, events: 0 };
  const stageDocs: PyJson[] = [];
  for (const stage of stages) {
    const ids = (executionsOf.get(stage.id) ?? []).map((a) => a.executionId).sort((a, b) => a - b);
    const execDocs: PyJson[] = [];
    for (const id of ids) {
      const exe = executions.get(id);
      if (!exe || !updatedSince(exe, opts)) continue;
      const uuid = exe.properties.Execution_uuid?.value;
      if (opts.executionUuid !== undefined && !hasUuid(uuid as string, opts.executionUuid)) {
        continue;
      }
      const eventDocs: PyJson[] = [];
      for (const ev of eventsOf.get(id) ?? []) {
        const art = artifacts.get(ev.artifactId);
        if (!art) continue;
        eventDocs.push({ type: ev.type, artifact: nodeAttributes(art, { type: art.typeName }) });
      }
      summary.executions++;
      summary.events += eventDocs.length;
      execDocs.push(
        nodeAttributes(exe, { type: exe.typeName, name: exe.name ?? '', events: eventDocs }),
      );
    }
    if (execDocs.length === 0 && !updatedSince(stage, opts)) continue;
    summary.stages++;
    stageDocs.push(nodeAttributes(stage, { executions: execDocs }));
  }
  return { doc: nodeAttributes(pipeline, { stages: stageDocs }), summary };
}

/** Whether `node` passes the `updatedAfter` filter (everything does without one). */
function updatedSince(node: MlmdNode, opts: ExportOptions): boolean {
  return !opts.updatedAfter || node.lastUpdateTimeSinceEpoch > opts.updatedAfter;
}

/** The export file's text: `json.dumps(document, indent=2)`, no trailing newline. */
export function exportJsonText(document: PyJson): string {
  return pythonJson(document, 2);
}

function group<T>(items: T[], key: (item: T) => number): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const item of items) {
    const list = out.get(key(item));
    if (list) list.push(item);
    else out.set(key(item), [item]);
  }
  return out;
}
