/**
 * Client of the cmf-server HTTP API (ours or Python's): requests with a timeout per attempt,
 * retries with exponential backoff where a retry can help (no connection, 5xx, 429 — never
 * other 4xx, never after a timeout, when the server may still be working on the request),
 * the bearer token when one is configured, and typed errors for everything else.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientRequest } from 'node:http';
import { REDIRECT_STATUSES, http, https } from '../util/node-http.js';
import { maskUrlSecrets } from '../util/url-secrets.js';
import {
  badAnswerError,
  httpError,
  redirectError,
  transportError,
  type RequestInfo,
} from './client-errors.js';

export interface ServerClientOptions {
  /** `cmf-server-url`, e.g. http://127.0.0.1:80 (routes are under `<url>/api/`). */
  url: string;
  token?: string;
  /** Where the token was set (`CMF_SERVER_TOKEN`, `.dvc/config.local`…), for messages. */
  tokenSource?: string;
  /** Per attempt (default 300 s: merging a large pipeline takes a while). */
  timeoutMs?: number;
  /** Further attempts after a retryable failure (default 3). */
  retries?: number;
  /** First backoff delay; doubled each time (default 300 ms). */
  backoffMs?: number;
}

export type PushStatus = 'success' | 'exists' | 'pipeline_not_exist';

export interface PushAnswer {
  status: PushStatus | string;
  [key: string]: unknown;
}

/** The literal body Python's server sends for an execution uuid it does not have. */
export const NO_EXEC_UUID = 'no_exec_uuid';

export type UploadRoute = 'python-env' | 'label' | 'tensorboard';

interface Request {
  method: 'GET' | 'POST';
  route: string;
  operation: string;
  pipeline?: string;
  query?: Record<string, string>;
  json?: unknown;
  /** A JSON body made anew for each attempt and sent as it is made (chunked). */
  jsonPieces?: () => AsyncIterable<string>;
  /** A file sent as multipart/form-data part `file`. */
  file?: { path: string; name: string };
  /** Where a 2xx answer's body goes, made anew for each attempt. */
  sink?: () => AnswerSink;
}

interface Answer {
  status: number;
  retryAfter?: string;
  location?: string;
  /** The body ('' when a sink took it). */
  text: string;
  /** The sink that took a 2xx answer's body, when the request had one. */
  sunk?: AnswerSink;
}

/** Takes a 2xx answer's body piece by piece instead of it being gathered in memory. */
export interface AnswerSink {
  write(chunk: Buffer): void;
  end(): void;
  /** The answer was cut short or another attempt follows: drop what was taken. */
  abort(): void;
}

const RETRY_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** What a JSON answer must look like: a check, and its name for the error message. */
interface Shape<T> {
  name: string;
  is: (value: unknown) => value is T;
}

const PUSH_ANSWER: Shape<PushAnswer> = {
  name: 'a JSON object with a "status"',
  is: (v): v is PushAnswer =>
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    typeof (v as { status?: unknown }).status === 'string',
};

const NAME_LIST: Shape<string[]> = {
  name: 'a JSON list of names',
  is: (v): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string'),
};

/**
 * The body of a 2xx answer as `shape`; anything else (an HTML page from a proxy, a login
 * form, a truncated body) is a SERVER_BAD_ANSWER naming the URL, never a raw SyntaxError.
 */
function parseAnswer<T>(info: RequestInfo, text: string, shape: Shape<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badAnswerError(info, 'JSON', text);
  }
  if (!shape.is(value)) throw badAnswerError(info, shape.name, text);
  return value;
}

