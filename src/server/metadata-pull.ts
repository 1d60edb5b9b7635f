/**
 * `cmf metadata pull` (spec/cmf-reference.md §3.9): POST /api/mlmd_pull and merge the answer
 * into a local MLMD file, created if absent. Unlike cmflib it needs no git or DVC and
 * never switches the user's branch (§11 item 6).
 */
import { existsSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { DocumentSpool } from '../cmf/document-spool.js';
import { JsonStringDecoder } from '../cmf/json-string-decoder.js';
import { mergeIntoFile } from '../cmf/merge-file.js';
import { InvalidDocumentError, type MergeResult } from '../cmf/merge.js';
import { findProjectRoot, resolveMlmdPath } from '../config/project.js';
import { CmfError, NotFoundError, UsageError } from '../errors/index.js';
import { badAnswerError, ServerError, type RequestInfo } from './client-errors.js';
import { NO_EXEC_UUID, type AnswerSink, type ServerClient } from './client.js';
import { normalUuid } from '../cmf/query.js';

export interface MetadataPullOptions {
  client: ServerClient;
  /** The MLMD file to merge into (absolute, or relative to `cwd`; default `defaultPullTarget`). */
  mlmdPath?: string;
  pipeline: string;
  executionUuid?: string;
  cwd?: string;
}

export interface MetadataPullResult {
  pipeline: string;
  server: string;
  path: string;
  /** `success`: something new was merged; `exists`: the file had every execution already. */
  status: 'success' | 'exists';
  /** Executions in the server's answer. */
  executions: number;
}

/**
 * Without -f: the MLMD file the read commands (pipeline list, metadata push, ...) would open
 * from `cwd`, so a pull from a sub-directory merges into the project's file; when there is
 * none yet, a new `mlmd` in the project root (where those commands look), or in `cwd`
 * outside a project. cmflib always uses `<cwd>/mlmd`.
 */
export function defaultPullTarget(cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const found = resolveMlmdPath(undefined, cwd, env);
  if (existsSync(found)) return found;
  return join(findProjectRoot(cwd, env) ?? resolve(cwd), 'mlmd');
}

/** The target must be a file path whose directory exists (cmflib's checks, §3.9 step 2). */
export function pullTarget(cwd: string, given: string | undefined): string {
  const path = given === undefined ? defaultPullTarget(cwd) : resolve(cwd, given);
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new UsageError('PULL_TARGET_IS_DIRECTORY', `${path} is a directory`, {
      hint: 'Give -f/--file_name a file path, e.g. -f pulled/mlmd.',
    });
  }
  const parent = dirname(path);
  if (!existsSync(parent) || !statSync(parent).isDirectory()) {
    throw new NotFoundError('DIRECTORY_NOT_FOUND', `Directory ${parent} doesn't exist`, {
      hint: 'Create it first, or choose another -f/--file_name.',
    });
  }
  return path;
}

/**
 * The server's `no_exec_uuid`. A cmf server sends it only when asked for one execution it
 * does not have (§9.1); asked for the whole pipeline, it is an answer that makes no sense,
 * not a missing uuid of the user's.
 */
function noExecUuid(opts: MetadataPullOptions): CmfError {
  if (opts.executionUuid !== undefined) {
    return new NotFoundError(
      'EXECUTION_NOT_FOUND',
      `Execution uuid ${opts.executionUuid} is not in pipeline ${opts.pipeline} on ${opts.client.baseUrl}`,
      { hint: 'Check the uuid with cmf execution list on the machine that pushed it.' },
    );
  }
  return new ServerError(
    'SERVER_BAD_ANSWER',
    `metadata pull: ${opts.client.baseUrl} answered "${NO_EXEC_UUID}" (no such execution) although no execution uuid was asked for`,
    {
      hint: `Check that ${opts.client.baseUrl} is a cmf server, and look at its log.`,
      data: { url: opts.client.baseUrl, pipeline: opts.pipeline },
    },
  );
}

/** How much of the answer's start is kept for messages (and to see `no_exec_uuid`). */
const HEAD = 4096;
const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * The server's answer taken as it comes into a DocumentSpool, never whole in memory. A
 * Python cmf-server sends the document JSON-encoded, as a JSON string holding it (§3.9):
 * that string is decoded on the way. The answer's start is kept for messages.
 */
class PullAnswer implements AnswerSink {
  readonly spool: DocumentSpool;
  private readonly head: Buffer[] = [];
  private headSize = 0;
  size = 0;
  private mode: 'start' | 'document' | 'string' | 'after' = 'start';
  private decoder: JsonStringDecoder | undefined;
  /** A JSON string answer that is not one (bad escape, cut short, something after it). */
  invalid = false;

  /** `dir`: where the temporary file goes (beside the MLMD file the answer is merged into). */
  constructor(dir: string) {
    this.spool = new DocumentSpool(dir);
  }

