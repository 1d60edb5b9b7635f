/**
 * `cmf metadata push` (spec/cmf-reference.md §3.8): export the pipeline (or one execution)
 * from the local MLMD file, POST it to /api/mlmd_push, then upload what cmf uploads with
 * it — environment files and labels best-effort, the `-t` tensorboard logs for real.
 */
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { exportText, type ExportText } from '../cmf/export-json.js';
import type { PyJson } from '../cmf/python-json.js';
import { executionNotFound, executionRows, executionUuids, normalUuid } from '../cmf/query.js';
import { NotFoundError } from '../errors/index.js';
import { SqliteAsyncStore } from '../mlmd/async-store.js';
import { MlmdStore } from '../mlmd/index.js';
import { mapLimit } from '../util/map-limit.js';
import { ServerError } from './client-errors.js';
import type { PushAnswer, ServerClient, UploadRoute } from './client.js';
import { checkTensorboardUpload } from './tensorboard-check.js';
import { SideFiles } from './exchange-walk.js';

type Obj = { [key: string]: PyJson };

export interface MetadataPushOptions {
  client: ServerClient;
  /** The MLMD file (absolute, or relative to `cwd`). */
  mlmdPath: string;
  pipeline: string;
  executionUuid?: string;
  /** A tensorboard log file or directory to upload after the push. */
  tensorboardPath?: string;
  cwd?: string;
}

export interface UploadReport {
  kind: UploadRoute;
  /** The local file. */
  file: string;
  /** The name it was sent under. */
  name: string;
  ok: boolean;
  error?: string;
}

export interface MetadataPushResult {
  pipeline: string;
  server: string;
  /** `success`: something new was merged; `exists`: the server had every execution already. */
  status: 'success' | 'exists';
  /** Executions sent. */
  executions: number;
  /**
   * Of those, how many the server merged as new and how many it had already, when its
   * answer says (cmf's server does; Python's answers the status only).
   */
  merged?: { new: number; alreadyThere: number };
  uploads: UploadReport[];
  /** Environment or label files named in the metadata but not found locally. */
  missing: string[];
}

export async function pushMetadata(opts: MetadataPushOptions): Promise<MetadataPushResult> {
  const cwd = opts.cwd ?? process.cwd();
  const mlmdPath = resolve(cwd, opts.mlmdPath);
  const tensorboard =
    opts.tensorboardPath === undefined
      ? undefined
      : tensorboardFiles(cwd, opts.tensorboardPath, opts.pipeline);
  // As listings read -e: spaces aside, in any case; the server gets the uuid as stored.
  const executionUuid =
    opts.executionUuid === undefined ? undefined : normalUuid(opts.executionUuid);
  const side = new SideFiles();
  const sent = await sendLocal(opts.client, mlmdPath, opts.pipeline, executionUuid, side);
  if ('missingUuid' in sent) {
    const known = localUuids(mlmdPath, opts.pipeline);
    throw executionNotFound(opts.pipeline, opts.executionUuid!, known, mlmdPath);
  }
  const { answer, executions } = sent;
  if (answer.status === 'pipeline_not_exist') {
    throw new NotFoundError(
      'SERVER_PIPELINE_NOT_IN_PAYLOAD',
      `The server found no pipeline ${opts.pipeline} in the pushed metadata`,
      {
        hint: 'This should not happen with a pipeline that exists locally; report it with the server log.',
      },
    );
  }
  if (answer.status !== 'success' && answer.status !== 'exists') {
    throw new ServerError(
      'SERVER_UNEXPECTED_STATUS',
      `metadata push: unexpected status "${String(answer.status)}"`,
      {
        hint: `Check that ${opts.client.baseUrl} is a cmf server.`,
      },
    );
  }
  const result: MetadataPushResult = {
    pipeline: opts.pipeline,
    server: opts.client.baseUrl,
    status: answer.status,
    executions,
    ...mergedCounts(answer),
    uploads: [],
    missing: [],
  };
  await sideUploads(opts.client, side, dirname(mlmdPath), cwd, result);
  if (tensorboard) await uploadTensorboard(opts.client, opts.pipeline, tensorboard, result);
  return result;
}

/** The server's counts of new and known executions, when it sent both as numbers. */
function mergedCounts(answer: PushAnswer): Pick<MetadataPushResult, 'merged'> {
  const { executions, skippedExecutions } = answer;
  if (typeof executions !== 'number' || typeof skippedExecutions !== 'number') return {};
  return { merged: { new: executions, alreadyThere: skippedExecutions } };
}

/**
 * Exports the pipeline from the MLMD file and POSTs it. The whole pipeline is sent as it is
 * read (a retry reads it again), so its size never sits in memory; one execution (-e) is
 * small and read first, to tell a uuid that matches nothing before anything is sent. `side`
 * gathers what the executions sent name.
 */
