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
 *
 * How: the events of all merged executions are decided in memory, in the merge's order, as
 * one store call after another would decide them (the merge's transaction is the store's
 * only writer, so what it read stays true once it counts its own writes): the artifacts the
 * document's uris and names could match are read in two queries first, and what is to be
 * written is then written per table in a few batch calls (createMany, addEvents...), in
 * that order, so ids come out as the one-by-one writes would have numbered them.
 */
import {
  stringValue,
  type ArtifactInput,
  type AsyncMlmdStore,
  type EventInput,
  type EventType,
  type MlmdArtifact,
  type Properties,
} from '../mlmd/index.js';
import type { DocEvent } from './merge-document.js';
import {
  assignProperties,
  changedProperties,
  creationCustom,
  updateCustom,
  type MergeMode,
} from './merge-values.js';
import { mergeUrl } from './url.js';
import { mergedCustomProperties } from './values.js';

/** Runs a write of the merge; a failure becomes a MergeError naming `at` (see merge.ts). */
export type Guard = <T>(
  at: string | ((index: number | undefined) => string),
  fn: () => Promise<T>,
) => Promise<T>;

/** Where an event is merged: the receiver's execution and stage, and the place for messages. */
export interface EventScope {
  stageId: number;
  executionId: number;
  at: string;
}

/** An artifact as the merge sees it: read from the store, or to be created by it. */
interface Slot {
  /** The receiver's id; undefined until a planned creation is written. */
  id: number | undefined;
  typeId: number;
  uri: string;
  properties: Properties;
  customProperties: Properties;
  /** A creation: the input, holding `properties` and `customProperties` themselves. */
  input?: ArtifactInput;
  /** An existing artifact's changes, written by one update. */
  patch?: { properties?: Properties; customProperties?: Properties };
  /** The execution whose event created or last changed it. */
  at: string;
}

interface PlannedEvent {
  slot: Slot;
  executionId: number;
  type: EventType;
  path: { key: string }[];
  at: string;
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

function urlOf(a: { properties: Properties }): string {
  const v = a.properties.url;
  return v?.type === 'string' ? v.value : '';
}

/**
 * The artifacts and events of one merge: `prepare` reads what the document could match,
 * `event` decides each event in memory, `write` writes it all. One instance per merge
 * transaction.
 */
export class ArtifactMerge {
  private readonly tx: AsyncMlmdStore;
  private readonly mode: MergeMode;
  /** The receiver's artifacts by uri, in id order (then planned ones in creation order). */
  private readonly byUri = new Map<string, Slot[]>();
  /** Artifacts by `typeId:name`. */
  private readonly byName = new Map<string, Slot>();
  private readonly creations: Slot[] = [];
  /** Existing artifacts to update, in the order of their first change. */
  private readonly changed: Slot[] = [];
  private readonly events: PlannedEvent[] = [];
  private readonly attributions: { stageId: number; slot: Slot; at: string }[] = [];

  constructor(tx: AsyncMlmdStore, mode: MergeMode) {
    this.tx = tx;
    this.mode = mode;
  }

  /**
   * Reads the receiver's artifacts that the events could match, in two queries: those with
   * the events' uris, and those with the names they would be created under.
   */
  async prepare(events: { ev: DocEvent; typeId: number; executionId: number }[]): Promise<void> {
    const uris = new Set<string>();
    const names = new Map<string, { typeId: number; name: string }>();
    for (const { ev, typeId, executionId } of events) {
      const a = ev.artifact;
      if (a.uri !== '') uris.add(a.uri);
      const name = receiverName(a.name, RULES[a.type] ?? GENERIC, executionId);
      if (name !== '') names.set(`${typeId}:${name}`, { typeId, name });
    }
    for (const uri of uris) this.byUri.set(uri, []);
    const slots = new Map<number, Slot>();
    const slot = (a: MlmdArtifact): Slot => {
      let s = slots.get(a.id);
      if (!s) slots.set(a.id, (s = existingSlot(a)));
      return s;
    };
    if (uris.size > 0) {
      for (const a of await this.tx.artifacts.getByUris([...uris])) {
        this.byUri.get(a.uri)!.push(slot(a));
      }
    }
    if (names.size > 0) {
      for (const a of await this.tx.artifacts.getByNames([...names.values()])) {
        this.byName.set(`${a.typeId}:${a.name}`, slot(a));
      }
    }
  }

  /** Decides one event of an execution (in memory); its artifact's type is `typeId`. */
  event(ev: DocEvent, typeId: number, scope: EventScope): void {
    const a = ev.artifact;
    const rule = RULES[a.type] ?? GENERIC;
    const name = receiverName(a.name, rule, scope.executionId);
    let existing =
      a.uri === '' ? [] : (this.byUri.get(a.uri) ?? []).filter((s) => s.typeId === typeId);
    if (existing.length === 0) {
      // MLMD keeps names unique per type: an artifact of this name but another uri is linked.
      const named = name === '' ? undefined : this.byName.get(`${typeId}:${name}`);
      if (!named) return this.create(ev, typeId, name, scope);
      existing = [named];
    }
    this.link(ev, rule, existing, scope);
  }

