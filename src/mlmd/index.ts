/** MLMD v10 SQLite store: schema, typed reads and writes, queries. Knows nothing of cmf. */
export { MlmdStore, DEFAULT_BUSY_TIMEOUT_MS, type MlmdOpenOptions } from './store.js';
export { TypeStore } from './type-store.js';
export {
  Mutex,
  SqliteAsyncStore,
  type AsyncArtifactStore,
  type AsyncContextStore,
  type AsyncExecutionStore,
  type AsyncLinkStore,
  type AsyncMlmdStore,
  type AsyncTypeStore,
  type Promisified,
} from './async-store.js';
export { ArtifactStore } from './artifact-store.js';
export { ExecutionStore } from './execution-store.js';
export { ContextStore } from './context-store.js';
export { LinkStore } from './link-store.js';
export type { NodeProperties, ReadOptions } from './node-store.js';
export {
  ArtifactState,
  EventType,
  ExecutionState,
  PropertyType,
  TypeKind,
  enumName,
} from './enums.js';
export {
  boolValue,
  decodeValue,
  doubleValue,
  intValue,
  plainValue,
  propertyTypeOf,
  protoValue,
  stringValue,
  structValue,
  toPropertyValue,
  STRUCT_PREFIX,
  type Properties,
  type PropertyInput,
  type PropertyInputs,
  type PropertyValue,
  type PropertyValueKind,
} from './values.js';
export type {
  ArtifactInput,
  ArtifactUpdate,
  ContextInput,
  ContextUpdate,
  EventInput,
  EventStep,
  ExecutionInput,
  ExecutionUpdate,
  MlmdArtifact,
  MlmdContext,
  MlmdEvent,
  MlmdExecution,
  MlmdNode,
  MlmdType,
  Put,
  TypeSpec,
} from './records.js';
export { MLMD_SCHEMA_VERSION, SIMPLE_TYPES, SIMPLE_TYPE_NAMES } from './schema.js';
export {
  GIVEN_PATH_HINT,
  MlmdErrorCode,
  MlmdFileError,
  mlmdFileAdvice,
  mlmdFileProblem,
  type MlmdFileProblem,
} from './errors.js';
