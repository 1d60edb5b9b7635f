/** Contexts: required non-empty name; the parent/child hierarchy lives in links. */
import { i64 } from './connection.js';
import { TypeKind } from './enums.js';
import { invalidArgumentError } from './errors.js';
import {
  NodeStore,
  type NodeProperties,
  type NodeRow,
  type ReadOptions,
  baseRecord,
  checkName,
} from './node-store.js';
import type { ContextInput, ContextUpdate, MlmdContext } from './records.js';

export const CONTEXT_TABLE = {
  kind: TypeKind.CONTEXT,
  table: 'Context',
  propertyTable: 'ContextProperty',
  idColumn: 'context_id',
  extraColumns: [],
  label: 'Context',
};

export class ContextStore extends NodeStore<MlmdContext, ContextInput, ContextUpdate> {
  protected toRecord(r: NodeRow, p: NodeProperties): MlmdContext {
    return { ...baseRecord(r, p), name: r.name ?? '' };
  }

  /** MLMD rejects contexts without a name. */
  protected override checkedName(name: string | null | undefined): string {
    const checked = checkName('context name', name);
    if (!checked) throw invalidArgumentError('A context needs a non-empty name.');
    return checked;
  }

  protected insertColumns(): Record<string, unknown> {
    return {};
  }

  /** MLMD's context update rewrites the name. */
  protected updateColumns(patch: ContextUpdate, current: MlmdContext): Record<string, unknown> {
    if (patch.name === undefined || patch.name === current.name) return {};
    const name = this.checkedName(patch.name);
    this.assertNameFree(current.typeId, name);
    return { name };
  }

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