/** Characters a multipart part's quoted filename cannot hold, escaped as browsers do. */
const escapeFilename = (name: string): string =>
  name.replace(/["\r\n]/g, (c) => encodeURIComponent(c));

/** A multipart/form-data body with the file as part `file`. */
async function multipart(file: { path: string; name: string }): Promise<{
  body: Buffer;
  contentType: string;
}> {
  const boundary = `cmf-${randomUUID()}`;
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; ` +
    `filename="${escapeFilename(file.name)}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  return {
    body: Buffer.concat([
      Buffer.from(head),
      await readFile(file.path),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/** A request body: whole, or made piece by piece while it is sent. */
type Body = string | Buffer | (() => AsyncIterable<string>);

/** A body maker's own failure, told apart from the connection's. */
class BodyError extends Error {
  constructor(cause: unknown) {
    super('the request body could not be made', { cause });
  }
}

/**
 * Writes the pieces `body` makes to `req` as fast as the connection takes them, then ends
 * it; stops early once `done()` (the exchange settled: answered early, failed, timed out).
 */
async function sendPieces(
  req: ClientRequest,
  body: () => AsyncIterable<string>,
  done: () => boolean,
): Promise<void> {
  for await (const piece of body()) {
    if (done()) return;
    if (!req.write(piece)) {
      await new Promise<void>((resume) => {
        const go = (): void => {
          req.off('drain', go);
          req.off('close', go);
          resume();
        };
        req.on('drain', go);
        req.on('close', go);
      });
    }
  }
  if (!done()) req.end();
}

/**
 * One request and its whole answer, whatever the status. Rejects with the socket's error
 * (its `code`: ECONNREFUSED, ...), after `timeoutMs` in all with a TimeoutError, or with a
 * BodyError when a piece-by-piece body fails to be made.
 */
function exchange(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: Body | undefined,
  timeoutMs: number,
  sink?: () => AnswerSink,
): Promise<Answer> {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? https().request : http.request;
  return new Promise<Answer>((resolve, reject) => {
    let settled = false;
    const settle = (err: Error | undefined, answer?: Answer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(answer!);
    };
    const sent = { ...headers };
    // A body made piece by piece has no length yet: Node sends it chunked.
    if (body !== undefined && typeof body !== 'function') {
      sent['content-length'] = String(Buffer.byteLength(body));
    }
    const req = request(u, { method, headers: sent });
    const timer = setTimeout(() => {
      const err = new Error(`no answer within ${timeoutMs} ms`);
      err.name = 'TimeoutError';
      settle(err);
      req.destroy();
    }, timeoutMs);
    // An error after the answer began (the connection cut mid-body) says so: the server
    // was reached (see transportError).
    let answeredStatus: number | undefined;
    const failed = (err: Error): void =>
      settle(answeredStatus === undefined ? err : Object.assign(err, { answeredStatus }));
    req.on('error', failed);
    req.on('response', (res) => {
      answeredStatus = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      const ok = answeredStatus >= 200 && answeredStatus < 300;
      let sunk: AnswerSink | undefined;
      try {
        sunk = ok ? sink?.() : undefined;
      } catch (err) {
        settle(new BodyError(err));
        req.destroy();
        return;
      }
      res.on('data', (c: Buffer) => {
        if (!sunk) return void chunks.push(c);
        try {
          sunk.write(c);
        } catch (err) {
          // A local failure (the temporary file), not the network's: no retry.
          settle(new BodyError(err));
          req.destroy();
        }
      });
      res.on('error', failed);
      let complete = false;
      res.on('end', () => {
        complete = true;
        const retryAfter = res.headers['retry-after'];
        sunk?.end();
        settle(undefined, {
          status: res.statusCode ?? 0,
          retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
          location: res.headers.location,
          text: Buffer.concat(chunks).toString('utf8'),
          sunk,
        });
      });
      // Cut short (network, timeout): what the sink took is dropped.
      if (sunk) res.once('close', () => complete || sunk.abort());
    });
    if (typeof body !== 'function') return void req.end(body);
    sendPieces(req, body, () => settled).catch((err: unknown) => {
      settle(new BodyError(err));
      req.destroy();
    });
  });
}

function pullRequest(body: { pipelineName: string; executionUuid?: string }): Request {
  return {
    method: 'POST',
    route: 'mlmd_pull',
    operation: 'metadata pull',
    pipeline: body.pipelineName,
    json: { pipeline_name: body.pipelineName, exec_uuid: body.executionUuid ?? null },
  };
}

/** `<base>/api/<route>?<query>`: routes always live under `/api` of the server's URL. */
function routeUrl(base: string, route: string, query?: Record<string, string>): string {
  const qs = query ? `?${new URLSearchParams(query).toString()}` : '';
  return `${base}/api/${route.replace(/^\/+/, '')}${qs}`;
}

export class ServerClient {
  /** The server's URL as shown to users: a password in it is masked (`user:****@`). */
  readonly baseUrl: string;
  /** The URL requests go to: without its userinfo, which travels as a header. */
  private readonly requestBase: string;
  /** `Basic …` from `user:password@` in the URL (as Python's requests sends it), if any. */
  private readonly basicAuth?: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly opts: ServerClientOptions;

  constructor(opts: ServerClientOptions) {
    this.opts = opts;
    // A trailing slash would make Python's client call `//api`; ours never does.
    const trimmed = opts.url.replace(/\/+$/, '');
    this.baseUrl = maskUrlSecrets(trimmed);
    const u = new URL(trimmed);
    if (u.username !== '' || u.password !== '') {
      const user = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
      this.basicAuth = `Basic ${Buffer.from(user, 'utf8').toString('base64')}`;
      u.username = '';
      u.password = '';
    }
    this.requestBase = u.href.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 300_000;
    this.retries = opts.retries ?? 3;
    this.backoffMs = opts.backoffMs ?? 300;
  }

  /** The URL of `route` as shown in messages (password masked). */
  endpoint(route: string, query?: Record<string, string>): string {
    return routeUrl(this.baseUrl, route, query);
  }

  /**
   * POST /api/mlmd_push; 200 answers are returned (status success, exists, ...). `payload`:
   * the document's text, or what makes it anew for each attempt, piece by piece, sent as it
   * comes (chunked) so a large document is never whole in memory.
   */
  async pushMetadata(body: {
    pipelineName: string;
    executionUuid?: string;
    payload: string | (() => AsyncIterable<string>);
  }): Promise<PushAnswer> {
    const req = {
      method: 'POST',
      route: 'mlmd_push',
      operation: 'metadata push',
      pipeline: body.pipelineName,
    } as const;
    const payload = body.payload;
    const execUuid = JSON.stringify(body.executionUuid ?? null);
    const pipelineName = JSON.stringify(body.pipelineName);
    if (typeof payload === 'string') {
      const json = {
        exec_uuid: body.executionUuid ?? null,
        json_payload: payload,
        pipeline_name: body.pipelineName,
      };
      return this.sendJson(PUSH_ANSWER, { ...req, json });
    }
    // What JSON.stringify writes for the fields, the payload string escaped piece by piece.
    return this.sendJson(PUSH_ANSWER, {
      ...req,
      jsonPieces: async function* () {
        yield `{"exec_uuid":${execUuid},"json_payload":"`;
        for await (const piece of payload()) yield JSON.stringify(piece).slice(1, -1);
        yield `","pipeline_name":${pipelineName}}`;
      },
    });
  }

  /** POST /api/mlmd_pull: the pipeline's JSON text, or NO_EXEC_UUID. 404: unknown pipeline. */
  async pullMetadata(body: { pipelineName: string; executionUuid?: string }): Promise<string> {
    const res = await this.send(pullRequest(body));
    return res.text;
  }

  /** As pullMetadata, the answer going into a sink (made anew for each attempt) as it comes. */
  async pullMetadataInto<S extends AnswerSink>(
    body: { pipelineName: string; executionUuid?: string },
    sink: () => S,
  ): Promise<S> {
    const res = await this.send({ ...pullRequest(body), sink });
    return res.sunk as S;
  }

  /** Multipart upload of one file as part `file` named `name`. */
  async upload(
    route: UploadRoute,
    path: string,
    name: string,
    query?: Record<string, string>,
  ): Promise<Record<string, unknown>> {
    const res = await this.send({
      method: 'POST',
      route,
      operation: `upload of ${name}`,
      query,
      file: { path, name },
    });
    try {
      return JSON.parse(res.text) as Record<string, unknown>;
    } catch {
      return { message: res.text };
    }
  }

  async pipelines(): Promise<string[]> {
    return this.sendJson(NAME_LIST, {
      method: 'GET',
      route: 'pipelines',
      operation: 'pipeline listing',
    });
  }

  /** What errors about `req` name: the operation, the full URL, the pipeline. */
  requestInfo(req: Pick<Request, 'operation' | 'route' | 'query' | 'pipeline'>): RequestInfo {
    return {
      operation: req.operation,
      url: this.endpoint(req.route, req.query),
      pipeline: req.pipeline,
      credentials: this.opts.token
        ? `the token from ${this.opts.tokenSource ?? 'the configuration'}`
        : this.basicAuth
          ? 'the user and password in cmf-server-url'
          : undefined,
    };
  }

  /** One request whose 2xx answer must be JSON of `shape`. */
  private async sendJson<T>(shape: Shape<T>, req: Request): Promise<T> {
    const res = await this.send(req);
    return parseAnswer(this.requestInfo(req), res.text, shape);
  }

  /** One request with retries; resolves only on a 2xx answer. */
  private async send(req: Request): Promise<Answer> {
    const info = this.requestInfo(req);
    const url = routeUrl(this.requestBase, req.route, req.query);
    const headers: Record<string, string> = { accept: 'application/json, text/plain, */*' };
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    else if (this.basicAuth) headers.authorization = this.basicAuth;
    let body: Body | undefined;
    if (req.json !== undefined || req.jsonPieces) {
      headers['content-type'] = 'application/json';
      body = req.jsonPieces ?? JSON.stringify(req.json);
    } else if (req.file) {
      // Built once: a retry sends the same bytes again.
      let form;
      try {
        form = await multipart(req.file);
      } catch (err) {
        throw transportError(info, err, this.timeoutMs);
      }
      headers['content-type'] = form.contentType;
      body = form.body;
    }
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.retries;
      let res: Answer;
      try {
        res = await exchange(url, req.method, headers, body, this.timeoutMs, req.sink);
      } catch (err) {
        // The body's maker failed (the local MLMD file could not be read): not the network.
        if (err instanceof BodyError) throw err.cause;
        const code = (err as { code?: string }).code;
        if (!last && code !== undefined && RETRY_CODES.has(code)) {
          await sleep(this.delay(attempt));
          continue;
        }
        throw transportError(info, err, this.timeoutMs);
      }
      if (res.status >= 200 && res.status < 300) return res;
      // Not followed: a POST would be re-sent (or turned into a GET, as Python's requests
      // does for 301/302) to a place the user never configured, perhaps with the token
      // over plain http. The error names where to point cmf-server-url instead.
      if (REDIRECT_STATUSES.has(res.status) && res.location) {
        throw redirectError(info, res.status, URL.parse(res.location, url)?.href ?? res.location);
      }
      if (!last && (res.status >= 500 || res.status === 429)) {
        await sleep(this.delay(attempt, res.retryAfter));
        continue;
      }
      throw httpError(info, res.status, res.text, attempt + 1);
    }
  }

  /** Exponential backoff with jitter; a Retry-After (seconds) is honoured up to 30 s. */
  private delay(attempt: number, retryAfter?: string | null): number {
    const asked = retryAfter ? Number(retryAfter) * 1000 : NaN;
    if (Number.isFinite(asked) && asked >= 0) return Math.min(asked, 30_000);
    const base = this.backoffMs * 2 ** attempt;
    return base / 2 + Math.random() * (base / 2);
  }
}
