/** Artifacts: `uri` ('' when unset, as MLMD writes it), optional name, `state`. */
import { i64 } from './connection.js';
import { ArtifactState, TypeKind } from './enums.js';
import { invalidArgumentError } from './errors.js';
import {
  NodeStore,
  type NodeProperties,
  type NodeRow,
  type ReadOptions,
  checkName,
  optionalEnum,
} from './node-store.js';
import type { ArtifactInput, ArtifactUpdate, MlmdArtifact, Put } from './records.js';

export const ARTIFACT_TABLE = {
  kind: TypeKind.ARTIFACT,
  table: 'Artifact',
  propertyTable: 'ArtifactProperty',
  idColumn: 'artifact_id',
  extraColumns: ['uri', 'state'],
  label: 'Artifact',
};

export class ArtifactStore extends NodeStore<MlmdArtifact> {
  protected toRecord(r: NodeRow, p: NodeProperties): MlmdArtifact {
    return {
      id: r.id,
      typeId: r.type_id,
      typeName: r.type_name,
      name: r.name,
      uri: (r.uri as string | null) ?? '',
      state: r.state === null ? null : (Number(r.state) as ArtifactState),
      externalId: r.external_id,
      createTimeSinceEpoch: r.create_time_since_epoch,
      lastUpdateTimeSinceEpoch: r.last_update_time_since_epoch,
      ...p,
    };
  }

  /** Inserts an artifact; MLMD_ALREADY_EXISTS if its type already has one with this name. */
  create(input: ArtifactInput): MlmdArtifact {
    return this.conn.write(() => this.insert(input));
  }

  /** The artifact of this type and name, or a new one (properties are set only on creation). */
  getOrCreate(input: ArtifactInput & { name: string }): Put<MlmdArtifact> {
    return this.conn.write(() => {
      const found = this.getByName(input.typeId, input.name);
      return found
        ? { value: found, created: false }
        : { value: this.insert(input), created: true };
    });
  }

  /** Sets the given fields and properties and bumps last_update_time_since_epoch. */
  update(id: number, patch: ArtifactUpdate): MlmdArtifact {
    return this.conn.write(() => {
      const current = this.require(id, { properties: false });
      const set: Record<string, unknown> = {};
      if (patch.uri !== undefined) set.uri = checkUri(patch.uri);
      if (patch.state !== undefined)
        set.state = optionalEnum('artifact state', ArtifactState, patch.state);
      if (patch.externalId !== undefined)
        set.external_id = checkName('external id', patch.externalId);
      const type = this.typeOf(current.typeId);
      this.writeProperties(id, type, patch.properties, patch.customProperties);
      this.updateRow(id, set);
      return this.require(id);
    });
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
    const typed = eventType === undefined ? '' : ' AND type = ?';
    const params: unknown[] = [i64(executionId)];
    if (eventType !== undefined) params.push(i64(eventType));
    return this.select(
      { sql: `n.id IN (SELECT artifact_id FROM Event WHERE execution_id = ?${typed})`, params },
      opts,
    );
  }

  private insert(input: ArtifactInput): MlmdArtifact {
    const type = this.typeOf(input.typeId);
    const name = checkName('artifact name', input.name);
    this.assertNameFree(type.id, name);
    const id = this.insertRow(type.id, name, checkName('external id', input.externalId), {
      // MLMD always binds the uri field, so an artifact without one gets '' (spec B4).
      uri: checkUri(input.uri ?? ''),
      state: optionalEnum('artifact state', ArtifactState, input.state),
    });
    this.writeProperties(id, type, input.properties, input.customProperties);
    return this.require(id);
  }
}

function checkUri(uri: string): string {
  if (typeof uri !== 'string' || uri.includes('\0')) {
    throw invalidArgumentError(`Invalid artifact uri ${JSON.stringify(uri)}.`);
  }
  return uri;
}
