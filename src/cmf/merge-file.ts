/**
 * The client side of `cmf metadata pull`: merge a document into a local MLMD file, created
 * when absent. Unlike cmflib (§3.9 step 5, §11.6) this needs no git work tree, no DVC remote
 * and switches no branch: it only opens the file.
 */
import { MlmdStore, SqliteAsyncStore } from '../mlmd/index.js';
import { mergeDocument, type MergeOptions, type MergeResult } from './merge.js';

export async function mergeIntoFile(
  mlmdPath: string,
  document: unknown,
  opts: MergeOptions,
): Promise<MergeResult> {
  const store = SqliteAsyncStore.wrap(MlmdStore.open(mlmdPath, { create: true }));
  try {
    return await mergeDocument(store, document, opts);
  } finally {
    await store.close();
  }
}
