/**
 * Read-side queries over a cmf MLMD file, shaped as cmflib's listings shape them
 * (spec/cmf-reference.md §3.4–§3.6): one flat record per artifact or execution, type
 * properties under their own names and custom properties as `custom_properties_<key>`.
 *
 * Every listing costs a fixed number of statements whatever its size (stages, links, nodes,
 * properties), never one per row.
 *
 * Where we differ from cmflib, on purpose:
 * - An artifact attributed to several stages is listed once, under the first stage (§11.12).
 * - A pipeline that exists but has no artifacts (or executions) is an empty listing, not
 *   "pipeline not found".
 */
import { NotFoundError } from '../errors/index.js';
import {
  TypeKind,
  type MlmdArtifact,
  type MlmdContext,
  type MlmdExecution,
  type MlmdStore,
  type Properties,
} from '../mlmd/index.js';
import { PARENT_CONTEXT } from './conventions.js';

/** A cell of a listing record. Integers beyond 2^53 stay bigints. */
export type Cell = string | number | bigint | boolean;
export type Row = Record<string, Cell>;

export const CUSTOM_PREFIX = 'custom_properties_';

/** All pipelines (`Parent_Context` contexts), in id order. */
export function listPipelines(store: MlmdStore): MlmdContext[] {
  return store.contexts.listByTypeName(PARENT_CONTEXT);
}

/** The pipeline context with this name; NotFoundError (exit 3) naming the ones that exist. */
export function requirePipeline(store: MlmdStore, name: string): MlmdContext {
  const type = store.types.get(TypeKind.CONTEXT, PARENT_CONTEXT);
  const found = type ? store.contexts.getByName(type.id, name) : undefined;
  if (found) return found;
  const known = type ? store.contexts.listByType(type.id, { properties: false }) : [];
  const names = known.map((c) => c.name);
  const shown = names.slice(0, 10).join(', ') + (names.length > 10 ? ', ...' : '');
  throw new NotFoundError(
    'PIPELINE_NOT_FOUND',
    `Pipeline "${name}" doesn't exist in ${store.path}`,
    {
      hint:
        names.length === 0
          ? 'This MLMD file holds no pipelines; check the path given with -f/--file_name.'
          : `Pipelines in this file: ${shown}. Run 'cmf pipeline list' to see them all.`,
      data: { pipeline: name, path: store.path },
    },
  );
}

/** Stage contexts of a pipeline (its child contexts), in id order. */
export function pipelineStages(store: MlmdStore, pipeline: MlmdContext): MlmdContext[] {
  return store.contexts.children(pipeline.id);
}

/**
 * Node ids linked to the stages, stage by stage in stage order and by id within a stage
 * (the order cmflib's per-stage MLMD queries give); each id once unless `repeat`.
 */
function idsByStage(
  stages: MlmdContext[],
  pairs: { contextId: number; id: number }[],
  repeat: boolean,
): number[] {
  const perStage = new Map<number, number[]>(stages.map((s) => [s.id, []]));
  for (const p of pairs) perStage.get(p.contextId)?.push(p.id);
  const seen = new Set<number>();
  const out: number[] = [];
  for (const s of stages) {
    for (const id of (perStage.get(s.id) ?? []).sort((a, b) => a - b)) {
      if (!repeat && seen.has(id)) continue;
      seen.add(id);
      out.push(id);
    }
  }
  return out;
}

/** Executions of a pipeline, stage by stage, as MLMD records. */
export function pipelineExecutions(
  store: MlmdStore,
  pipeline: MlmdContext,
): { stages: MlmdContext[]; executions: MlmdExecution[] } {
  return store.read(() => {
    const stages = pipelineStages(store, pipeline);
    const pairs = store.links
      .associationsOf(stages.map((s) => s.id))
      .map((a) => ({ contextId: a.contextId, id: a.executionId }));
    const byId = new Map(store.executions.getMany(pairs.map((p) => p.id)).map((e) => [e.id, e]));
    const executions = idsByStage(stages, pairs, false).flatMap((id) => byId.get(id) ?? []);
    return { stages, executions };
  });
}

