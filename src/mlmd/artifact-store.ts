/** Artifacts: `uri` ('' when unset, as MLMD writes it), optional name, `state` (see ARTIFACT_KIND). */
import { i64 } from './connection.js';
import { NodeStore, type ReadOptions } from './node-store.js';
import type { ArtifactInput, ArtifactUpdate, MlmdArtifact } from './records.js';

export class ArtifactStore extends NodeStore<MlmdArtifact, ArtifactInput, ArtifactUpdate> {
  /** Artifacts with exactly this uri, in id order. */
  getByUri(uri: string, opts?: ReadOptions): MlmdArtifact[] {
    return this.select({ sql: 'n.uri = ?', params: [uri] }, opts);
  }

  /** Artifacts with any of these uris, in id order. */
  getByUris(uris: readonly string[], opts?: ReadOptions): MlmdArtifact[] {
    return this.select(
      { sql: 'n.uri IN (SELECT value FROM json_each(?))', params: [JSON.stringify(uris)] },
      opts,
    );
  }

  /** Artifacts attributed to a context, in id order. */
  byContext(contextId: number, opts?: ReadOptions): MlmdArtifact[] {
    return this.select(
      {
        sql: 'n.id IN (SELECT artifact_id FROM Attribution WHERE context_id = ?)',
        params: [i64(contextId)],
      },
      opts,
    );
  }

  /** Artifacts linked to an execution by an event (of one type if given), in id order. */
  byExecution(executionId: number, eventType?: number, opts?: ReadOptions): MlmdArtifact[] {
    return this.viaEvents('artifact_id', 'execution_id', executionId, eventType, opts);
  }
}
