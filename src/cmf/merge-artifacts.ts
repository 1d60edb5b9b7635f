/**
 * One event of a merged execution (spec §6.3 step 3): the artifact is matched by content
 * (same type, same uri = hash; then by name, which MLMD keeps unique per type) or created.
 *
 * - New artifact: the document's name (with the sender's execution id replaced by the
 *   receiver's where cmf puts one in the name: Model, Metrics, Step_Metrics), its
 *   properties and custom properties; an event of the document's type (no path) and an
 *   attribution to the stage — what the Cmf API writes for a new artifact.
 * - Known artifact: linked by an event whose path step is the document's name (as the Cmf
 *   API links known content); `url` entries are added as whole comma-separated items
 *   (Dataset, Environment, Step_Metrics, Dataslice, Label: the first artifact with that uri;
 *   Model: all of them, as cmflib does); a Dataset's custom properties are overwritten by
 *   the document's (labels, labels_uri, dataset_uri grow as sets). Nothing is written when
 *   nothing changes.
 *
 * Types cmf does not know (e.g. `Validation_output`, or a type another tool logged) are kept
 * as generic artifacts with the same rules and the document's declared properties, where
 * cmflib silently drops them.
 */
import { CmfError } from '../errors/index.js';
import {
  MlmdErrorCode,
  type AsyncMlmdStore,
  type MlmdArtifact,
  type PropertyInputs,
} from '../mlmd/index.js';
import type { DocArtifact, DocEvent } from './merge-document.js';
import type { MergeTypes } from './merge-types.js';
import { changedProperties, creationCustom, updateCustom, type MergeMode } from './merge-values.js';
import { mergeUrl } from './url.js';
import { mergedCustomProperties } from './values.js';

export interface EventScope {
  tx: AsyncMlmdStore;
  types: MergeTypes;
  known: KnownArtifacts;
  mode: MergeMode;
  stageId: number;
  executionId: number;
}

export interface EventOutcome {
  artifactCreated: boolean;
  eventCreated: boolean;
}

/**
 * The receiver's artifacts by uri as this merge has seen and changed them. The merge's
 * transaction is the store's only writer while it runs, so what it read stays true once it
 * records its own writes; an artifact used by many executions (the environment, a shared
 * dataset) is looked up once instead of once per event — each store call is a round trip
 * on a database server.
 */
export class KnownArtifacts {
  private readonly byUri = new Map<string, MlmdArtifact[]>();
  private readonly tx: AsyncMlmdStore;

  constructor(tx: AsyncMlmdStore) {
    this.tx = tx;
  }

  /** Artifacts with this uri and type, in id order. */
  async withUri(uri: string, typeId: number): Promise<MlmdArtifact[]> {
    let all = this.byUri.get(uri);
    if (!all) {
      all = await this.tx.artifacts.getByUri(uri);
      this.byUri.set(uri, all);
    }
    return all.filter((a) => a.typeId === typeId);
  }

  /** Records a created or updated artifact. */
  remember(a: MlmdArtifact): void {
    const all = this.byUri.get(a.uri);
    if (!all) return;
    const i = all.findIndex((x) => x.id === a.id);
    if (i >= 0) all[i] = a;
    else all.push(a);
  }
}

interface TypeRule {
  /** Position, from the end, of the `:`-separated name token holding the execution id. */
  idToken?: number;
  /** Which artifacts with the same uri get the document's url entries. */
  url?: 'first' | 'all';
  /** Overwrite the first artifact's custom properties with the document's. */
  updateCustom?: boolean;
}

const RULES: Record<string, TypeRule> = {
  Dataset: { url: 'first', updateCustom: true },
  Model: { idToken: 1, url: 'all' },
  Metrics: { idToken: 1 },
  Step_Metrics: { idToken: 2, url: 'first' },
  Dataslice: { url: 'first' },
  Environment: { url: 'first' },
  Label: { url: 'first' },
};
const GENERIC: TypeRule = { url: 'first' };

