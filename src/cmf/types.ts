/** Type ids for cmf's type names, registered on first use and remembered per instance. */
import { type MlmdStore, TypeKind } from '../mlmd/index.js';
import {
  ARTIFACT_TYPES,
  CONTEXT_TYPES,
  EXECUTION_PROPERTIES,
  type ArtifactTypeName,
} from './conventions.js';

export class TypeRegistry {
  private readonly ids = new Map<string, number>();
  private readonly store: MlmdStore;

  constructor(store: MlmdStore) {
    this.store = store;
  }

  /**
   * Get-or-create by name. Call outside a logging transaction: a type created inside one
   * that then rolls back must not stay in this cache.
   */
  private put(kind: TypeKind, name: string, properties: Record<string, number>): number {
    const key = `${kind}:${name}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.store.types.put(kind, name, { properties: properties as never }).id;
      this.ids.set(key, id);
    }
    return id;
  }

  /** The id of an existing artifact type, without creating it. */
  findArtifact(name: ArtifactTypeName): number | undefined {
    return (
      this.ids.get(`${TypeKind.ARTIFACT}:${name}`) ??
      this.store.types.get(TypeKind.ARTIFACT, name)?.id
    );
  }

  artifact(name: ArtifactTypeName): number {
    return this.put(TypeKind.ARTIFACT, name, ARTIFACT_TYPES[name]);
  }

  context(name: keyof typeof CONTEXT_TYPES): number {
    return this.put(TypeKind.CONTEXT, name, CONTEXT_TYPES[name]);
  }

  /** Execution types have variable names and always the same ten properties. */
  execution(name: string): number {
    return this.put(TypeKind.EXECUTION, name, EXECUTION_PROPERTIES);
  }
}
