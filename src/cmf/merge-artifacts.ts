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
import type { AsyncMlmdStore, MlmdArtifact, PropertyInputs } from '../mlmd/index.js';
import type { DocArtifact, DocEvent } from './merge-document.js';
import type { MergeTypes } from './merge-types.js';
import { changedProperties, creationCustom, updateCustom, type MergeMode } from './merge-values.js';
import { mergeUrl } from './url.js';
import { mergedCustomProperties } from './values.js';

export interface EventScope {
  tx: AsyncMlmdStore;
  types: MergeTypes;
  mode: MergeMode;
  stageId: number;
  executionId: number;
}

export interface EventOutcome {
  artifactCreated: boolean;
  eventCreated: boolean;
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

async function findExisting(
  tx: AsyncMlmdStore,
  typeId: number,
  uri: string,
  name: string,
): Promise<MlmdArtifact[]> {
  if (uri !== '') {
    const byUri = (await tx.artifacts.getByUri(uri)).filter((a) => a.typeId === typeId);
    if (byUri.length > 0) return byUri;
  }
  if (name === '') return [];
  const byName = await tx.artifacts.getByName(typeId, name);
  return byName ? [byName] : [];
}

export async function mergeEvent(scope: EventScope, ev: DocEvent): Promise<EventOutcome> {
  const { tx } = scope;
  const a: DocArtifact = ev.artifact;
  const rule = RULES[a.type] ?? GENERIC;
  const typeId = await scope.types.artifact(a.type, a.properties);
  const name = receiverName(a.name, rule, scope.executionId);
  const existing = await findExisting(tx, typeId, a.uri, name);

  if (existing.length === 0) {
    const properties: PropertyInputs = { ...a.properties };
    // cmf's metrics_name is the artifact's full name, which now holds the receiver's id.
    const metricsName = a.properties.metrics_name;
    if (metricsName?.type === 'string' && metricsName.value === a.name) {
      properties.metrics_name = name;
    }
    const artifact = await tx.artifacts.create({
      typeId,
      name: name === '' ? null : name,
      uri: a.uri,
      properties,
      customProperties: creationCustom(a.customProperties, a.createTime, scope.mode),
    });
    await tx.links.putEvent({
      artifactId: artifact.id,
      executionId: scope.executionId,
      type: ev.type,
    });
    await tx.links.attribute(scope.stageId, artifact.id);
    return { artifactCreated: true, eventCreated: true };
  }

  const first = existing[0]!;
  if (rule.updateCustom) {
    const wanted = mergedCustomProperties(first.customProperties, updateCustom(a.customProperties));
    const changed = changedProperties(first.customProperties, wanted);
    if (changed) await tx.artifacts.update(first.id, { customProperties: changed });
  }
  const entries = urlOf(a) === '' ? [] : urlOf(a).split(',');
  if (rule.url && entries.length > 0) {
    for (const target of rule.url === 'all' ? existing : [first]) {
      const current = urlOf(target);
      const next = entries.reduce((acc, e) => mergeUrl(acc, e), current);
      if (next !== current) await tx.artifacts.update(target.id, { properties: { url: next } });
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
