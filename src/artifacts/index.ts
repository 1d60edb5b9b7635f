export {
  collectArtifactSets,
  collectPipelineArtifacts,
  objectUrlFor,
  objectFromUrl,
  oidFromObjectUrl,
  projectRelativePath,
  type FilelessArtifact,
  type UrlObject,
  type PipelineArtifact,
} from './collect.js';
export { artifactNotFound, selectArtifacts, type SelectWhere } from './select.js';
export { listArtifactsNamed } from './list.js';
export { transferError, type ArtifactFailure } from './failures.js';
export { checkArtifactConfig, type ArtifactTransferOptions } from './project.js';
export { pushArtifacts, type PushArtifactsOptions, type PushArtifactsResult } from './push.js';
export { pullArtifacts, type PullArtifactsOptions, type PullArtifactsResult } from './pull.js';
