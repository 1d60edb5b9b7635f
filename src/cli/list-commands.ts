import { dirname } from 'node:path';
import { listArtifactsNamed } from '../artifacts/list.js';
import {
  artifactRows,
  artifactRowsJson,
  executionRows,
  listPipelines,
  pipelineRow,
  type Row,
} from '../cmf/query.js';
import type { RawJson } from '../cmf/raw-json.js';
import { visibleText } from '../util/visible-text.js';
import type { CommandLog } from './command-frame.js';
import {
  ARTIFACT_COLUMNS,
  ARTIFACT_DETAIL_COLUMNS,
  EXECUTION_COLUMNS,
  showDetails,
  showTable,
} from './listing.js';
import { openMlmdForReading, requireNonEmpty, requireValue } from './open-mlmd.js';
import { writeOutput } from './output.js';

/**
 * The work of `cmf pipeline list`, `cmf execution list` and `cmf artifact list` once their
 * flags are parsed, by oclif (src/commands/) or by the fast path (fast-path.ts): one body for
 * both, and no oclif import, so the fast path starts without loading oclif.
 */

/** `--page-size` and `--no-pager`, as parsed. */
export interface PagingFlags {
  'page-size': number;
  'no-pager': boolean;
}

/** The flags of `cmf pipeline list`, as parsed. */
export interface PipelineListFlags extends PagingFlags {
  file_name?: string;
}

/** The flags of `cmf execution list`, as parsed. */
export interface ExecutionListFlags extends PipelineListFlags {
  pipeline_name?: string;
  execution_uuid?: string;
}

/** The flags of `cmf artifact list`, as parsed. */
export interface ArtifactListFlags extends PipelineListFlags {
  pipeline_name?: string;
  artifact_name?: string;
}

export function runPipelineList(flags: PipelineListFlags, out: CommandLog): Row[] {
  const store = openMlmdForReading(flags.file_name);
  try {
    const pipelines = listPipelines(store);
    if (!out.jsonEnabled()) {
      if (pipelines.length === 0) out.logToStderr(`No pipelines in ${store.path}.`);
      else writeOutput(pipelines.map((p) => visibleText(p.name) + '\n').join(''));
    }
    return pipelines.map(pipelineRow);
  } finally {
    store.close();
  }
}

export async function runExecutionList(flags: ExecutionListFlags, out: CommandLog): Promise<Row[]> {
  const pipeline = requireValue(flags.pipeline_name, '-p/--pipeline_name');
  requireNonEmpty(flags.execution_uuid, '-e/--execution_uuid');
  const store = openMlmdForReading(flags.file_name);
  let rows: Row[];
  try {
    rows = executionRows(store, pipeline, flags.execution_uuid);
  } finally {
    store.close();
  }
  if (out.jsonEnabled()) return rows;
  const opts = { pageSize: flags['page-size'], noPager: flags['no-pager'] };
  if (rows.length === 0) out.logToStderr(`Pipeline ${pipeline} has no executions.`);
  else if (flags.execution_uuid !== undefined) await showDetails(rows, EXECUTION_COLUMNS, opts);
  else await showTable(rows, EXECUTION_COLUMNS, opts);
  return rows;
}

export async function runArtifactList(
  flags: ArtifactListFlags,
  out: CommandLog,
): Promise<Row[] | RawJson> {
  const pipeline = requireValue(flags.pipeline_name, '-p/--pipeline_name');
  requireNonEmpty(flags.artifact_name, '-a/--artifact_name');
  const store = openMlmdForReading(flags.file_name);
  let rows: Row[];
  try {
    // The whole listing as JSON: serialised by SQLite, without row objects.
    if (out.jsonEnabled() && flags.artifact_name === undefined)
      return artifactRowsJson(store, pipeline);
    const wanted = flags.artifact_name?.trim();
    const where = { cwd: process.cwd(), baseDir: dirname(store.path) };
    rows =
      wanted === undefined
        ? artifactRows(store, pipeline)
        : listArtifactsNamed(store, pipeline, wanted, where);
  } finally {
    store.close();
  }
  if (out.jsonEnabled()) return rows;
  const opts = { pageSize: flags['page-size'], noPager: flags['no-pager'] };
  if (rows.length === 0) out.logToStderr(`Pipeline ${pipeline} has no artifacts.`);
  else if (flags.artifact_name !== undefined)
    await showDetails(rows, ARTIFACT_DETAIL_COLUMNS, opts);
  else await showTable(rows, ARTIFACT_COLUMNS, opts);
  return rows;
}
