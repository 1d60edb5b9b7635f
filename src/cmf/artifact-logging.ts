/**
 * How one logged artifact lands in MLMD (spec §5.4 "Artifact common mechanics"): a new
 * artifact gets an event (no path) and an attribution to the current stage; content that is
 * already known (same type, same uri = hash) is linked instead — an event whose path step is
 * the name used for this logging, added unless that execution is linked to it already — and
 * its `url` (and for some types its custom properties) are extended.
 * Callers run this inside one store transaction.
 */
import type {
  EventType,
  MlmdArtifact,
  MlmdStore,
  PropertyInputs,
  PropertyValue,
} from '../mlmd/index.js';
import { mergeUrl } from './url.js';
import { mergedCustomProperties } from './values.js';

export interface Scope {
  store: MlmdStore;
  stageId: number;
  executionId: number;
}

export interface ArtifactSpec {
  typeId: number;
  /** Name of a new artifact. */
  name: string;
  uri: string;
  /** Declared properties of a new artifact. */
  properties: PropertyInputs;
  custom: Record<string, PropertyValue>;
  event: EventType;
  /** Event path key when linking existing content (default `name`). */
  linkKey?: string;
  /** Always create a new artifact (Metrics, Step_Metrics: their names hold fresh uuids). */
  alwaysNew?: boolean;
  /** On re-log: overwrite the given custom properties of the first artifact with this uri. */
  updateCustom?: boolean;
  /**
   * On re-log: add this `<pipeline>:<url>` entry (or each of a comma-joined list) to the `url`
   * of the first artifact, or of all.
   */
  url?: { entry: string; targets: 'first' | 'all' };
  /** On re-log: the event type of the link, if not `event` (a re-committed dataslice is an input). */
  linkEvent?: EventType;
  /** Skip the link when the execution is linked to the artifact by any event (default true). */
  dedupe?: boolean;
}

export interface LogResult {
  artifact: MlmdArtifact;
  /** False when existing content was linked. */
  created: boolean;
}

function urlOf(a: MlmdArtifact): string {
  const v = a.properties.url;
  return v?.type === 'string' ? v.value : '';
}

export function recordArtifact(scope: Scope, spec: ArtifactSpec): LogResult {
  const { store } = scope;
  const existing = spec.alwaysNew
    ? []
    : store.artifacts.getByUri(spec.uri).filter((a) => a.typeId === spec.typeId);

  if (existing.length === 0) {
    const artifact = store.artifacts.create({
      typeId: spec.typeId,
      name: spec.name,
      uri: spec.uri,
      properties: spec.properties,
      customProperties: spec.custom,
    });
    store.links.putEvent({
      artifactId: artifact.id,
      executionId: scope.executionId,
      type: spec.event,
    });
    store.links.attribute(scope.stageId, artifact.id);
    return { artifact, created: true };
  }

  const first = existing[0]!;
  const last = existing[existing.length - 1]!;
  const updated = new Map<number, MlmdArtifact>();
  if (spec.updateCustom && Object.keys(spec.custom).length > 0) {
    const merged = mergedCustomProperties(first.customProperties, spec.custom);
    updated.set(first.id, store.artifacts.update(first.id, { customProperties: merged }));
  }
  if (spec.url) {
    const entries = spec.url.entry.split(',').filter((e) => e !== '');
    for (const a of spec.url.targets === 'all' ? existing : [first]) {
      const current = updated.get(a.id) ?? a;
      const next = entries.reduce((acc, e) => mergeUrl(acc, e), urlOf(current));
      if (next !== urlOf(current)) {
        updated.set(a.id, store.artifacts.update(a.id, { properties: { url: next } }));
      }
    }
  }
  // cmflib links the last artifact with this uri, once per execution.
  // An identical event (same artifact, execution and type) is never written twice.
  const linked = spec.dedupe !== false && store.links.hasEvent(last.id, scope.executionId);
  if (!linked) {
    store.links.putEvent({
      artifactId: last.id,
      executionId: scope.executionId,
      type: spec.linkEvent ?? spec.event,
      path: [{ key: spec.linkKey ?? spec.name }],
    });
  }
  return { artifact: updated.get(last.id) ?? last, created: false };
}
