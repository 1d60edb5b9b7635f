/** `cmf dvc ingest`: DVC pipelines (dvc.lock, dvc.yaml) into cmf metadata. */
export {
  ingestDvcPipeline,
  LOCK_FILE,
  PIPELINE_FILE,
  type IngestOptions,
  type IngestResult,
} from './ingest.js';
export { parseLockFile, type LockEntry, type LockFile, type LockStage } from './lock-file.js';
export {
  parsePipelineFile,
  type PipelineFile,
  type StageDefinition,
  type VarsFiles,
} from './pipeline-file.js';
export {
  planIngest,
  planProject,
  type ExternalEntry,
  type IngestPlan,
  type PipelineUnit,
  type PlannedFile,
  type PlannedStage,
} from './plan.js';
export { findPipelineDirs, type PipelineDir } from './pipeline-dirs.js';
export { paramProperties } from './params.js';
export type { StageOutcome, StageRecord } from './record.js';
