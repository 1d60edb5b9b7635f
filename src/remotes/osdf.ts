import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { CmfError, ConfigError } from '../errors/index.js';
import {
  isTempName,
  type GetTarget,
  type PutSource,
  type RemoteDriver,
  type TransferOptions,
} from './driver.js';
import { authFailed, missingObject, remoteFailed } from './errors.js';
import {
  hostPortOf,
  HttpTransport,
  rangeFrom,
  readText,
  receiveBody,
  receiveRest,
  type FileBody,
  type HttpTarget,
} from './http.js';
import { DirectGetPool, type DirectResult } from './http-direct.js';
import { OsdfTokenProvider, type OsdfTokenSettings } from './osdf-token.js';
import { counting } from './streams.js';
import { maskUrlSecrets } from '../util/url-secrets.js';
import { REDIRECT_STATUSES } from '../util/node-http.js';

export interface OsdfSettings extends OsdfTokenSettings {
  /** The origin URL with its namespace path, e.g. `https://origin:8443/ns/cmf`. */
  url: string;
  /** A cache (or director) tried first for downloads; only its scheme and host:port are used. */
  cache?: string;
  /** TLS certificate verification (default on). */
  sslVerify?: boolean;
  /** PEM CA bundle to verify with (ssl_verify = <path>). */
  ca?: string;
  maxSockets?: number;
  /** DVC's read_timeout, in ms: idle limit of an origin request (default 60 s). */
  readTimeoutMs?: number;
  /**
   * DVC's connect_timeout, in ms: the wait for a connection and, until the server has
   * answered once in this run, for its first answer (default 10 s, 5 s at most for the cache).
   */
  connectTimeoutMs?: number;
}

interface Endpoint {
  base: URL;
  hostPort: string;
  /** For messages: `OSDF origin https://host:port`. */
  name: string;
}

function endpoint(url: string, what: string): Endpoint {
  let base: URL;
  try {
    base = new URL(url);
    if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new Error('not http(s)');
  } catch (err) {
    throw new ConfigError('CONFIG_INVALID', `The OSDF ${what} is not an http(s) URL: ${url}`, {
      hint: 'Use https://host:port/namespace/path.',
      cause: err,
    });
  }
  if (base.search || base.hash) {
    // Object URLs are the path plus files/md5/…: a query or fragment cannot be kept.
    throw new ConfigError(
      'CONFIG_INVALID',
      `The OSDF ${what} URL ${maskUrlSecrets(url)} has a query or fragment`,
      {
        hint: `Give it up to the namespace path only (${base.origin}${base.pathname}): run cmf init osdfremote again. A token goes in --access-token.`,
      },
    );
  }
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return { base, hostPort: hostPortOf(base), name: `OSDF ${what} ${base.origin}` };
}

const OSDF_TLS_HINT =
  'set ssl_verify in the osdf remote of .dvc/config to the path of that CA bundle, or, if you ' +
  'trust the network, run cmf init osdfremote again with --no-ssl-verify';

/** Redirects followed for one download from the cache (a director sends one). */
const MAX_REDIRECTS = 5;

