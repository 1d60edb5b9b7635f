/** Artifacts: `uri` ('' when unset, as MLMD writes it), optional name, `state`. */
import { i64 } from './connection.js';
import { ArtifactState, TypeKind } from './enums.js';
import { invalidArgumentError } from './errors.js';
import {
  NodeStore,
  type NodeProperties,
  type NodeRow,
  type ReadOptions,
  baseRecord,
  optionalEnum,
} from './node-store.js';
import type { ArtifactInput, ArtifactUpdate, MlmdArtifact } from './records.js';

export const ARTIFACT_TABLE = {
  kind: TypeKind.ARTIFACT,
  table: 'Artifact',
  propertyTable: 'ArtifactProperty',
  idColumn: 'artifact_id',
  extraColumns: ['uri', 'state'],
  label: 'Artifact',
};

export class ArtifactStore extends NodeStore<MlmdArtifact, ArtifactInput, ArtifactUpdate> {
  protected toRecord(r: NodeRow, p: NodeProperties): MlmdArtifact {
    return {
      ...baseRecord(r, p),
      name: r.name,
      uri: (r.uri as string | null) ?? '',
      state: r.state === null ? null : (Number(r.state) as ArtifactState),
    };
  }

  protected insertColumns(input: ArtifactInput): Record<string, unknown> {
    return {
      // MLMD always binds the uri field, so an artifact without one gets '' (spec B4).
      uri: checkUri(input.uri ?? ''),
      state: optionalEnum('artifact state', ArtifactState, input.state),
    };
  }

  protected updateColumns(patch: ArtifactUpdate): Record<string, unknown> {
    const set: Record<string, unknown> = {};
    if (patch.uri !== undefined) set.uri = checkUri(patch.uri);
    if (patch.state !== undefined)
      set.state = optionalEnum('artifact state', ArtifactState, patch.state);
    return set;
  }

  /** Artifacts with exactly this uri, in id order. */
  getByUri(uri: string, opts?: ReadOptions): MlmdArtifact[] {
    return this.select({ sql: 'n.uri = ?', params: [uri] }, opts);
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

function checkUri(uri: string): string {
  if (typeof uri !== 'string' || uri.includes('\0')) {
    throw invalidArgumentError(`Invalid artifact uri ${JSON.stringify(uri)}.`);
  }
  return uri;
}
