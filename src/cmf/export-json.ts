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
  MlmdExecution,
  MlmdNode,
  Properties,
} from '../mlmd/index.js';
import { listPipelinesAsync, requirePipelineAsync } from './async-query.js';
import {
  PyFloat,
  PyJsonList,
  pythonJson,
  pythonJsonAroundFirst,
  type PyJson,
} from './python-json.js';
import { hasUuid } from './query.js';
import { setOwn } from '../util/own-keys.js';

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
    setOwn(out, key, v.type === 'double' ? new PyFloat(v.value) : v.value);
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
 * NotFoundError PIPELINE_NOT_FOUND when the store has no such pipeline. The whole document
 * is held in memory: for a large pipeline, write it with `exportText` instead.
 */
export async function exportDocument(
  store: AsyncMlmdStore,
  pipelineName: string,
  opts: ExportOptions = {},
): Promise<{ document: Obj; summary: ExportSummary }> {
  const pipeline = await requirePipelineAsync(store, pipelineName);
  const summary = emptySummary();
  const doc = await pipelineDocument(store, pipeline, opts, summary);
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
  const summary: ExportAllSummary = { pipelines: 0, ...emptySummary() };
  for (const pipeline of await listPipelinesAsync(store)) {
    const stagesBefore = summary.stages;
    const doc = await pipelineDocument(store, pipeline, opts, summary);
    if (!keepPipeline(pipeline, summary.stages - stagesBefore, opts)) continue;
    docs.push(doc);
    summary.pipelines++;
  }
  return { document: { Pipeline: docs }, summary };
}

/** A pipeline element of `exportAllPipelines`: one that keeps a stage or was itself updated. */
function keepPipeline(pipeline: MlmdContext, stagesKept: number, opts: ExportOptions): boolean {
  return stagesKept > 0 || updatedSince(pipeline, opts);
}

async function pipelineDocument(
  store: AsyncMlmdStore,
  pipeline: MlmdContext,
  opts: ExportOptions,
  summary: ExportSummary,
): Promise<Obj> {
  const stageDocs: PyJson[] = [];
  let execDocs: PyJson[] = [];
  for await (const part of pipelineParts(store, pipeline, opts, summary)) {
    if (part.kind === 'executions') execDocs.push(...part.executions);
    else {
      if (part.keep) stageDocs.push(nodeAttributes(part.stage, { executions: execDocs }));
      execDocs = [];
    }
  }
  return nodeAttributes(pipeline, { stages: stageDocs });
}

export interface ExportTextOptions extends ExportOptions {
  /** `json.dumps`'s indent: 2 for the export file; none (compact) for the server exchange. */
  indent?: number;
  /** Sees each execution's element (events and artifacts in it) before it is written. */
  onExecution?: (execution: Obj) => void;
}

/**
 * A document's text as it is produced, in pieces of about `CHUNK` characters, and what it
 * holds, counted as the pieces are taken (complete once they all were). The text is what
 * `pythonJson` writes for the document `exportDocument` (or `exportAllPipelines`) builds,
 * byte for byte, but only one batch of executions is in memory at a time.
 */
export interface ExportText<S extends ExportSummary = ExportSummary> {
  chunks: AsyncIterable<string>;
  summary: S;
}

/** `exportDocument`'s text, piece by piece; PIPELINE_NOT_FOUND is thrown here, not by a piece. */
export async function exportText(
  store: AsyncMlmdStore,
  pipelineName: string,
  opts: ExportTextOptions = {},
): Promise<ExportText> {
  const pipeline = await requirePipelineAsync(store, pipelineName);
  const summary = emptySummary();
  return { chunks: chunked(documentPieces(store, [pipeline], opts, summary)), summary };
}

/** `exportAllPipelines`' text, piece by piece. */
export async function exportAllText(
  store: AsyncMlmdStore,
  opts: ExportTextOptions = {},
): Promise<ExportText<ExportAllSummary>> {
  const pipelines = await listPipelinesAsync(store);
  const summary: ExportAllSummary = { pipelines: 0, ...emptySummary() };
  return { chunks: chunked(documentPieces(store, pipelines, opts, summary, true)), summary };
}

/** About how many characters (all ASCII: bytes) each piece of `ExportText` holds. */
const CHUNK = 64 * 1024;

async function* chunked(pieces: AsyncIterable<string>): AsyncGenerator<string> {
  let parts: string[] = [];
  let size = 0;
  for await (const piece of pieces) {
    parts.push(piece);
    size += piece.length;
    if (size < CHUNK) continue;
    yield parts.join('');
    parts = [];
    size = 0;
  }
  if (size > 0) yield parts.join('');
}

/**
 * The document's text in the nesting `pythonJson` gives it: the root object at depth 0, the
 * Pipeline list at 1, a pipeline at 2, its stages at 3, a stage at 4, its executions at 5, an
 * execution at 6. Each list key comes first in its object, so an object is written as the
 * text before its list, the list item by item, then the rest. A stage (and with `all`, a
 * pipeline) is opened only once it is known to be kept.
 */