/** The name with the sender's execution id token (if it is one) replaced by `executionId`. */
export function receiverName(name: string, rule: TypeRule, executionId: number): string {
  if (rule.idToken === undefined) return name;
  const tokens = name.split(':');
  const i = tokens.length - rule.idToken;
  if (i < 1 || !/^\d+$/.test(tokens[i] ?? '')) return name;
  tokens[i] = String(executionId);
  return tokens.join(':');
}

function urlOf(a: { properties: MlmdArtifact['properties'] }): string {
  const v = a.properties.url;
  return v?.type === 'string' ? v.value : '';
}

export async function mergeEvent(scope: EventScope, ev: DocEvent): Promise<EventOutcome> {
  const { tx } = scope;
  const a: DocArtifact = ev.artifact;
  const rule = RULES[a.type] ?? GENERIC;
  const typeId = await scope.types.artifact(a.type, a.properties);
  const name = receiverName(a.name, rule, scope.executionId);
  let existing = a.uri === '' ? [] : await scope.known.withUri(a.uri, typeId);
  if (existing.length === 0) {
    const created = await createArtifact(scope, ev, typeId, name);
    if (created) return { artifactCreated: true, eventCreated: true };
    // MLMD keeps names unique per type: an artifact of this name but another uri is linked.
    const byName = await tx.artifacts.getByName(typeId, name);
    if (!byName) throw new Error(`Artifact "${name}" exists and cannot be read`);
    existing = [byName];
  }
  return linkArtifact(scope, ev, rule, existing);
}

/**
 * Creates the artifact with its event and attribution, or returns undefined when its type
 * already has an artifact of that name (the store undoes the failed call, so the
 * transaction goes on).
 */
async function createArtifact(
  scope: EventScope,
  ev: DocEvent,
  typeId: number,
  name: string,
): Promise<MlmdArtifact | undefined> {
  const { tx } = scope;
  const a = ev.artifact;
  const properties: PropertyInputs = { ...a.properties };
  // cmf's metrics_name is the artifact's full name, which now holds the receiver's id.
  const metricsName = a.properties.metrics_name;
  if (metricsName?.type === 'string' && metricsName.value === a.name) {
    properties.metrics_name = name;
  }
  let artifact: MlmdArtifact;
  try {
    artifact = await tx.artifacts.create({
      typeId,
      name: name === '' ? null : name,
      uri: a.uri,
      properties,
      customProperties: creationCustom(a.customProperties, a.createTime, scope.mode),
    });
  } catch (err) {
    if (err instanceof CmfError && err.code === MlmdErrorCode.alreadyExists) return undefined;
    throw err;
  }
  scope.known.remember(artifact);
  await tx.links.putEvent({
    artifactId: artifact.id,
    executionId: scope.executionId,
    type: ev.type,
  });
  await tx.links.attribute(scope.stageId, artifact.id);
  return artifact;
}

/** Links known content: url entries, custom properties (Dataset), an event with a path. */
async function linkArtifact(
  scope: EventScope,
  ev: DocEvent,
  rule: TypeRule,
  existing: MlmdArtifact[],
): Promise<EventOutcome> {
  const { tx } = scope;
  const a = ev.artifact;
  const first = existing[0]!;
  if (rule.updateCustom) {
    const wanted = mergedCustomProperties(first.customProperties, updateCustom(a.customProperties));
    const changed = changedProperties(first.customProperties, wanted);
    if (changed) {
      existing[0] = await tx.artifacts.update(first.id, { customProperties: changed });
      scope.known.remember(existing[0]);
    }
  }
  const entries = urlOf(a) === '' ? [] : urlOf(a).split(',');
  if (rule.url && entries.length > 0) {
    const targets = rule.url === 'all' ? existing : [existing[0]!];
    for (const target of targets) {
      const current = urlOf(target);
      const next = entries.reduce((acc, e) => mergeUrl(acc, e), current);
      if (next !== current) {
        scope.known.remember(await tx.artifacts.update(target.id, { properties: { url: next } }));
      }
    }
  }
  // cmflib links the last artifact with this uri.
  const last = existing[existing.length - 1]!;
  const put = await tx.links.putEvent({
    artifactId: last.id,
    executionId: scope.executionId,
    type: ev.type,
    path: a.name === '' ? [] : [{ key: a.name }],
  });
  return { artifactCreated: false, eventCreated: put.created };
}
