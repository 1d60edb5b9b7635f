/**
 * The metadata server: the cmf-server HTTP API (spec/cmf-reference.md §9) on fastify, so
 * Python cmf clients and ours can push and pull. Everything shared by the routes lives
 * here: bearer tokens, gzip request bodies, body size limits, error bodies (`{detail}`,
 * as FastAPI writes them) and one log line per request.
 */
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { CmfError, ExitCode } from '../errors/index.js';
import type { AsyncMlmdStore } from '../mlmd/async-store.js';
import { KeyedMutex } from './keyed-mutex.js';
import { metadataRoutes } from './routes/metadata.js';
import { readRoutes } from './routes/reads.js';
import { uploadRoutes } from './routes/uploads.js';
import { TokenSet } from './tokens.js';

export interface ServerOptions {
  store: AsyncMlmdStore;
  /** Holds uploaded environment, label and tensorboard files. */
  dataDir: string;
  /** Bearer tokens; none means no authentication (as Python's server). */
  tokens?: readonly string[];
  /** Largest request body in bytes, after gzip decompression too (default 256 MiB). */
  bodyLimit?: number;
  /** Receives one line per request (and the stack of unexpected errors). */
  logger?: (line: string) => void;
}

/** What the routes share. */
export interface ServerContext {
  store: AsyncMlmdStore;
  dataDir: string;
  bodyLimit: number;
  /** Serialises the pushes of one pipeline (the store serialises writers too; this keeps a queue per pipeline). */
  pipelineLocks: KeyedMutex;
}

export const DEFAULT_BODY_LIMIT = 256 * 1024 * 1024;

/** The most of a refused request body the server reads just to answer it cleanly. */
const MAX_DRAIN = 1024 * 1024 * 1024;

export async function createServer(opts: ServerOptions): Promise<FastifyInstance> {
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const log = opts.logger ?? (() => {});
  const tokens = new TokenSet(opts.tokens ?? []);
  const app = Fastify({
    bodyLimit,
    logger: false,
    // Answers to in-flight requests are finished on close; idle keep-alive sockets are not waited for.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });

  app.addHook('onRequest', async (req, reply) => {
    if (!tokens.enabled) return;
    const path = req.url.split('?')[0];
    if ((req.method === 'GET' || req.method === 'HEAD') && path === '/') return;
    if (!tokens.accepts(req.headers.authorization)) {
      // Returning the reply is what stops fastify here: without it the route still runs.
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ detail: 'Missing or invalid bearer token' });
    }
  });

  // gzip bodies are inflated on the way to the parser; fastify's limit then applies to the
  // inflated bytes too (receivedEncodedLength tells it what came over the wire).
  app.addHook('preParsing', async (req, _reply, payload) => {
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
    if (encoding === 'identity') return payload;
    if (encoding !== 'gzip' || req.headers['content-type']?.startsWith('multipart/')) {
      throw Object.assign(new Error(`Unsupported Content-Encoding "${encoding}" for this body`), {
        statusCode: 415,
      });
    }
    const gunzip = createGunzip();
    const counted = gunzip as unknown as Readable & { receivedEncodedLength: number };
    counted.receivedEncodedLength = 0;
    payload.on('data', (chunk: Buffer) => (counted.receivedEncodedLength += chunk.length));
    payload.on('error', (err) => gunzip.destroy(err));
    payload.pipe(gunzip);
    return counted;
  });

  // An early answer (401, 413, 415) to a client still sending its body would reach it as a
  // reset connection (EPIPE) instead of the answer, and our client would retry it as a
  // network failure. Read and discard the rest of the body first; past MAX_DRAIN, close.
  app.addHook('onSend', async (req, reply, payload) => {
    const raw = req.raw;
    if (reply.statusCode < 400 || raw.complete || raw.destroyed) return payload;
    if (Number(req.headers['content-length'] ?? 0) > MAX_DRAIN) {
      void reply.header('connection', 'close');
      return payload;
    }
    await new Promise<void>((resolve) => {
      raw.once('end', resolve).once('close', resolve).once('error', resolve);
      raw.unpipe(); // a gzip inflater nobody reads any more would pause the request again
      raw.resume();
    });
    return payload;
  });

  app.addHook('onResponse', async (req, reply) => {
    log(
      `${new Date().toISOString()} ${req.ip} ${req.method} ${req.url} ${reply.statusCode} ` +
        `${reply.elapsedTime.toFixed(1)}ms`,
    );
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const { status, detail } = errorResponse(err);
    if (status >= 500) log(`${req.method} ${req.url} failed: ${err.stack ?? err.message}`);
    void reply.code(status).send({ detail });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ detail: `No route ${req.method} ${req.url.split('?')[0]}` });
  });

  await app.register(multipart, {
    // Keep the client's relative path (tensorboard directories); upload-names.ts vets it.
    preservePath: true,
    limits: { fileSize: bodyLimit, files: 1, fields: 16, fieldSize: 64 * 1024 },
  });
  const ctx: ServerContext = {
    store: opts.store,
    dataDir: opts.dataDir,
    bodyLimit,
    pipelineLocks: new KeyedMutex(),
  };
  metadataRoutes(app, ctx);
  uploadRoutes(app, ctx);
  readRoutes(app, ctx);
  return app;
}

/** Status and `detail` text for an error thrown by a route or by fastify itself. */
function errorResponse(err: FastifyError): { status: number; detail: string } {
  if (err.validation) return { status: 400, detail: err.message };
  // Merge and store errors: the client's document was wrong (usage), named something that
  // is not there (not found), or the server failed.
  if (err instanceof CmfError) {
    if (err.exitCode === ExitCode.usage) return { status: 400, detail: err.message };
    if (err.exitCode === ExitCode.notFound) return { status: 404, detail: err.message };
    return { status: 500, detail: err.message };
  }
  if (typeof err.code === 'string' && err.code.startsWith('Z_')) {
    return { status: 400, detail: `The request body is not valid gzip: ${err.message}` };
  }
  const status = err.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return { status, detail: err.message };
  }
  return { status: 500, detail: 'Internal server error' };
}
