/** Executions: optional name, `last_known_state` (see EXECUTION_KIND). */
import { i64 } from './connection.js';
import { NodeStore, type ReadOptions } from './node-store.js';
import type { ExecutionInput, ExecutionUpdate, MlmdExecution } from './records.js';

export class ExecutionStore extends NodeStore<MlmdExecution, ExecutionInput, ExecutionUpdate> {
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
