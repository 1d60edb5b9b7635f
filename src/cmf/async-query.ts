/**
 * The pipeline lookups that code running on every backend (export, merge, the metadata
 * server) needs, over AsyncMlmdStore. The listings of query.ts stay synchronous: they run on
 * an MlmdStore file and build their records straight from SQL.
 */
import { TypeKind, type AsyncMlmdStore, type MlmdContext } from '../mlmd/index.js';
import { PARENT_CONTEXT } from './conventions.js';
import { pipelineNotFoundError } from './query.js';

/** All pipelines (`Parent_Context` contexts), in id order. */
export function listPipelinesAsync(store: AsyncMlmdStore): Promise<MlmdContext[]> {
  return store.contexts.listByTypeName(PARENT_CONTEXT);
}

/** The pipeline context with this name, or undefined. */
export async function findPipeline(
  store: AsyncMlmdStore,
  name: string,
): Promise<MlmdContext | undefined> {
  const type = await store.types.get(TypeKind.CONTEXT, PARENT_CONTEXT);
  return type ? store.contexts.getByName(type.id, name) : undefined;
}

/** The pipeline context with this name; NotFoundError (exit 3) naming the ones that exist. */
export async function requirePipelineAsync(
  store: AsyncMlmdStore,
  name: string,
): Promise<MlmdContext> {
  const found = await findPipeline(store, name);
  if (found) return found;
  const known = await store.contexts.listByTypeName(PARENT_CONTEXT, { properties: false });
  throw pipelineNotFoundError(
    name,
    store.location,
    known.map((c) => c.name),
  );
}