async function sendLocal(
  client: ServerClient,
  mlmdPath: string,
  pipeline: string,
  executionUuid: string | undefined,
  side: SideFiles,
): Promise<{ answer: PushAnswer; executions: number } | { missingUuid: true }> {
  const store = SqliteAsyncStore.wrap(MlmdStore.open(mlmdPath, { create: false, readonly: true }));
  try {
    // Adding an execution's files again (on a retry) adds nothing.
    const exportOpts = { executionUuid, onExecution: (e: Obj) => side.add(e) };
    // PIPELINE_NOT_FOUND is thrown here, before any request.
    let first: ExportText | undefined = await exportText(store, pipeline, exportOpts);
    let executions = 0;
    let payload: string | (() => AsyncIterable<string>);
    if (executionUuid !== undefined) {
      const chunks: string[] = [];
      for await (const chunk of first.chunks) chunks.push(chunk);
      executions = first.summary.executions;
      if (executions === 0) return { missingUuid: true };
      payload = chunks.join('');
    } else {
      payload = async function* () {
        const out = first ?? (await exportText(store, pipeline, exportOpts));
        first = undefined;
        yield* out.chunks;
        executions = out.summary.executions;
      };
    }
    const answer = await client.pushMetadata({ pipelineName: pipeline, executionUuid, payload });
    return { answer, executions };
  } finally {
    await store.close();
  }
}

/** The uuids of the pipeline's executions in the MLMD file at `mlmdPath`. */
function localUuids(mlmdPath: string, pipeline: string): string[] {
  const store = MlmdStore.open(mlmdPath, { create: false, readonly: true });
  try {
    return executionUuids(executionRows(store, pipeline).map((r) => r.Execution_uuid));
  } finally {
    store.close();
  }
}

/** The first of `candidates` that is a file. */
function findFile(candidates: string[]): string | undefined {
  return candidates.find((p) => existsSync(p) && statSync(p).isFile());
}

/** Environment files and labels: failures are reported, never fatal (as in cmf). */
async function sideUploads(
  client: ServerClient,
  side: SideFiles,
  mlmdDir: string,
  cwd: string,
  result: MetadataPushResult,
): Promise<void> {
  const jobs: { kind: UploadRoute; file: string; name: string }[] = [];
  for (const env of side.pythonEnvFiles()) {
    const file = findFile([resolve(mlmdDir, env), resolve(cwd, env)]);
    if (file) jobs.push({ kind: 'python-env', file, name: env });
    else result.missing.push(env);
  }
  for (const label of side.labelFiles()) {
    const file = findFile([resolve(mlmdDir, label.path), resolve(cwd, label.path)]);
    // Named by md5, as cmf does: the server (and its UI) finds labels by content.
    if (file) jobs.push({ kind: 'label', file, name: label.md5 });
    else result.missing.push(label.path);
  }
  for (const job of jobs) {
    try {
      await client.upload(job.kind, job.file, job.name);
      result.uploads.push({ ...job, ok: true });
    } catch (err) {
      result.uploads.push({ ...job, ok: false, error: (err as Error).message });
    }
  }
}

interface TensorboardFiles {
  root: string;
  files: { file: string; name: string }[];
}

/**
 * What `-t` names: one file (sent by basename) or a directory (its files walked later),
 * checked before pushing: an upload the server would refuse must not follow a pushed pipeline.
 */
function tensorboardFiles(cwd: string, given: string, pipeline: string): TensorboardFiles {
  checkTensorboardUpload(cwd, given, pipeline);
  const root = resolve(cwd, given);
  if (statSync(root).isFile()) return { root, files: [{ file: root, name: basename(root) }] };
  return { root, files: [] };
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (d.isDirectory()) out.push(...(await walk(p)));
    else if (d.isFile()) out.push(p);
  }
  return out;
}

async function uploadTensorboard(
  client: ServerClient,
  pipeline: string,
  t: TensorboardFiles,
  result: MetadataPushResult,
): Promise<void> {
  const files =
    t.files.length > 0
      ? t.files
      : (await walk(t.root)).map((file) => ({
          file,
          name: relative(t.root, file).split(sep).join('/'),
        }));
  try {
    await mapLimit(files, 4, async (f) => {
      try {
        await client.upload('tensorboard', f.file, f.name, { pipeline_name: pipeline });
        result.uploads.push({ kind: 'tensorboard', ...f, ok: true });
      } catch (err) {
        result.uploads.push({
          kind: 'tensorboard',
          ...f,
          ok: false,
          error: (err as Error).message,
        });
        throw err;
      }
    });
  } catch (err) {
    throw new ServerError(
      'TENSORBOARD_UPLOAD_FAILED',
      `Metadata pushed (${result.status}), but the tensorboard upload failed: ${(err as Error).message}`,
      {
        hint: 'Fix the cause and run the push again: the metadata part will answer "exists" and the logs are sent again.',
        data: { result },
        cause: err,
      },
    );
  }
}
