import { CmfError } from '../errors/index.js';
import type { MlmdStore } from '../mlmd/index.js';
import { artifactNames, artifactRows, linkNames, type Row } from '../cmf/query.js';
import { artifactPath } from '../cmf/artifact-name.js';
import { collectPipelineArtifacts, eventPath, nameAtPath } from './collect.js';
import {
  artifactNotFound,
  nameClues,
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
 *
 * Only the artifacts whose names could match (nameClues, in SQL) are read with their
 * properties; all the names, without properties, only for a NAME that selects nothing.
 */
export function listArtifactsNamed(
  store: MlmdStore,
  pipeline: string,
  wanted: string,
  where: SelectWhere,
): Row[] {
  const clues = nameClues(wanted, where);
  const holdsClue = (name: string) => clues === undefined || clues.some((c) => name.includes(c));
  const links = linkNames(store, pipeline);
  // Artifacts an event links under a name that could match: their recorded paths decide.
  const relinked = new Set(
    links
      .filter((l) => {
        const path = artifactPath(l.name, l.uri);
        const linkedPath = eventPath({ path: [{ key: l.key }] }, l, path);
        return holdsClue(nameAtPath({ name: l.name, path }, linkedPath));
      })
      .map((l) => l.id),
  );
  const rows =
    clues === undefined
      ? artifactRows(store, pipeline)
      : artifactRows(store, pipeline, [
          ...new Set([...artifactNames(store, pipeline, clues).map((a) => a.id), ...relinked]),
        ]);
  const views = withRecordedNames(rows, rowKey, store, pipeline, relinked);
  const found = selectArtifacts(views, (v) => v.name, wanted, where, { several: true });
  if (found.length > 0) return [...new Set(found.map((v) => v.item))];
  // Nothing: every name, for the look-alike and the suggestions.
  const all = withRecordedNames(
    artifactNames(store, pipeline),
    { id: (a) => a.id, name: (a) => a.name },
    store,
    pipeline,
    new Set(links.map((l) => l.id)),
  );
  const lookalike = normalisationLookalike(all, (v) => v.name, wanted, where);
  throw artifactNotFound(wanted, pipeline, { lookalike, known: all.map((v) => v.name) });
}

const rowKey = { id: (r: Row) => r.id, name: (r: Row) => String(r.name ?? '') };

/**
 * `items` (artifacts in listing order) each under its own name, then, for those of them in
 * `linked`, under each other path the pipeline's executions recorded its content under.
 */
function withRecordedNames<T>(
  items: readonly T[],
  key: { id: (item: T) => unknown; name: (item: T) => string },
  store: MlmdStore,
  pipeline: string,
  linked: ReadonlySet<number>,
): { item: T; name: string }[] {
  const views = items.map((item) => ({ item, name: key.name(item) }));
  if (linked.size === 0) return views;
  const byId = new Map(items.map((item) => [key.id(item), item]));
  for (const a of recordedArtifacts(store, pipeline)) {
    const item = linked.has(a.id) ? byId.get(a.id) : undefined;
    for (const p of a.paths) {
      if (item && p.path !== a.path) views.push({ item, name: nameAtPath(a, p.path) });
    }
  }
  return views;
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
