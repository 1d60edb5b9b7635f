/**
 * cmflib's conventions for what goes into MLMD (spec/cmf-reference.md §5.2, §5.4): type
 * names, the properties each type declares, event kinds. The mlmd module knows none of this.
 */
import { EventType, PropertyType, TypeKind } from '../mlmd/index.js';
import { UsageError } from '../errors/index.js';

const S = PropertyType.STRING;
const I = PropertyType.INT;

export const PARENT_CONTEXT = 'Parent_Context';
export const PIPELINE_STAGE = 'Pipeline_Stage';

/** Context types and their declared properties. */
export const CONTEXT_TYPES = {
  [PARENT_CONTEXT]: { Pipeline: S },
  [PIPELINE_STAGE]: { Pipeline_Stage: S },
} as const;

/** Every execution type (whatever its name) declares these ten properties. */
export const EXECUTION_PROPERTIES = {
  Execution_uuid: S,
  Context_Type: S,
  Context_ID: I,
  Execution: S,
  Execution_type_name: S,
  Pipeline_Type: S,
  Pipeline_id: I,
  Git_Repo: S,
  Git_Start_Commit: S,
  Git_End_Commit: S,
} as const;

/** Artifact types cmf writes and their declared (all STRING) properties. */
export const ARTIFACT_TYPES = {
  Dataset: { git_repo: S, Commit: S, url: S },
  Model: { model_framework: S, model_type: S, model_name: S, Commit: S, url: S },
  Metrics: { metrics_name: S },
  Step_Metrics: { Commit: S, url: S },
  Dataslice: { git_repo: S, Commit: S, url: S },
  Environment: { git_repo: S, Commit: S, url: S },
  Label: { git_repo: S, Commit: S, url: S },
  /** `logValidationOutput`: an INTERNAL_OUTPUT event, name and uri a fresh uuid1. */
  Validation_output: { version: S },
} as const;

export type ArtifactTypeName = keyof typeof ARTIFACT_TYPES;

/**
 * Execution custom property naming the environment snapshot file. cmflib's name, kept for
 * Node so `cmf metadata push` and the server find and upload the file.
 */
export const ENV_PROPERTY = 'Python_Env';

/** Custom properties whose values are comma-joined sets that re-logging extends. */
export const SET_VALUED_PROPERTIES = new Set(['labels', 'labels_uri', 'dataset_uri']);

/**
 * Custom property `cmf dvc ingest` sets on the Datasets it records: 1 when DVC versions the
 * file (its object is in the DVC cache and belongs on the remote), 0 for files DVC only
 * hashes (code and config files git tracks, `cache: false` outputs, deps without a hash).
 * `cmf artifact push` and `pull` skip artifacts marked 0; artifacts without it are moved.
 */
export const DVC_TRACKED_PROPERTY = 'dvc_tracked';

/**
 * Custom property `cmf dvc ingest` sets to 0 on a DVC-versioned Dataset that `dvc push`
 * leaves out (an out declared `push: false` in dvc.yaml): `cmf artifact push` skips it, and
 * `cmf artifact pull` restores it when the object is in the cache or on the remote, without
 * failing when it is in neither. Absent (or 1): pushed as usual.
 */
export const DVC_PUSH_PROPERTY = 'dvc_push';

/** Where cmflib keeps its generated files, relative to the MLMD file's directory. */
export const CMF_ARTIFACTS_DIR = 'cmf_artifacts';

export type EventName = 'input' | 'output';

/** `'input'`/`'output'` (any case, as cmflib lowercases) → MLMD event type. */
export function eventType(event: unknown): typeof EventType.INPUT | typeof EventType.OUTPUT {
  const e = typeof event === 'string' ? event.toLowerCase() : event;
  if (e === 'input') return EventType.INPUT;
  if (e === 'output') return EventType.OUTPUT;
  throw new UsageError(
    'CMF_BAD_EVENT',
    `Event must be 'input' or 'output', not ${JSON.stringify(event)}`,
    {
      hint: "Pass 'input' for files the execution reads and 'output' for files it writes.",
      data: { event },
    },
  );
}

export { TypeKind };
