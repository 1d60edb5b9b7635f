/** Executions: optional name, `last_known_state`. */
import { i64 } from './connection.js';
import { ExecutionState, TypeKind } from './enums.js';
import {
  NodeStore,
  type NodeProperties,
  type NodeRow,
  type ReadOptions,
  baseRecord,
  optionalEnum,
} from './node-store.js';
import type { ExecutionInput, ExecutionUpdate, MlmdExecution } from './records.js';

export const EXECUTION_TABLE = {
  kind: TypeKind.EXECUTION,
  table: 'Execution',
  propertyTable: 'ExecutionProperty',
  idColumn: 'execution_id',
  extraColumns: ['last_known_state'],
  label: 'Execution',
};

export class ExecutionStore extends NodeStore<MlmdExecution, ExecutionInput, ExecutionUpdate> {
  protected toRecord(r: NodeRow, p: NodeProperties): MlmdExecution {
    return {
      ...baseRecord(r, p),
      name: r.name,
      lastKnownState:
        r.last_known_state === null ? null : (Number(r.last_known_state) as ExecutionState),
    };
  }

  protected insertColumns(input: ExecutionInput): Record<string, unknown> {
    return {
      last_known_state: optionalEnum('execution state', ExecutionState, input.lastKnownState),
    };
  }

  protected updateColumns(patch: ExecutionUpdate): Record<string, unknown> {
    if (patch.lastKnownState === undefined) return {};
    const state = optionalEnum('execution state', ExecutionState, patch.lastKnownState);
    return { last_known_state: state };
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
    return this.viaEvents('execution_id', 'artifact_id', artifactId, eventType, opts);
  }
}