async function* documentPieces(
  store: AsyncMlmdStore,
  pipelines: MlmdContext[],
  opts: ExportTextOptions,
  summary: ExportSummary & { pipelines?: number },
  all = false,
): AsyncGenerator<string> {
  const { indent } = opts;
  const root = pythonJsonAroundFirst({ Pipeline: [] }, indent, 0);
  const pipelineList = new PyJsonList(indent, 1);
  yield root.head;
  for (const pipeline of pipelines) {
    let p: { head: string; tail: string; stages: PyJsonList } | undefined;
    let s: { head: string; tail: string; executions: PyJsonList } | undefined;
    const stagesBefore = summary.stages;
    const openPipeline = (): string => {
      const around = pythonJsonAroundFirst(nodeAttributes(pipeline, { stages: [] }), indent, 2);
      p = { ...around, stages: new PyJsonList(indent, 3) };
      if (summary.pipelines !== undefined) summary.pipelines++;
      return pipelineList.next() + p.head;
    };
    const openStage = (stage: MlmdContext): string => {
      const opened = p ? '' : openPipeline();
      const around = pythonJsonAroundFirst(nodeAttributes(stage, { executions: [] }), indent, 4);
      s = { ...around, executions: new PyJsonList(indent, 5) };
      return opened + p!.stages.next() + s.head;
    };
    for await (const part of pipelineParts(store, pipeline, opts, summary)) {
      if (part.kind === 'executions') {
        if (!s) yield openStage(part.stage);
        for (const execution of part.executions) {
          opts.onExecution?.(execution);
          yield s!.executions.next() + pythonJson(execution, indent, 6);
        }
      } else {
        if (part.keep && !s) yield openStage(part.stage);
        if (s) yield s.executions.close() + s.tail;
        s = undefined;
      }
    }
    if (!p && (!all || keepPipeline(pipeline, summary.stages - stagesBefore, opts))) {
      yield openPipeline();
    }
    if (p) yield p.stages.close() + p.tail;
  }
  yield pipelineList.close() + root.tail;
}

/** Executions this many at a time are read, turned into elements and let go. */
const BATCH = 100;

type PipelinePart =
  | { kind: 'executions'; stage: MlmdContext; executions: Obj[] }
  | { kind: 'stage-end'; stage: MlmdContext; keep: boolean };

/**
 * One pipeline's stages in id order, each as its kept execution elements, a batch at a time,
 * then its end (`keep`: whether the stage belongs in the document). A fixed number of batched
 * reads per batch (executions, events, artifacts) whatever its size, never one per node.
 * The reads are not one snapshot (AsyncMlmdStore has no read transaction): MLMD stores only
 * grow, so a write landing between two reads can at most add an event of a listed execution,
 * whose artifact the later artifact read then finds, or an execution this export does not
 * list.
 */
async function* pipelineParts(
  store: AsyncMlmdStore,
  pipeline: MlmdContext,
  opts: ExportOptions,
  summary: ExportSummary,
): AsyncGenerator<PipelinePart> {
  const stages = await store.contexts.children(pipeline.id);
  const assoc = await store.links.associationsOf(stages.map((s) => s.id));
  const executionsOf = group(assoc, (a) => a.contextId);
  for (const stage of stages) {
    const ids = (executionsOf.get(stage.id) ?? []).map((a) => a.executionId).sort((a, b) => a - b);
    let kept = 0;
    for (let at = 0; at < ids.length; at += BATCH) {
      const executions = await executionElements(store, ids.slice(at, at + BATCH), opts, summary);
      kept += executions.length;
      if (executions.length > 0) yield { kind: 'executions', stage, executions };
    }
    const keep = kept > 0 || updatedSince(stage, opts);
    if (keep) summary.stages++;
    yield { kind: 'stage-end', stage, keep };
  }
}

/** The elements of the executions with these ids (in this order) that pass the filters. */
async function executionElements(
  store: AsyncMlmdStore,
  ids: number[],
  opts: ExportOptions,
  summary: ExportSummary,
): Promise<Obj[]> {
  const byId = new Map((await store.executions.getMany(ids)).map((e) => [e.id, e]));
  const kept: MlmdExecution[] = [];
  for (const id of ids) {
    const exe = byId.get(id);
    if (!exe || !updatedSince(exe, opts)) continue;
    const uuid = exe.properties.Execution_uuid?.value;
    if (opts.executionUuid !== undefined && !hasUuid(uuid as string, opts.executionUuid)) {
      continue;
    }
    kept.push(exe);
  }
  if (kept.length === 0) return [];
  const events = await store.links.eventsOfExecutions(kept.map((e) => e.id));
  const artifacts = new Map(
    (await store.artifacts.getMany(events.map((e) => e.artifactId))).map((a) => [a.id, a]),
  );
  const eventsOf = group<MlmdEvent>(events, (ev) => ev.executionId);
  return kept.map((exe) => {
    const eventDocs: PyJson[] = [];
    for (const ev of eventsOf.get(exe.id) ?? []) {
      const art = artifacts.get(ev.artifactId);
      if (!art) continue;
      eventDocs.push({ type: ev.type, artifact: nodeAttributes(art, { type: art.typeName }) });
    }
    summary.executions++;
    summary.events += eventDocs.length;
    return nodeAttributes(exe, { type: exe.typeName, name: exe.name ?? '', events: eventDocs });
  });
}

function emptySummary(): ExportSummary {
  return { stages: 0, executions: 0, events: 0 };
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