/** Artifacts attributed to the stages of a pipeline, each once, stage by stage. */
export function pipelineArtifacts(store: MlmdStore, pipeline: MlmdContext): MlmdArtifact[] {
  return store.read(() => {
    const stages = pipelineStages(store, pipeline);
    const pairs = store.links
      .attributionsOf(stages.map((s) => s.id))
      .map((a) => ({ contextId: a.contextId, id: a.artifactId }));
    const byId = new Map(store.artifacts.getMany(pairs.map((p) => p.id)).map((a) => [a.id, a]));
    return idsByStage(stages, pairs, false).flatMap((id) => byId.get(id) ?? []);
  });
}

function addProperties(row: Row, properties: Properties, custom: Properties): Row {
  for (const [k, v] of Object.entries(properties)) row[k] = v.value;
  for (const [k, v] of Object.entries(custom)) row[CUSTOM_PREFIX + k] = v.value;
  return row;
}

/** cmflib's execution record: id, name ('' when unnamed), properties, custom properties. */
export function executionRow(e: MlmdExecution): Row {
  return addProperties({ id: e.id, name: e.name ?? '' }, e.properties, e.customProperties);
}

/** cmflib's artifact record: id, type, uri, name, both times, properties, custom properties. */
export function artifactRow(a: MlmdArtifact): Row {
  return addProperties(
    {
      id: a.id,
      type: a.typeName,
      uri: a.uri,
      name: a.name ?? '',
      create_time_since_epoch: a.createTimeSinceEpoch,
      last_update_time_since_epoch: a.lastUpdateTimeSinceEpoch,
    },
    a.properties,
    a.customProperties,
  );
}

/** A pipeline record for `cmf pipeline list --json`. */
export function pipelineRow(p: MlmdContext): Row {
  return addProperties(
    {
      id: p.id,
      name: p.name,
      create_time_since_epoch: p.createTimeSinceEpoch,
      last_update_time_since_epoch: p.lastUpdateTimeSinceEpoch,
    },
    {},
    p.customProperties,
  );
}

/** Execution records of a pipeline; only those holding `uuid` in their Execution_uuid list if given. */
export function executionRows(store: MlmdStore, pipelineName: string, uuid?: string): Row[] {
  const pipeline = requirePipeline(store, pipelineName);
  const rows = pipelineExecutions(store, pipeline).executions.map(executionRow);
  if (uuid === undefined) return rows;
  const matches = rows.filter((r) => hasUuid(r.Execution_uuid, uuid));
  if (matches.length === 0) {
    throw new NotFoundError(
      'EXECUTION_NOT_FOUND',
      `Execution uuid ${uuid} is not present in pipeline "${pipelineName}"`,
      {
        hint: `Run 'cmf execution list -p ${pipelineName}' to see the executions and their uuids.`,
        data: { pipeline: pipelineName, uuid },
      },
    );
  }
  return matches;
}

/** Whether a comma-joined Execution_uuid value holds `uuid`. */
export function hasUuid(value: Cell | undefined, uuid: string): boolean {
  return typeof value === 'string' && value.split(',').some((u) => u.trim() === uuid);
}

/** Artifact records of a pipeline; with `name`, only those it names (see `artifactMatches`). */
export function artifactRows(store: MlmdStore, pipelineName: string, name?: string): Row[] {
  const pipeline = requirePipeline(store, pipelineName);
  const rows = pipelineArtifacts(store, pipeline).map(artifactRow);
  if (name === undefined) return rows;
  const matches = rows.filter((r) => artifactMatches(String(r.name ?? ''), name));
  if (matches.length === 0) {
    throw new NotFoundError(
      'ARTIFACT_NOT_FOUND',
      `Artifact "${name}" not found in pipeline "${pipelineName}"`,
      {
        hint: `Give the artifact's path, file name or full name; 'cmf artifact list -p ${pipelineName}' lists them.`,
        data: { pipeline: pipelineName, artifact: name },
      },
    );
  }
  return matches;
}

/**
 * cmflib's rule for `-a NAME`: NAME is the path part of the artifact name (before the first
 * `:`), the basename of that path, the full name, or the basename of the full name.
 */
export function artifactMatches(fullName: string, wanted: string): boolean {
  const path = fullName.split(':')[0] ?? '';
  return (
    wanted === fullName ||
    wanted === path ||
    wanted === basename(path) ||
    wanted === basename(fullName)
  );
}

function basename(p: string): string {
  const trimmed = p.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
