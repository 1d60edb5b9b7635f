import { closeSync, openSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Agent as HttpAgent, ClientRequest, IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { GetTarget, TransferOptions } from './driver.js';
import {
  networkCode,
  notAnswering,
  stoppedAnswering,
  writesNotAnswered,
  remoteFailed,
  tlsCode,
  tlsFailed,
  tlsHandshakeFailed,
  unreachable,
} from './errors.js';
import {
  DirectGetPool,
  seconds,
  timedOut,
  type DirectResult,
  type DirectTarget,
} from './http-direct.js';
import { counting, reportChunk } from './streams.js';
import { http, https } from '../util/node-http.js';
import { tlsHandshakeReason } from '../util/tls-errors.js';

/**
 * The HTTP transport of the drivers that speak HTTP themselves (OSDF, S3): keep-alive
 * connection pools and one request function whose failures are already cmf errors.
 */

export interface HttpSettings {
  /** Connections to keep open per host. */
  maxSockets: number;
  /** TLS certificate verification (default on). */
  sslVerify?: boolean;
  /** PEM CA bundle that replaces Node's built-in CAs (DVC's ssl_verify = <path>). */
  ca?: string;
  /**
   * Idle time allowed to an endpoint (host:port) that has not answered once in this run, for
   * connecting and for the first response head: a black hole fails after this long, and once
   * (default {@link FIRST_ANSWER_TIMEOUT_MS}). Requests' own `timeoutMs` applies afterwards.
   */
  firstAnswerTimeoutMs?: number;
}

/** The default of {@link HttpSettings.firstAnswerTimeoutMs}. */
export const FIRST_ANSWER_TIMEOUT_MS = 10_000;

export interface HttpRequest {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  /**
   * A buffer is sent as is; a stream is piped; a file is read in chunks into reused buffers
   * (for a stream or a file, give content-length in headers).
   */
  body?: Buffer | Readable | FileBody;
  /** Idle time (nothing sent or received) before the request is abandoned. */
  timeoutMs?: number;
}

/** A file sent as a request body. */
export interface FileBody {
  path: string;
  size: number;
  /** Told of the bytes of each chunk the request has taken. */
  onBytes?: (n: number) => void;
}

export function isFileBody(body: unknown): body is FileBody {
  return typeof (body as FileBody | undefined)?.path === 'string';
}

/** For error messages: where the server is and what the remote is called. */
export interface HttpTarget {
  hostPort: string;
  location: string;
  /** What the server is, for messages: `S3 endpoint http://host:port`. */
  endpoint?: string;
  /** How to trust or skip an unverifiable certificate, for REMOTE_TLS hints. */
  tlsHint?: string;
}

/** Writes in a row that time out, while the endpoint answers other requests, to give up. */
const UNANSWERED_WRITES_FATAL = 3;

const isWrite = (method: string): boolean => method === 'PUT' || method === 'POST';

export class HttpTransport {
  private readonly settings: HttpSettings;
  private readonly httpAgent: HttpAgent;
  private httpsAgent: HttpsAgent | undefined;
  private readonly direct: DirectGetPool;
  /** host:port of the endpoints that have answered a request in this run: when they last did. */
  private readonly answered = new Map<string, number>();
  /**
   * host:port of endpoints that have answered before: how many requests timed out in a row
   * without the endpoint answering anything from their start (reset by any answer).
   */
  private readonly silentTimeouts = new Map<string, number>();
  /**
   * host:port of endpoints that have answered before: how many writes (PUT, POST) timed out
   * in a row without an answer, whatever else it answered (reset by an answered write). A
   * server out of space can go on answering reads and listings while every upload hangs.
   */
  private readonly unansweredWrites = new Map<string, number>();
  private readonly firstAnswerMs: number;

  constructor(settings: HttpSettings) {
    this.settings = settings;
    this.firstAnswerMs = settings.firstAnswerTimeoutMs ?? FIRST_ANSWER_TIMEOUT_MS;
    this.direct = new DirectGetPool(settings.maxSockets);
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: settings.maxSockets });
  }

  /** node:https's request and this transport's agent for it, made on the first HTTPS request. */
  private tls(): { request: typeof import('node:https').request; agent: HttpsAgent } {
    this.httpsAgent ??= new (https().Agent)({
      keepAlive: true,
      maxSockets: this.settings.maxSockets,
      rejectUnauthorized: this.settings.sslVerify !== false,
      ...(this.settings.ca !== undefined ? { ca: this.settings.ca } : {}),
    });
    return { request: https().request, agent: this.httpsAgent };
  }

  /**
   * Sends the request and resolves with the response head (any status: the caller judges it
   * and must consume or resume the body). A refused connection is REMOTE_UNREACHABLE, a bad
   * certificate REMOTE_TLS, a timeout of an endpoint that never answered REMOTE_NOT_ANSWERING
   * (see {@link HttpSettings.firstAnswerTimeoutMs}), anything else REMOTE_FAILED (transient:
   * the engine retries it).
   */
  async send(target: HttpTarget, r: HttpRequest): Promise<IncomingMessage> {
    const { request, agent } =
      r.url.protocol === 'https:' ? this.tls() : { request: http.request, agent: this.httpAgent };
    const req = request(r.url, { method: r.method, headers: r.headers, agent });
    const idleMs = r.timeoutMs ?? 60_000;
    const waitMs = this.answerWait(target, idleMs);
    const startedAt = performance.now();
    req.setTimeout(waitMs, () => req.destroy(timedOut(waitMs, req.socket?.connecting)));
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      req.on('response', (res) => {
        this.noteAnswer(target);
        if (isWrite(r.method)) this.unansweredWrites.delete(target.hostPort);
        // The body may take as long as the request's own idle limit allows.
        if (waitMs !== idleMs) req.setTimeout(idleMs);
        resolve(res);
      });
      req.on('error', reject);
    });
    // Awaited below unless sending the body failed first: then its rejection is the same news.
    response.catch(() => {});
    try {
      if (r.body === undefined) req.end();
      else if (Buffer.isBuffer(r.body)) req.end(r.body);
      else if (isFileBody(r.body)) await sendFile(req, r.body);
      else await pipeline(r.body, req);
      return await response;
    } catch (err) {
      req.destroy();
      throw this.failure(target, `${r.method} ${r.url.pathname}`, err, startedAt, r.method);
    }
  }

  private noteAnswer(target: HttpTarget): void {
    this.answered.set(target.hostPort, performance.now());
    this.silentTimeouts.delete(target.hostPort);
  }

  /** The idle limit of a request: shorter while its endpoint has not answered in this run. */
  private answerWait(target: HttpTarget, idleMs: number): number {
    return this.answered.has(target.hostPort) ? idleMs : Math.min(idleMs, this.firstAnswerMs);
  }

  /**
   * The cmf error for a failed request. A timeout of an endpoint that has never answered in
   * this run stops the transfer (one error instead of one slow retried failure per object):
   * unreachable if the connection itself never came up, else not answering. So does the
   * second timeout in a row during which an endpoint that did answer answered nothing at all
   * (it went silent: each object would otherwise wait out every retry), and the third write
   * in a row that timed out while reads were answered. A single timeout, or one while other
   * requests get answers, is transient (retried).
   */
  private failure(
    target: HttpTarget,
    what: string,
    err: unknown,
    startedAt: number,
    method = 'GET',
  ): Error {
    const t = err as {
      code?: unknown;
      connecting?: boolean;
      unanswered?: boolean;
      waitMs?: number;
    };
    if (t.code !== 'ETIMEDOUT' || t.waitMs === undefined)
      return this.transportError(target, what, err);
    const endpoint = target.endpoint ?? `server ${target.hostPort}`;
    const lastAnswer = this.answered.get(target.hostPort);
    if (lastAnswer === undefined) {
      if (t.connecting) return unreachable(target.hostPort, 'ETIMEDOUT', err);
      if (t.unanswered !== false) {
        return notAnswering(endpoint, target.hostPort, seconds(t.waitMs), err);
      }
    } else {
      if (lastAnswer < startedAt) {
        const silent = (this.silentTimeouts.get(target.hostPort) ?? 0) + 1;
        this.silentTimeouts.set(target.hostPort, silent);
        if (silent >= 2) {
          return stoppedAnswering(endpoint, target.hostPort, seconds(t.waitMs), err);
        }
      }
      if (isWrite(method)) {
        const unanswered = (this.unansweredWrites.get(target.hostPort) ?? 0) + 1;
        this.unansweredWrites.set(target.hostPort, unanswered);
        if (unanswered >= UNANSWERED_WRITES_FATAL) {
          return writesNotAnswered(endpoint, target.hostPort, unanswered, seconds(t.waitMs), err);
        }
      }
    }
    return this.transportError(target, what, err);
  }

  /**
   * The cmf error for a request that failed below HTTP (connection, TLS, stream). A refused
   * connection to an endpoint that has answered in this run says so: it is tried again (see
   * remotes/retry.ts), while one that never answered stops the transfer at once.
   */
  transportError(target: HttpTarget, what: string, err: unknown): Error {
    return transportError(target, what, err, this.answered.has(target.hostPort));
  }

  /**
   * A GET whose 200 body goes straight into a file or a buffer (http-direct.ts). Resolves
   * `declined` for what that path leaves to {@link send}: ask again there. Failures are cmf
   * errors, as send's are.
   */
  async getDirect(
    target: HttpTarget,
    url: URL,
    headers: Record<string, string>,
    into: DirectTarget,
  ): Promise<DirectResult> {
    const answerTimeoutMs = this.answerWait(target, into.timeoutMs);
    const startedAt = performance.now();
    const onAnswer = (): void => this.noteAnswer(target);
    try {
      const result = await this.direct.get(url, headers, { ...into, answerTimeoutMs, onAnswer });
      onAnswer();
      return result;
    } catch (err) {
      throw this.failure(target, `GET ${url.pathname}`, err, startedAt);
    }
  }

  close(): void {
    this.direct.close();
    this.httpAgent.destroy();
    this.httpsAgent?.destroy();
  }
}

