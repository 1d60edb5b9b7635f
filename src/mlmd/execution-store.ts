/** Executions: optional name, `last_known_state`. */
import { i64 } from './connection.js';
import { ExecutionState, TypeKind } from './enums.js';
import {
  NodeStore,
  type NodeProperties,
  type NodeRow,
  type ReadOptions,
  checkName,
  optionalEnum,
} from './node-store.js';
import type { ExecutionInput, ExecutionUpdate, MlmdExecution, Put } from './records.js';

export const EXECUTION_TABLE = {
  kind: TypeKind.EXECUTION,
  table: 'Execution',
  propertyTable: 'ExecutionProperty',
  idColumn: 'execution_id',
  extraColumns: ['last_known_state'],
  label: 'Execution',
};

export class ExecutionStore extends NodeStore<MlmdExecution> {
  protected toRecord(r: NodeRow, p: NodeProperties): MlmdExecution {
    return {
      id: r.id,
      typeId: r.type_id,
      typeName: r.type_name,
      name: r.name,
      lastKnownState:
        r.last_known_state === null ? null : (Number(r.last_known_state) as ExecutionState),
      externalId: r.external_id,
      createTimeSinceEpoch: r.create_time_since_epoch,
      lastUpdateTimeSinceEpoch: r.last_update_time_since_epoch,
      ...p,
    };
  }

  /** Inserts an execution; MLMD_ALREADY_EXISTS if its type already has one with this name. */
  create(input: ExecutionInput): MlmdExecution {
    return this.conn.write(() => this.insert(input));
  }

  /** The execution of this type and name, or a new one (properties set only on creation). */
  getOrCreate(input: ExecutionInput & { name: string }): Put<MlmdExecution> {
    return this.conn.write(() => {
      const found = this.getByName(input.typeId, input.name);
      return found
        ? { value: found, created: false }
        : { value: this.insert(input), created: true };
    });
  }

  /** Sets the given fields and properties and bumps last_update_time_since_epoch. */
  update(id: number, patch: ExecutionUpdate): MlmdExecution {
    return this.conn.write(() => {
      const current = this.require(id, { properties: false });
      const set: Record<string, unknown> = {};
      if (patch.lastKnownState !== undefined) {
        set.last_known_state = optionalEnum(
          'execution state',
          ExecutionState,
          patch.lastKnownState,
        );
      }
      if (patch.externalId !== undefined)
        set.external_id = checkName('external id', patch.externalId);
      const type = this.typeOf(current.typeId);
      this.writeProperties(id, type, patch.properties, patch.customProperties);
      this.updateRow(id, set);
      return this.require(id);
    });
  }

  /** Executions associated with a context, in id order. */
  byContext(contextId: number, opts?: ReadOptions): MlmdExecution[] {
    return this.select(
      {
        sql: 'n.id IN (SELECT execution_id FROM Association WHERE context_id = ?)',
        params: [i64(contextId)],
      },
      opts,
    );
  }

  /** Executions linked to an artifact by an event (of one type if given), in id order. */
  byArtifact(artifactId: number, eventType?: number, opts?: ReadOptions): MlmdExecution[] {
    const typed = eventType === undefined ? '' : ' AND type = ?';
    const params: unknown[] = [i64(artifactId)];
    if (eventType !== undefined) params.push(i64(eventType));
    return this.select(
      { sql: `n.id IN (SELECT execution_id FROM Event WHERE artifact_id = ?${typed})`, params },
      opts,
    );
  }

  private insert(input: ExecutionInput): MlmdExecution {
    const type = this.typeOf(input.typeId);
    const name = checkName('execution name', input.name);
    this.assertNameFree(type.id, name);
    const id = this.insertRow(type.id, name, checkName('external id', input.externalId), {
      last_known_state: optionalEnum('execution state', ExecutionState, input.lastKnownState),
    });
    this.writeProperties(id, type, input.properties, input.customProperties);
    return this.require(id);
  }
}
