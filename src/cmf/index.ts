/** The Cmf logging API and cmf's MLMD conventions. */
export {
  Cmf,
  DataSlice,
  type CmfOptions,
  type CreateExecutionOptions,
  type FinalizeResult,
  type LogDatasetOptions,
  type LogModelOptions,
} from './cmf.js';
export type { LogResult } from './artifact-logging.js';
export type { DatasetVersionProperties, ModelVersionProperties } from './versioned.js';
export {
  ARTIFACT_TYPES,
  CMF_ARTIFACTS_DIR,
  CONTEXT_TYPES,
  ENV_PROPERTY,
  EXECUTION_PROPERTIES,
  PARENT_CONTEXT,
  PIPELINE_STAGE,
  type ArtifactTypeName,
  type EventName,
} from './conventions.js';
export type { CustomProperties, CustomValue } from './values.js';
export { remoteObjectUrl, pipelineUrl, mergeUrl } from './url.js';
export { scriptName, commandString } from './script.js';