  /** Writes the planned artifacts, changes, events and attributions; counts what it created. */
  async write(guard: Guard): Promise<{ artifacts: number; events: number }> {
    const { tx, creations, events, attributions } = this;
    const created = await guard(
      (i) => creations[i ?? -1]?.at ?? 'the artifacts',
      () => tx.artifacts.createMany(creations.map((s) => s.input!)),
    );
    created.forEach((a, i) => (creations[i]!.id = a.id));
    for (const s of this.changed) {
      await guard(s.at, () => tx.artifacts.update(s.id!, s.patch!));
    }
    const inputs: EventInput[] = events.map((e) => ({
      artifactId: e.slot.id!,
      executionId: e.executionId,
      type: e.type,
      path: e.path,
    }));
    const added = await guard(
      (i) => events[i ?? -1]?.at ?? 'the events',
      () => tx.links.addEvents(inputs),
    );
    await guard(
      (i) => attributions[i ?? -1]?.at ?? 'the attributions',
      () => tx.links.attributeMany(attributions.map((x) => [x.stageId, x.slot.id!] as const)),
    );
    return { artifacts: creations.length, events: added.filter(Boolean).length };
  }

  /** A new artifact with its event (no path) and its attribution to the stage. */
  private create(ev: DocEvent, typeId: number, name: string, scope: EventScope): void {
    const a = ev.artifact;
    const properties: Properties = { ...a.properties };
    // cmf's metrics_name is the artifact's full name, which now holds the receiver's id.
    const metricsName = a.properties.metrics_name;
    if (metricsName?.type === 'string' && metricsName.value === a.name) {
      properties.metrics_name = stringValue(name);
    }
    const customProperties = creationCustom(a.customProperties, a.createTime, this.mode);
    const slot: Slot = {
      id: undefined,
      typeId,
      uri: a.uri,
      properties,
      customProperties,
      input: { typeId, name: name === '' ? null : name, uri: a.uri, properties, customProperties },
      at: scope.at,
    };
    this.creations.push(slot);
    if (a.uri !== '') this.byUri.get(a.uri)!.push(slot);
    if (name !== '') this.byName.set(`${typeId}:${name}`, slot);
    this.events.push({
      slot,
      executionId: scope.executionId,
      type: ev.type,
      path: [],
      at: scope.at,
    });
    this.attributions.push({ stageId: scope.stageId, slot, at: scope.at });
  }

  /** Links known content: url entries, custom properties (Dataset), an event with a path. */
  private link(ev: DocEvent, rule: TypeRule, existing: Slot[], scope: EventScope): void {
    const a = ev.artifact;
    const first = existing[0]!;
    if (rule.updateCustom) {
      const wanted = mergedCustomProperties(
        first.customProperties,
        updateCustom(a.customProperties),
      );
      const changed = changedProperties(first.customProperties, wanted);
      if (changed) this.change(first, 'customProperties', changed, scope.at);
    }
    const entries = urlOf(a) === '' ? [] : urlOf(a).split(',');
    if (rule.url && entries.length > 0) {
      const targets = rule.url === 'all' ? existing : [first];
      for (const target of targets) {
        const current = urlOf(target);
        const next = entries.reduce((acc, e) => mergeUrl(acc, e), current);
        if (next !== current) {
          this.change(target, 'properties', { url: stringValue(next) }, scope.at);
        }
      }
    }
    // cmflib links the last artifact with this uri.
    this.events.push({
      slot: existing[existing.length - 1]!,
      executionId: scope.executionId,
      type: ev.type,
      path: a.name === '' ? [] : [{ key: a.name }],
      at: scope.at,
    });
  }

  /** Applies a change to the artifact as the merge sees it, and to what will be written. */
  private change(
    slot: Slot,
    space: 'properties' | 'customProperties',
    values: Properties,
    at: string,
  ): void {
    // A planned creation's input holds these same objects: it is created as changed.
    assignProperties(slot[space], values);
    if (slot.input) return;
    if (!slot.patch) {
      slot.patch = {};
      this.changed.push(slot);
    }
    assignProperties((slot.patch[space] ??= {}), values);
    slot.at = at;
  }
}

function existingSlot(a: MlmdArtifact): Slot {
  return {
    id: a.id,
    typeId: a.typeId,
    uri: a.uri,
    properties: a.properties,
    customProperties: a.customProperties,
    at: 'an existing artifact',
  };
}
