/** Contexts: required non-empty name; the parent/child hierarchy lives in links. */
import { i64 } from './connection.js';
import { TypeKind } from './enums.js';
import { invalidArgumentError } from './errors.js';
import {
  NodeStore,
  type NodeProperties,
  type NodeRow,
  type ReadOptions,
  checkName,
} from './node-store.js';
import type { ContextInput, ContextUpdate, MlmdContext, Put } from './records.js';

export const CONTEXT_TABLE = {
  kind: TypeKind.CONTEXT,
  table: 'Context',
  propertyTable: 'ContextProperty',
  idColumn: 'context_id',
  extraColumns: [],
  label: 'Context',
};

export class ContextStore extends NodeStore<MlmdContext> {
  protected toRecord(r: NodeRow, p: NodeProperties): MlmdContext {
    return {
      id: r.id,
      typeId: r.type_id,
      typeName: r.type_name,
      name: r.name ?? '',
      externalId: r.external_id,
      createTimeSinceEpoch: r.create_time_since_epoch,
      lastUpdateTimeSinceEpoch: r.last_update_time_since_epoch,
      ...p,
    };
  }

  /** Inserts a context; MLMD_ALREADY_EXISTS if its type already has one with this name. */
  create(input: ContextInput): MlmdContext {
    return this.conn.write(() => this.insert(input));
  }

  /** The context of this type and name, or a new one (properties set only on creation). */
  getOrCreate(input: ContextInput): Put<MlmdContext> {
    return this.conn.write(() => {
      const found = this.getByName(input.typeId, contextName(input.name));
      return found
        ? { value: found, created: false }
        : { value: this.insert(input), created: true };
    });
  }

  /** Sets the given fields and properties and bumps last_update_time_since_epoch. */
  update(id: number, patch: ContextUpdate): MlmdContext {
    return this.conn.write(() => {
      const current = this.require(id, { properties: false });
      const set: Record<string, unknown> = {};
      if (patch.name !== undefined && patch.name !== current.name) {
        this.assertNameFree(current.typeId, contextName(patch.name));
        set.name = patch.name;
      }
      if (patch.externalId !== undefined)
        set.external_id = checkName('external id', patch.externalId);
      const type = this.typeOf(current.typeId);
      this.writeProperties(id, type, patch.properties, patch.customProperties);
      this.updateRow(id, set);
      return this.require(id);
    });
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

  private insert(input: ContextInput): MlmdContext {
    const type = this.typeOf(input.typeId);
    const name = contextName(input.name);
    this.assertNameFree(type.id, name);
    const id = this.insertRow(type.id, name, checkName('external id', input.externalId), {});
    this.writeProperties(id, type, input.properties, input.customProperties);
    return this.require(id);
  }
}

/** MLMD rejects contexts without a name. */
function contextName(name: string): string {
  const checked = checkName('context name', name);
  if (!checked) throw invalidArgumentError('A context needs a non-empty name.');
  return checked;
}