/** Bytes of a file body read and written at a time. */
const FILE_CHUNK = 256 << 10;

/**
 * Sends a file body through two buffers in turn: one is read while the other is written. A
 * read stream would allocate every chunk afresh, and on this kind of VM touching new pages
 * costs more CPU than the copy (see http-direct.ts). A buffer is reused only once the
 * request has taken its previous bytes (the write callback).
 */
async function sendFile(req: ClientRequest, body: FileBody): Promise<void> {
  // A request destroyed mid-body may never call back a pending write: race its failure.
  const failed = new Promise<never>((_, reject) => {
    req.once('error', reject);
    req.once('close', () =>
      reject(Object.assign(new Error('request closed'), { code: 'ECONNRESET' })),
    );
  });
  failed.catch(() => {});
  const fh = await open(body.path, 'r');
  try {
    const buffers = [Buffer.allocUnsafe(FILE_CHUNK), Buffer.allocUnsafe(FILE_CHUNK)];
    const written: Array<Promise<void> | undefined> = [undefined, undefined];
    for (let off = 0, i = 0; off < body.size; i ^= 1) {
      await Promise.race([written[i], failed]);
      const n = Math.min(FILE_CHUNK, body.size - off);
      const { bytesRead } = await fh.read(buffers[i]!, 0, n, off);
      if (bytesRead < n) {
        throw Object.assign(new Error(`${body.path} shrank while it was sent`), { code: 'EIO' });
      }
      const write = new Promise<void>((resolve, reject) =>
        req.write(buffers[i]!.subarray(0, n), (err) => {
          if (err) return reject(err);
          body.onBytes?.(n);
          resolve();
        }),
      );
      write.catch(() => {}); // awaited (and rethrown) when its buffer comes round again
      written[i] = write;
      off += n;
    }
    await Promise.race([Promise.all(written), failed]);
    req.end();
  } finally {
    await fh.close();
  }
}

