/** The records the store returns and the inputs it takes. */
import type { ArtifactState, ExecutionState, EventType, PropertyType, TypeKind } from './enums.js';
import type { Properties, PropertyInputs } from './values.js';

export interface MlmdType {
  id: number;
  name: string;
  kind: TypeKind;
  /** NULL when unset; lookups by name use `version IS NULL`. */
  version: string | null;
  description: string | null;
  externalId: string | null;
  /** JSON of an ArtifactStructType (execution types only), as MLMD stores it. */
  inputType: string | null;
  outputType: string | null;
  /** Name of the simple type (`mlmd.Dataset`...) this type derives from, if any. */
  baseType: string | null;
  /** Declared properties and their data types. */
  properties: Record<string, PropertyType>;
}

export interface TypeSpec {
  /** Declared properties. On an existing type, new names are added (unless addProperties is false). */
  properties?: Record<string, PropertyType>;
  /** A simple type of the same kind, e.g. `mlmd.Dataset` (stored as a ParentType row). */
  baseType?: string;
  description?: string;
  externalId?: string;
}

export interface NodeBase {
  id: number;
  typeId: number;
  typeName: string;
  externalId: string | null;
  /** Milliseconds since the epoch. */
  createTimeSinceEpoch: number;
  /** Milliseconds since the epoch; bumped by every update. */
  lastUpdateTimeSinceEpoch: number;
  properties: Properties;
  customProperties: Properties;
}

export interface MlmdArtifact extends NodeBase {
  /** '' when unset, as MLMD writes it. */
  uri: string;
  name: string | null;
  state: ArtifactState | null;
}

export interface MlmdExecution extends NodeBase {
  name: string | null;
  lastKnownState: ExecutionState | null;
}

export interface MlmdContext extends NodeBase {
  name: string;
}

export type MlmdNode = MlmdArtifact | MlmdExecution | MlmdContext;

export interface NodeInputBase {
  typeId: number;
  externalId?: string | null;
  /** Declared properties: each must be declared on the type with the same data type. */
  properties?: PropertyInputs;
  /** Free-form properties. */
  customProperties?: PropertyInputs;
}

export interface ArtifactInput extends NodeInputBase {
  uri?: string;
  name?: string | null;
  state?: ArtifactState | null;
}

export interface ExecutionInput extends NodeInputBase {
  name?: string | null;
  lastKnownState?: ExecutionState | null;
}

export interface ContextInput extends NodeInputBase {
  name: string;
}

/** An update: given fields are set, given properties replace their rows; the rest is kept. */
export interface NodeUpdateBase {
  externalId?: string | null;
  properties?: PropertyInputs;
  customProperties?: PropertyInputs;
}

export interface ArtifactUpdate extends NodeUpdateBase {
  uri?: string;
  state?: ArtifactState | null;
}

export interface ExecutionUpdate extends NodeUpdateBase {
  lastKnownState?: ExecutionState | null;
}

export interface ContextUpdate extends NodeUpdateBase {
  /** MLMD's context update rewrites the name. */
  name?: string;
}

/** One step of an event path: an index into a list, or a key into a map. */
export type EventStep = { index: number } | { key: string };

export interface MlmdEvent {
  id: number;
  artifactId: number;
  executionId: number;
  type: EventType;
  /** Milliseconds since the epoch, or null if the row has none. */
  millisecondsSinceEpoch: number | null;
  path: EventStep[];
}

export interface EventInput {
  artifactId: number;
  executionId: number;
  type: EventType;
  /** Defaults to now. */
  millisecondsSinceEpoch?: number;
  path?: EventStep[];
}

/** Result of a get-or-create. */
export interface Put<T> {
  value: T;
  created: boolean;
}
