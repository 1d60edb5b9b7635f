import { CmfError } from '../errors/index.js';
import type { MlmdStore } from '../mlmd/index.js';
import { artifactRows, type Row } from '../cmf/query.js';
import { collectPipelineArtifacts, nameAtPath } from './collect.js';
import {
  artifactNotFound,
  normalisationLookalike,
  selectArtifacts,
  type SelectWhere,
} from './select.js';

/**
 * The rows `cmf artifact list -a NAME` shows: the artifacts NAME selects, as pull selects
 * them (a file name found at several paths shows them all instead of being refused), by
 * their own names or by any path an execution recorded their content under: identical
 * content logged at two paths is one artifact, named after the first, so the second path
 * is known only from its events. NotFoundError when NAME selects nothing.
 */
export function listArtifactsNamed(
  store: MlmdStore,
  pipeline: string,
  wanted: string,
  where: SelectWhere,
): Row[] {
  const rows = artifactRows(store, pipeline);
  const views = rows.map((row) => ({ row, name: String(row.name ?? '') }));
  const byId = new Map(rows.map((row) => [row.id, row]));
  for (const a of recordedArtifacts(store, pipeline)) {
    const row = byId.get(a.id);
    for (const p of a.paths) {
      if (row && p.path !== a.path) views.push({ row, name: nameAtPath(a, p.path) });
    }
  }
  const found = selectArtifacts(views, (v) => v.name, wanted, where, { several: true });
  if (found.length === 0) {
    const lookalike = normalisationLookalike(views, (v) => v.name, wanted, where);
    throw artifactNotFound(wanted, pipeline, { lookalike, known: views.map((v) => v.name) });
  }
  return [...new Set(found.map((v) => v.row))];
}

/** The pipeline's file-backed artifacts with their recorded paths; none without executions. */
function recordedArtifacts(store: MlmdStore, pipeline: string) {
  try {
    return collectPipelineArtifacts(store, pipeline);
  } catch (err) {
    if (err instanceof CmfError && err.code === 'EXECUTIONS_NOT_FOUND') return [];
    throw err;
  }
}