/**
 * The cmf error for a request that failed below HTTP (connection, TLS, stream);
 * `answeredBefore`: see {@link HttpTransport.transportError}.
 */
function transportError(
  target: HttpTarget,
  what: string,
  err: unknown,
  answeredBefore: boolean,
): Error {
  const net = networkCode(err);
  if (net) return unreachable(target.hostPort, net, err, answeredBefore);
  const tls = tlsCode(err);
  if (tls) return tlsFailed(target.hostPort, tls, err, target.tlsHint);
  const handshake = tlsHandshakeReason(err);
  if (handshake) return tlsHandshakeFailed(target.hostPort, handshake, err);
  return remoteFailed(target.location, what, err);
}

/**
 * Streams a response body into a file (created or truncated) or a writable, counting bytes.
 * A file is written with a synchronous write per received chunk: a write into the page cache
 * takes microseconds, while a write stream's per-chunk promises and thread-pool round trips
 * cost more CPU than the copy itself (and CPU is what a download competes for).
 */
export async function receiveBody(
  res: IncomingMessage,
  target: GetTarget,
  opts: TransferOptions,
  append = false,
): Promise<void> {
  if (typeof target !== 'string') {
    await pipeline(res, counting(opts), target);
    return;
  }
  const fd = openSync(target, append ? 'a' : 'w');
  try {
    await new Promise<void>((resolve, reject) => {
      res.on('data', (chunk: Buffer) => {
        try {
          for (let off = 0; off < chunk.length;)
            off += writeSync(fd, chunk, off, chunk.length - off);
        } catch (err) {
          res.destroy(err as Error);
          return;
        }
        reportChunk(opts, chunk);
      });
      res.on('end', resolve);
      res.on('error', reject);
      // A connection cut mid-body: 'aborted' on the message, then 'close' without 'end'.
      res.on('close', () => {
        if (!res.complete)
          reject(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' }));
      });
    });
  } finally {
    closeSync(fd);
  }
}

/** The header that asks for the rest of an object (see TransferOptions.offset). */
export function rangeFrom(offset: number): Record<string, string> {
  return { range: `bytes=${offset}-` };
}

/**
 * Receives the answer to a GET sent with {@link rangeFrom}(`opts.offset`) into the file
 * `path`: the rest appended (206 from that byte), or the whole object from byte 0 (200: a
 * server that ignores ranges; opts.onRestart is called first). `past-end` (416: the file
 * holds as many bytes as the object or more), body drained and nothing written: the caller
 * asks for the whole object. `other`: any other answer, left to the caller to judge.
 */
export async function receiveRest(
  res: IncomingMessage,
  path: string,
  opts: TransferOptions,
): Promise<'done' | 'past-end' | 'other'> {
  if (res.statusCode === 416) {
    res.resume();
    return 'past-end';
  }
  const from = /^bytes (\d+)-/.exec(res.headers['content-range'] ?? '')?.[1];
  const rest = res.statusCode === 206 && Number(from) === opts.offset;
  if (!rest && res.statusCode !== 200) return 'other';
  if (!rest) opts.onRestart?.();
  await receiveBody(res, path, opts, rest);
  return 'done';
}

/** The whole body of a response, as text (error documents, listings: small). */
export async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** host:port of a URL, the default port filled in. */
export function hostPortOf(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}
