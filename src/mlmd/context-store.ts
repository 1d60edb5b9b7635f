/** Contexts: required non-empty name (see CONTEXT_KIND); the parent/child hierarchy lives in links. */
import { i64 } from './connection.js';
import { NodeStore, type ReadOptions } from './node-store.js';
import type { ContextInput, ContextUpdate, MlmdContext } from './records.js';

export class ContextStore extends NodeStore<MlmdContext, ContextInput, ContextUpdate> {
  /** Child contexts of a parent (ParentContext rows whose parent is `parentId`), in id order. */
  children(parentId: number, opts?: ReadOptions): MlmdContext[] {
    return this.select(
      {
        sql: 'n.id IN (SELECT context_id FROM ParentContext WHERE parent_context_id = ?)',
        params: [i64(parentId)],
      },
      opts,
    );
  }

  /** Parent contexts of a child, in id order. */
  parents(childId: number, opts?: ReadOptions): MlmdContext[] {
    return this.select(
      {
        sql: 'n.id IN (SELECT parent_context_id FROM ParentContext WHERE context_id = ?)',
        params: [i64(childId)],
      },
      opts,
    );
  }

  /** Contexts an execution is associated with, in id order. */
  ofExecution(executionId: number, opts?: ReadOptions): MlmdContext[] {
    return this.select(
      {
        sql: 'n.id IN (SELECT context_id FROM Association WHERE execution_id = ?)',
        params: [i64(executionId)],
      },
      opts,
    );
  }

  /** Contexts an artifact is attributed to, in id order. */
  ofArtifact(artifactId: number, opts?: ReadOptions): MlmdContext[] {
    return this.select(
      {
        sql: 'n.id IN (SELECT context_id FROM Attribution WHERE artifact_id = ?)',
        params: [i64(artifactId)],
      },
      opts,
    );
  }
}
