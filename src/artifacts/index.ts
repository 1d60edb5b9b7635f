export {
  collectPipelineArtifacts,
  matchArtifacts,
  objectUrlFor,
  oidFromObjectUrl,
  projectRelativePath,
  type PipelineArtifact,
} from './collect.js';
export { transferError, type ArtifactFailure } from './failures.js';
export type { ArtifactTransferOptions } from './project.js';
export { pushArtifacts, type PushArtifactsOptions, type PushArtifactsResult } from './push.js';
export { pullArtifacts, type PullArtifactsOptions, type PullArtifactsResult } from './pull.js';