  write(chunk: Buffer): void {
    if (this.headSize < HEAD) {
      const part = chunk.subarray(0, HEAD - this.headSize);
      this.head.push(Buffer.from(part));
      this.headSize += part.length;
    }
    this.size += chunk.length;
    let i = 0;
    if (this.mode === 'start') {
      while (i < chunk.length && WS.has(chunk[i]!)) i++;
      if (i === chunk.length) return;
      if (chunk[i] === 0x22) {
        this.mode = 'string';
        this.decoder = new JsonStringDecoder();
        i++;
      } else this.mode = 'document';
    }
    if (this.mode === 'document') return this.spool.write(chunk.subarray(i));
    if (this.mode === 'string') {
      const { out, end } = this.decoder!.write(chunk, i);
      this.spool.write(out);
      if (end < 0) return;
      this.mode = 'after';
      i = end;
    }
    for (; i < chunk.length; i++) if (!WS.has(chunk[i]!)) this.invalid = true;
  }

  end(): void {
    if (this.decoder) {
      this.spool.write(this.decoder.finish());
      if (this.decoder.invalid) this.invalid = true;
    }
    this.spool.end();
  }

  abort(): void {
    this.spool.close();
  }

  /** The answer's start as text. */
  text(): string {
    return Buffer.concat(this.head).toString('utf8');
  }
}

export async function pullMetadata(opts: MetadataPullOptions): Promise<MetadataPullResult> {
  const cwd = opts.cwd ?? process.cwd();
  const path = pullTarget(cwd, opts.mlmdPath);
  let answer: PullAnswer;
  try {
    answer = await opts.client.pullMetadataInto(
      {
        pipelineName: opts.pipeline,
        // As listings read -e (spaces aside, any case); uuids are stored in lower case.
        executionUuid:
          opts.executionUuid === undefined ? undefined : normalUuid(opts.executionUuid),
      },
      () => new PullAnswer(dirname(path)),
    );
  } catch (err) {
    if (err instanceof CmfError && err.code === 'SERVER_NOT_FOUND') {
      throw new NotFoundError(
        'PIPELINE_NOT_FOUND',
        `Pipeline ${opts.pipeline} doesn't exist on ${opts.client.baseUrl}`,
        {
          hint: 'Check the name (GET /api/pipelines lists them), or push it first with cmf metadata push.',
          data: err.data,
        },
      );
    }
    throw err;
  }
  try {
    return await mergeAnswer(opts, path, answer);
  } finally {
    answer.spool.close();
  }
}

async function mergeAnswer(
  opts: MetadataPullOptions,
  path: string,
  answer: PullAnswer,
): Promise<MetadataPullResult> {
  const text = answer.text();
  if (answer.size <= HEAD && text.trim() === NO_EXEC_UUID) throw noExecUuid(opts);
  const info = opts.client.requestInfo({
    operation: 'metadata pull',
    route: 'mlmd_pull',
    pipeline: opts.pipeline,
  });
  try {
    if (answer.invalid) throw new SyntaxError('not a JSON string');
    answer.spool.top();
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    // As push says it: the start of the answer shows what it is; the parser's own message
    // (which quotes that start again) adds nothing.
    throw badAnswerError(info, 'JSON', text);
  }
  const created = !existsSync(path);
  let merged: MergeResult;
  try {
    merged = await mergeIntoFile(path, answer.spool, {
      pipelineName: opts.pipeline,
      executionUuid: opts.executionUuid,
      mode: 'pull',
    });
  } catch (err) {
    if (created) await rm(path, { force: true });
    // The document is the server's answer, not the user's input: not a usage error.
    if (err instanceof InvalidDocumentError) throw malformedAnswer(info, err);
    throw err;
  }
  // A file this pull created but could not fill is not left behind.
  if (created && merged.status !== 'success') await rm(path, { force: true });
  switch (merged.status) {
    case 'success':
    case 'exists':
      return {
        pipeline: opts.pipeline,
        server: opts.client.baseUrl,
        path,
        status: merged.status,
        executions: answer.spool.executionCount(),
      };
    case 'pipeline_not_exist':
      throw new NotFoundError(
        'PIPELINE_NOT_FOUND',
        `The server's answer holds no pipeline ${opts.pipeline}`,
        {
          hint: 'Check the pipeline name.',
        },
      );
    case 'version_update':
      throw new ServerError(
        'SERVER_VERSION_UPDATE',
        'The pulled metadata has executions without an Execution_uuid (version_update)',
        {
          hint: 'The server holds metadata from an old cmf; it cannot be merged.',
        },
      );
    default:
      throw new ServerError(
        'SERVER_BAD_ANSWER',
        `${info.operation}: the server's answer holds no pipelines (its "Pipeline" list is missing or empty; invalid_json_payload)`,
        {
          hint: `Check that ${info.url} is a cmf server that holds pipeline ${opts.pipeline}, and look at its log.`,
          data: { url: info.url, pipeline: opts.pipeline },
        },
      );
  }
}

/** A server answer that is JSON but not a document the merge can take (exit 1, not 2). */
function malformedAnswer(info: RequestInfo, err: InvalidDocumentError): CmfError {
  return new ServerError(
    'SERVER_BAD_ANSWER',
    `${info.operation}: the server's answer is not a metadata document the merge can take: ${err.message}`,
    {
      cause: err,
      hint: `Check that ${info.url} is a cmf server of a compatible version, and look at its log; the local MLMD file is unchanged.`,
      data: { ...err.data, url: info.url, pipeline: info.pipeline },
    },
  );
}
