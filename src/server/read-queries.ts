/**
 * The server's read routes (spec/cmf-reference.md §9.2) over the asynchronous store, so
 * they work on SQLite and PostgreSQL alike: one flat record per execution or artifact
 * (type properties under their own names, custom ones as `custom_properties_<key>`, as
 * `cmf execution list` and `cmf artifact list` shape them), filtered, sorted and paged in
 * memory. Python's server runs hand-written SQL; the results are the same records.
 */
import { listPipelinesAsync, requirePipelineAsync } from '../cmf/async-query.js';
import { CUSTOM_PREFIX } from '../cmf/query.js';
import type { AsyncMlmdStore } from '../mlmd/async-store.js';
import { TypeKind, type MlmdContext, type MlmdNode, type Properties } from '../mlmd/index.js';
import { getOwn, setOwn } from '../util/own-keys.js';

export type Cell = string | number | boolean | null;
export type Record_ = Record<string, Cell>;

export async function pipelineNames(store: AsyncMlmdStore): Promise<string[]> {
  return (await listPipelinesAsync(store)).map((c) => c.name);
}

/** Stages of the pipeline; with `stageName`, only that one (matched by full or short name). */
async function stagesOf(
  store: AsyncMlmdStore,
  pipeline: MlmdContext,
  stageName?: string,
): Promise<MlmdContext[]> {
  const stages = await store.contexts.children(pipeline.id);
  if (stageName === undefined || stageName === '') return stages;
  return stages.filter((s) => s.name === stageName || s.name === `${pipeline.name}/${stageName}`);
}

function cell(v: Properties[string]): Cell {
  if (typeof v.value === 'bigint') return v.value.toString();
  return v.value;
}

function flatten(node: MlmdNode, extra: Record_ = {}): Record_ {
  const out: Record_ = {
    id: node.id,
    name: node.name ?? '',
    type: node.typeName,
    create_time_since_epoch: node.createTimeSinceEpoch,
    last_update_time_since_epoch: node.lastUpdateTimeSinceEpoch,
    ...extra,
  };
  if ('uri' in node) out.uri = node.uri;
  for (const [k, v] of Object.entries(node.properties)) setOwn(out, k, cell(v));
  for (const [k, v] of Object.entries(node.customProperties)) out[CUSTOM_PREFIX + k] = cell(v);
  return out;
}

export async function executionRecords(
  store: AsyncMlmdStore,
  pipelineName: string,
  stageName?: string,
): Promise<Record_[]> {
  const pipeline = await requirePipelineAsync(store, pipelineName);
  const stages = await stagesOf(store, pipeline, stageName);
  const assoc = await store.links.associationsOf(stages.map((s) => s.id));
  const stageName_ = new Map(stages.map((s) => [s.id, s.name]));
  const stageOf = new Map(assoc.map((a) => [a.executionId, stageName_.get(a.contextId)!]));
  const executions = await store.executions.getMany([...stageOf.keys()]);
  return executions.map((e) => flatten(e, { stage: stageOf.get(e.id) ?? null }));
}

export async function artifactRecords(
  store: AsyncMlmdStore,
  pipelineName: string,
  opts: { stageName?: string; artifactType?: string } = {},
): Promise<Record_[]> {
  const pipeline = await requirePipelineAsync(store, pipelineName);
  const stages = await stagesOf(store, pipeline, opts.stageName);
  const attributions = await store.links.attributionsOf(stages.map((s) => s.id));
  const names = new Map(stages.map((s) => [s.id, s.name]));
  // An artifact attributed to several stages is listed once, under the first.
  const stageOf = new Map<number, string>();
  for (const a of attributions) {
    if (!stageOf.has(a.artifactId)) stageOf.set(a.artifactId, names.get(a.contextId)!);
  }
  const artifacts = await store.artifacts.getMany([...stageOf.keys()]);
  return artifacts
    .filter((a) => !opts.artifactType || a.typeName === opts.artifactType)
    .map((a) => flatten(a, { stage: stageOf.get(a.id) ?? null }));
}

/** Distinct `Context_Type` of the pipeline's executions, in first-seen order. */
export async function pipelineStageTypes(
  store: AsyncMlmdStore,
  pipelineName: string,
): Promise<string[]> {
  const rows = await executionRecords(store, pipelineName);
  return [...new Set(rows.map((r) => r.Context_Type).filter((v) => typeof v === 'string'))];
}

export async function artifactTypeNames(store: AsyncMlmdStore): Promise<string[]> {
  const types = await store.types.list(TypeKind.ARTIFACT);
  return types.map((t) => t.name).filter((n) => n !== 'Environment' && !n.startsWith('mlmd.'));
}

export interface PageOptions {
  filterValue?: string;
  sortField?: string;
  sortOrder?: 'ASC' | 'DESC';
  page: number;
  perPage: number;
}

/**
 * `{total_items, items}` as the Python server pages: `filter_value` keeps records where any
 * field contains it (case-insensitive), sorting is by `sortField` (default `id`).
 */
export function paginate(
  rows: Record_[],
  opts: PageOptions,
): { total_items: number; items: Record_[] } {
  const needle = opts.filterValue?.toLowerCase();
  const kept = needle
    ? rows.filter((r) =>
        Object.values(r).some((v) =>
          String(v ?? '')
            .toLowerCase()
            .includes(needle),
        ),
      )
    : rows;
  const field = opts.sortField ?? 'id';
  const dir = opts.sortOrder === 'ASC' ? 1 : -1;
  kept.sort(
    (a, b) => dir * compare(getOwn(a, field), getOwn(b, field)) || Number(a.id) - Number(b.id),
  );
  const start = (opts.page - 1) * opts.perPage;
  return { total_items: kept.length, items: kept.slice(start, start + opts.perPage) };
}

function compare(a: Cell | undefined, b: Cell | undefined): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return -1;
  if (b === undefined || b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}
