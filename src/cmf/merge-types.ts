/**
 * Type ids for a merge, over AsyncMlmdStore: cmf's declared properties (conventions.ts) plus
 * any other declared property the sender's document carries, typed by its value. A property
 * the receiver's type declares with another data type is a MLMD_TYPE_CONFLICT, which aborts
 * the merge. One instance per merge transaction (a type created in a transaction that rolls
 * back must not outlive it in a cache).
 */
import {
  TypeKind,
  propertyTypeOf,
  type AsyncMlmdStore,
  type Properties,
  type PropertyType,
} from '../mlmd/index.js';
import { ARTIFACT_TYPES, CONTEXT_TYPES, EXECUTION_PROPERTIES } from './conventions.js';
import { getOwn, setOwn } from '../util/own-keys.js';

export class MergeTypes {
  /** `kind:name` → id and the property names known to be declared. */
  private readonly known = new Map<string, { id: number; declared: Set<string> }>();
  private readonly store: AsyncMlmdStore;

  constructor(store: AsyncMlmdStore) {
    this.store = store;
  }

  context(name: keyof typeof CONTEXT_TYPES): Promise<number> {
    return this.put(TypeKind.CONTEXT, name, CONTEXT_TYPES[name], {});
  }

  execution(name: string, payload: Properties): Promise<number> {
    return this.put(TypeKind.EXECUTION, name, EXECUTION_PROPERTIES, payload);
  }

  /** Artifact types cmf does not know get exactly the properties the document declares. */
  artifact(name: string, payload: Properties): Promise<number> {
    const base = getOwn(ARTIFACT_TYPES as Record<string, Record<string, PropertyType>>, name) ?? {};
    return this.put(TypeKind.ARTIFACT, name, base, payload);
  }

  private async put(
    kind: TypeKind,
    name: string,
    base: Record<string, PropertyType>,
    payload: Properties,
  ): Promise<number> {
    const key = `${kind}:${name}`;
    const cached = this.known.get(key);
    if (cached && Object.keys(payload).every((p) => cached.declared.has(p))) return cached.id;
    // cmf's own declarations win over the value kinds of the document: a wrong kind then
    // fails on the property write (MLMD_PROPERTY_TYPE) instead of redefining the type.
    const properties: Record<string, PropertyType> = {};
    for (const [p, v] of Object.entries(payload)) setOwn(properties, p, propertyTypeOf(v));
    Object.assign(properties, base); // cmf's own names: none is __proto__
    const type = await this.store.types.put(kind, name, { properties });
    this.known.set(key, { id: type.id, declared: new Set(Object.keys(type.properties)) });
    return type.id;
  }
}