/** Where a redirect answer sends a GET: an http(s) URL, or undefined for anything else. */
function redirectTarget(
  from: URL,
  answer: { status?: number; location?: string },
): URL | undefined {
  if (!REDIRECT_STATUSES.has(answer.status ?? 0) || !answer.location) return undefined;
  try {
    const next = new URL(answer.location, from);
    return next.protocol === 'https:' || next.protocol === 'http:' ? next : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the bearer token goes along on a redirect from `from` to `to`. An OSDF director
 * sends clients to a cache, and caches need the token for protected namespaces (Pelican's
 * client sends it to them), so it is not simply dropped on a change of host, as Python
 * requests does; but it is never sent in clear text to a host the user did not configure:
 * kept on the same host unless the redirect goes from https to http, and on another host
 * only over https (whose certificate is verified unless ssl_verify is off).
 */
function keepsToken(from: URL, to: URL): boolean {
  if (from.hostname === to.hostname)
    return !(from.protocol === 'https:' && to.protocol === 'http:');
  return to.protocol === 'https:';
}

/** Idle time before a request is abandoned: the cache gets little patience, the origin more. */
const CACHE_TIMEOUT_MS = 5_000;
const ORIGIN_TIMEOUT_MS = 60_000;

/**
 * An OSDF origin spoken to over plain HTTP: PUT/GET/HEAD/DELETE with `Authorization:
 * Bearer <JWT>`, PROPFIND to list. Downloads try the cache first, then the origin.
 */
export class OsdfDriver implements RemoteDriver {
  readonly kind = 'osdf' as const;
  readonly defaultJobs = 8;
  readonly canList = true;
  readonly location: string;
  private readonly origin: Endpoint;
  private readonly cache?: Endpoint;
  private readonly http: HttpTransport;
  private readonly originTimeoutMs: number;
  /** Set once the cache took a connection and never answered: it is not asked again. */
  private cacheSilent = false;
  /** Downloads the cache did not serve, by reason (`HTTP 404`, `REMOTE_TLS`…). */
  private readonly cacheMisses = new Map<string, number>();

  private readonly tokens: OsdfTokenProvider;

  private constructor(settings: OsdfSettings, tokens: OsdfTokenProvider) {
    this.tokens = tokens;
    this.origin = endpoint(settings.url, 'origin');
    if (settings.cache) {
      const c = endpoint(settings.cache, 'cache');
      // Same path as on the origin, on the cache's host (cmf-reference §8.4).
      c.base = new URL(this.origin.base.pathname, c.base.origin);
      this.cache = c;
    }
    this.location = this.origin.base.href;
    this.originTimeoutMs = settings.readTimeoutMs ?? ORIGIN_TIMEOUT_MS;
    this.http = new HttpTransport({
      maxSockets: settings.maxSockets ?? 32,
      sslVerify: settings.sslVerify,
      ca: settings.ca,
      firstAnswerTimeoutMs: settings.connectTimeoutMs,
    });
  }

  /** Opens the driver; an expired or unreadable token fails here, before any transfer. */
  static async open(settings: OsdfSettings): Promise<OsdfDriver> {
    const tokens = new OsdfTokenProvider(settings);
    await tokens.header();
    return new OsdfDriver(settings, tokens);
  }

  private url(ep: Endpoint, key: string): URL {
    return new URL(key.split('/').map(encodeURIComponent).join('/'), ep.base);
  }

  private async send(
    ep: Endpoint,
    method: string,
    url: URL,
    opts: {
      body?: Readable | FileBody;
      size?: number;
      headers?: Record<string, string>;
      timeoutMs?: number;
      /** Send the bearer token (default); see {@link keepsToken}. */
      auth?: boolean;
    } = {},
  ): Promise<IncomingMessage> {
    const headers: Record<string, string> = {
      ...(await this.authHeader(opts.auth)),
      ...opts.headers,
    };
    if (opts.size !== undefined) headers['content-length'] = String(opts.size);
    return this.http.send(this.target(ep), {
      method,
      url,
      headers,
      body: opts.body,
      timeoutMs: opts.timeoutMs ?? this.originTimeoutMs,
    });
  }

  private async authHeader(auth = true): Promise<Record<string, string>> {
    return auth ? { authorization: await this.tokens.header() } : {};
  }

  private target(ep: Endpoint): HttpTarget {
    return {
      hostPort: ep.hostPort,
      location: this.location,
      endpoint: ep.name,
      tlsHint: OSDF_TLS_HINT,
    };
  }

  /** Throws the cmf error for a non-success status (the body is drained). */
  private check(res: IncomingMessage, what: string, key?: string): void {
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return;
    res.resume();
    if (status === 401 || status === 403) {
      throw authFailed(
        this.location,
        'the OSDF access token: access_token, or key_id, key_path and key_issuer, in the [osdf] section of .cmfconfig',
        status === 401
          ? 'token rejected (401)'
          : `${what} refused (403): the token lacks the scope, or the endpoint does not accept writes`,
      );
    }
    if (status === 404 && key) throw missingObject(this.location, key);
    throw remoteFailed(
      this.location,
      what,
      new Error(`HTTP ${status} ${res.statusMessage ?? ''}`.trim()),
    );
  }

  async exists(key: string): Promise<boolean> {
    const res = await this.send(this.origin, 'HEAD', this.url(this.origin, key));
    res.resume();
    if (res.statusCode === 404) return false;
    this.check(res, `HEAD ${key}`);
    return true;
  }

  async *list(prefix: string): AsyncIterable<string> {
    const url = this.url(this.origin, prefix);
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    const res = await this.send(this.origin, 'PROPFIND', url, { headers: { depth: '1' } });
    if (res.statusCode === 404) {
      res.resume();
      return;
    }
    this.check(res, `list ${prefix}`);
    const xml = await readText(res);
    for (const m of xml.matchAll(/<(?:[A-Za-z]+:)?href>([^<]*)<\/(?:[A-Za-z]+:)?href>/g)) {
      const path = decodeURIComponent(new URL(m[1]!.trim(), url).pathname);
      const rootPath = decodeURIComponent(this.origin.base.pathname);
      if (!path.startsWith(rootPath)) continue;
      const rel = path.slice(rootPath.length);
      if (rel === prefix || `${rel}/` === prefix) continue;
      if (rel.endsWith('/')) yield* this.list(rel);
      else if (!isTempName(rel.slice(rel.lastIndexOf('/') + 1))) yield rel;
    }
  }

  async put(key: string, source: PutSource, opts: TransferOptions = {}): Promise<void> {
    // A file goes up through reused buffers (http.ts sendFile), a stream as it comes.
    let body: Readable | FileBody;
    let size: number;
    if (typeof source === 'string') {
      size = (await stat(source)).size;
      body = { path: source, size, onBytes: opts.onBytes };
    } else {
      size = source.size;
      body = Readable.from(counting(opts)(source.stream));
    }
    const res = await this.send(this.origin, 'PUT', this.url(this.origin, key), { body, size });
    res.resume();
    this.check(res, `upload of ${key}`);
  }

  async get(key: string, target: GetTarget, opts: TransferOptions = {}): Promise<void> {
    if (this.cache && !this.cacheSilent && !opts.primaryOnly) {
      const servedBy = await this.getFromCache(this.cache, key, target, opts);
      if (servedBy !== undefined) {
        opts.onSecondary?.(servedBy);
        return;
      }
    }
    const what = `download of ${key}`;
    if (typeof target === 'string' && opts.offset) {
      // The cache may have appended bytes before it failed: the origin sends the rest.
      const offset = statSync(target, { throwIfNoEntry: false })?.size ?? 0;
      const rest = { ...opts, offset };
      if (offset > 0) {
        const res = await this.send(this.origin, 'GET', this.url(this.origin, key), {
          headers: rangeFrom(offset),
        });
        let got;
        try {
          got = await receiveRest(res, target, rest);
        } catch (err) {
          throw remoteFailed(this.location, what, err);
        }
        if (got === 'done') return;
        if (got === 'other') {
          this.check(res, what, key);
          res.resume();
          throw remoteFailed(
            this.location,
            what,
            new Error(`HTTP ${res.statusCode}: not the range asked for`),
          );
        }
      }
      opts.onRestart?.();
      opts = { ...opts, offset: undefined };
    }
    if (typeof target === 'string') {
      const direct = await this.getDirect(this.origin, key, target, opts, this.originTimeoutMs);
      if (direct.kind !== 'declined') return;
    }
    const res = await this.send(this.origin, 'GET', this.url(this.origin, key));
    this.check(res, what, key);
    try {
      await receiveBody(res, target, opts);
    } catch (err) {
      throw remoteFailed(this.location, what, err);
    }
  }

  /**
   * Tries the cache (or a director), following its redirects. Resolves with the name of the
   * server that sent the object, or undefined, with nothing written to a stream target, to
   * send the caller to the origin: any failure of the cache, or any answer but 200 or a
   * redirect, does (and is counted for {@link warnings}).
   */
  private async getFromCache(
    cache: Endpoint,
    key: string,
    target: GetTarget,
    opts: TransferOptions,
  ): Promise<string | undefined> {
    let ep = cache;
    let url = this.url(cache, key);
    let auth = true;
    let wrote = false;
    // Resuming: only the rest is asked for (see TransferOptions.offset).
    let offset = typeof target === 'string' ? (opts.offset ?? 0) : 0;
    try {
      for (let hops = 0; ; hops++) {
        let answer: { status?: number; location?: string } | undefined;
        if (offset > 0) {
          const res = await this.send(ep, 'GET', url, {
            timeoutMs: CACHE_TIMEOUT_MS,
            auth,
            headers: rangeFrom(offset),
          });
          const got = await receiveRest(res, target as string, opts);
          if (got === 'done') return ep.name;
          if (got === 'past-end') {
            // The whole object, from this same server.
            opts.onRestart?.();
            offset = 0;
            continue;
          }
          res.resume();
          answer = { status: res.statusCode, location: res.headers.location };
        } else if (typeof target === 'string' && DirectGetPool.handles(url)) {
          const r = await this.http.getDirect(this.target(ep), url, await this.authHeader(auth), {
            path: target,
            opts,
            timeoutMs: CACHE_TIMEOUT_MS,
          });
          if (r.kind !== 'declined') return ep.name;
          // A 200 this client does not read (chunked) is asked again through node:http.
          if (r.status !== 200) answer = r;
        }
        if (!answer) {
          const res = await this.send(ep, 'GET', url, { timeoutMs: CACHE_TIMEOUT_MS, auth });
          if (res.statusCode === 200) {
            wrote = true;
            await receiveBody(res, target, opts);
            return ep.name;
          }
          res.resume();
          answer = { status: res.statusCode, location: res.headers.location };
        }
        const next = redirectTarget(url, answer);
        if (next === undefined || hops >= MAX_REDIRECTS) {
          const why = next === undefined ? `HTTP ${answer.status ?? '?'}` : 'too many redirects';
          return this.cacheMissed(why);
        }
        auth &&= keepsToken(url, next);
        url = next;
        ep = { base: next, hostPort: hostPortOf(next), name: `OSDF cache ${next.origin}` };
      }
    } catch (err) {
      this.cacheFailed(err);
      if (wrote && typeof target !== 'string')
        throw remoteFailed(
          this.location,
          `download of ${key} from the cache`,
          new Error('interrupted'),
        );
      return undefined;
    }
  }

  /** Counts a download the cache did not serve, by reason, for {@link warnings}. */
  private cacheMissed(reason: string): undefined {
    this.cacheMisses.set(reason, (this.cacheMisses.get(reason) ?? 0) + 1);
    return undefined;
  }

  /** A cache that never answers would cost every download its timeout: it is dropped. */
  private cacheFailed(err: unknown): void {
    const code = err instanceof CmfError ? err.code : 'error';
    if (code === 'REMOTE_NOT_ANSWERING') this.cacheSilent = true;
    this.cacheMissed(code);
  }

  /** One line for the run, when the cache let downloads down: they then came from the origin. */
  warnings(): string[] {
    if (!this.cache || this.cacheMisses.size === 0) return [];
    const n = [...this.cacheMisses.values()].reduce((a, b) => a + b, 0);
    const why = [...this.cacheMisses].map(([r, k]) => (k > 1 ? `${r} ×${k}` : r)).join(', ');
    return [
      `The ${this.cache.name} did not serve ${n} download(s) (${why}); ` +
        `they came from the ${this.origin.name}` +
        (this.cacheSilent ? ' (the cache stopped answering and was not asked again)' : '') +
        '.',
    ];
  }

  /** A GET of the object straight into a file (HttpTransport.getDirect). */
  private async getDirect(
    ep: Endpoint,
    key: string,
    path: string,
    opts: TransferOptions,
    timeoutMs: number,
  ): Promise<DirectResult> {
    const url = this.url(ep, key);
    if (!DirectGetPool.handles(url)) return { kind: 'declined' };
    return this.http.getDirect(this.target(ep), url, await this.authHeader(), {
      path,
      opts,
      timeoutMs,
    });
  }

  async delete(key: string): Promise<void> {
    const res = await this.send(this.origin, 'DELETE', this.url(this.origin, key));
    res.resume();
    if (res.statusCode === 404) return;
    this.check(res, `delete of ${key}`);
  }

  async close(): Promise<void> {
    this.http.close();
  }
}
