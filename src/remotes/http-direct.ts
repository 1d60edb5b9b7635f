import { closeSync, openSync, writeSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { TransferOptions } from './driver.js';
import { reportChunk } from './streams.js';

/**
 * Plain-HTTP downloads received straight into a file or a buffer, through one read buffer per
 * connection that is reused for every read (net.Socket's `onread`). node:http hands each
 * 64 KB of a body over in two freshly allocated buffers (the socket read, then the parser's
 * copy); on a VM where touching a new page costs about 10 µs, those allocations were a third
 * of the CPU a 100 MB pull spent (measured: 0.6–0.8 s of CPU for 5 × 20 MB from Ceph RGW
 * through node:http, 0.23–0.33 s here).
 *
 * Only the common answer is handled here: a 200 whose body a Content-Length delimits. For
 * anything else (an error status, a chunked body, HTTP/1.0) the download is declined before
 * a byte of the body is taken, and the caller asks again through node:http, where every
 * status is judged in one place. HTTPS is always declined (this client speaks to plain TCP
 * sockets only), as is any request when Node is told to use a proxy (NODE_USE_ENV_PROXY).
 */

/** Where the body of a 200 goes. */
export interface DirectTarget {
  /** The file to create or truncate for the body. */
  path: string;
  /** Bodies shorter than this many bytes come back in memory instead, and path is not made. */
  memoryLimit?: number;
  /** Told of every chunk written to the file (not of a body kept in memory). */
  opts?: TransferOptions;
  /** Idle time before the request fails with ETIMEDOUT. */
  timeoutMs: number;
  /** Idle time allowed until the first byte of the response, when not `timeoutMs`. */
  answerTimeoutMs?: number;
  /** Called when the first byte of the response arrives. */
  onAnswer?: () => void;
}

/** What became of a download: in the file, in memory, or left to the caller. */
export type DirectResult =
  | { kind: 'file'; size: number }
  | { kind: 'memory'; bytes: Buffer }
  /** Left to the caller; with the answer's status and Location when one came. */
  | { kind: 'declined'; status?: number; location?: string };

/** One connection's reads land in this buffer, one after the other. */
const READ_BUFFER_BYTES = 256 << 10;
/** A response head longer than this is not something an object store sends. */
const MAX_HEAD_BYTES = 64 << 10;

const DECLINED: DirectResult = { kind: 'declined' };

/** Read once: process.env is slow to ask thousands of times, and Node reads it at start too. */
const USE_ENV_PROXY = !!process.env.NODE_USE_ENV_PROXY;

function errorWithCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** Milliseconds as seconds for messages: 10, 2.5. */
export function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}

/**
 * The error a request is destroyed with when nothing came or went for `waitMs` (both HTTP
 * paths: HttpTransport.send and the direct GETs here); `connecting` says whether the
 * connection itself never came up.
 */
export function timedOut(waitMs: number, connecting = false): Error {
  return Object.assign(errorWithCode(`timed out (no data for ${seconds(waitMs)} s)`, 'ETIMEDOUT'), {
    waitMs,
    connecting,
  });
}

interface ParsedHead {
  status: number;
  contentLength?: number;
  keepAlive: boolean;
  /** A body framing this client does not read (chunked, or until close). */
  framed: boolean;
  location?: string;
}

/** Parses `HTTP/1.1 200 OK\r\nName: value\r\n…` (the head without its blank line). */
function parseHead(text: string): ParsedHead | undefined {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
  if (!m) return undefined;
  let contentLength: number | undefined;
  let chunked = false;
  let connection = '';
  let location: string | undefined;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') {
      if (!/^\d+$/.test(value) || (contentLength !== undefined && contentLength !== +value)) {
        return undefined;
      }
      contentLength = Number(value);
    } else if (name === 'transfer-encoding') chunked = true;
    else if (name === 'connection') connection = value.toLowerCase();
    else if (name === 'location') location = value;
  }
  const http11 = m[1] === '1';
  return {
    status: Number(m[2]),
    contentLength,
    keepAlive: http11 && !connection.split(',').some((t) => t.trim() === 'close'),
    framed: !chunked && contentLength !== undefined,
    location,
  };
}

/** Receives one response on a connection: the head, then (if taken) the body. */
class Exchange {
  /** The start of a head that did not fit in one read (copied out of the read buffer). */
  private partialHead: Buffer | undefined;
  private fd: number | undefined;
  private memory: Buffer | undefined;
  private remaining = 0;
  private received = 0;
  /** True once any byte of the response arrived (a stale keep-alive socket sends none). */
  answered = false;
  keepAlive = false;

  private readonly target: DirectTarget;
  private readonly settle: (err: Error | undefined, result?: DirectResult) => void;

  constructor(
    target: DirectTarget,
    settle: (err: Error | undefined, result?: DirectResult) => void,
  ) {
    this.target = target;
    this.settle = settle;
  }

  /** Takes the bytes of one read; they are only valid during the call. */
  take(chunk: Buffer): void {
    if (!this.answered) {
      this.answered = true;
      this.target.onAnswer?.();
    }
    if (this.fd !== undefined || this.memory !== undefined) return this.body(chunk);
    // A head nearly always arrives whole in one read: it is parsed in the read buffer itself.
    const all = this.partialHead ? Buffer.concat([this.partialHead, chunk]) : chunk;
    const end = all.indexOf('\r\n\r\n');
    if (end < 0) {
      // Kept for the next read, so copied: the read buffer is reused (concat made a copy).
      this.partialHead = this.partialHead ? all : Buffer.from(all);
      if (all.length > MAX_HEAD_BYTES) this.fail(errorWithCode('response head too long', 'EPROTO'));
      return;
    }
    const head = parseHead(all.toString('latin1', 0, end));
    if (!head) return this.fail(errorWithCode('malformed HTTP response', 'EPROTO'));
    if (head.status !== 200 || !head.framed) {
      return this.settle(undefined, {
        kind: 'declined',
        status: head.status,
        ...(head.location !== undefined ? { location: head.location } : {}),
      });
    }
    this.keepAlive = head.keepAlive;
    this.remaining = head.contentLength!;
    const limit = this.target.memoryLimit ?? 0;
    if (this.remaining < limit) this.memory = Buffer.allocUnsafe(this.remaining);
    else {
      try {
        this.fd = openSync(this.target.path, 'w');
      } catch (err) {
        return this.fail(err as Error);
      }
    }
    const rest = all.subarray(end + 4);
    if (rest.length > 0 || this.remaining === 0) this.body(rest);
  }

  private body(chunk: Buffer): void {
    if (chunk.length > this.remaining) {
      return this.fail(errorWithCode('server sent more than its Content-Length', 'EPROTO'));
    }
    try {
      if (this.memory) chunk.copy(this.memory, this.received);
      else {
        for (let off = 0; off < chunk.length;)
          off += writeSync(this.fd!, chunk, off, chunk.length - off);
        if (chunk.length > 0) reportChunk(this.target.opts ?? {}, chunk);
      }
    } catch (err) {
      return this.fail(err as Error);
    }
    this.received += chunk.length;
    this.remaining -= chunk.length;
    if (this.remaining > 0) return;
    this.closeFile();
    this.settle(
      undefined,
      this.memory ? { kind: 'memory', bytes: this.memory } : { kind: 'file', size: this.received },
    );
  }

  /** The connection failed or ended before the response was whole. */
  fail(err: Error): void {
    this.keepAlive = false;
    this.closeFile();
    this.settle(err);
  }

  private closeFile(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    closeSync(fd);
  }
}

/** A keep-alive connection and the exchange under way on it, if any. */
class Connection {
  readonly socket: Socket;
  exchange: Exchange | undefined;
  closed = false;
  /** The idle limit last set on the socket, for the timeout error. */
  waitMs = 0;
  private readonly ready: Promise<void>;

  constructor(host: string, port: number, onGone: (c: Connection) => void) {
    this.socket = connect({
      host,
      port,
      noDelay: true,
      onread: {
        buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES),
        callback: (n: number, buf: Buffer) => {
          const chunk = buf.subarray(0, n);
          if (this.exchange) this.exchange.take(chunk);
          else this.socket.destroy(); // bytes nobody asked for: this connection is unusable
          return true;
        },
      },
    });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    this.ready.catch(() => {}); // a connect error also reaches the exchange
    const gone = (err?: Error): void => {
      if (this.closed) return;
      this.closed = true;
      onGone(this);
      this.exchange?.fail(err ?? errorWithCode('connection closed by the server', 'ECONNRESET'));
    };
    this.socket.on('error', gone);
    this.socket.on('end', () => gone());
    this.socket.on('close', () => gone());
    this.socket.on('timeout', () =>
      this.socket.destroy(timedOut(this.waitMs, this.socket.connecting)),
    );
  }

  connected(): Promise<void> {
    return this.ready;
  }
}

/** Keep-alive connections per host:port, for {@link DirectGetPool.get}. */
export class DirectGetPool {
  private readonly idle = new Map<string, Connection[]>();
  private readonly busy = new Set<Connection>();
  /** Connections kept open per host between requests. */
  private readonly maxIdle: number;

  constructor(maxIdle: number) {
    this.maxIdle = maxIdle;
  }

  /** False for what this client leaves to node:http (see the module comment). */
  static handles(url: URL): boolean {
    return url.protocol === 'http:' && !USE_ENV_PROXY;
  }

  /**
   * Sends `GET url` with `headers` (host is added when absent) and receives a 200 into the
   * target. Rejects with the socket's error (ECONNREFUSED, ECONNRESET, ETIMEDOUT…) or a file
   * error; a partly written file is left for the caller to remove.
   */
  async get(
    url: URL,
    headers: Record<string, string>,
    target: DirectTarget,
  ): Promise<DirectResult> {
    if (!DirectGetPool.handles(url)) return DECLINED;
    const reused = this.take(url);
    try {
      return await this.exchange(reused ?? this.open(url), url, headers, target);
    } catch (err) {
      // A kept connection the server had already closed gets no answer: ask on a new one.
      if (reused && (err as { unanswered?: boolean }).unanswered) {
        return await this.exchange(this.open(url), url, headers, target);
      }
      throw err;
    }
  }

  close(): void {
    for (const conns of this.idle.values()) for (const c of conns) c.socket.destroy();
    for (const c of this.busy) c.socket.destroy();
    this.idle.clear();
    this.busy.clear();
  }

  private take(url: URL): Connection | undefined {
    const conns = this.idle.get(url.host);
    let c: Connection | undefined;
    while ((c = conns?.pop()) && c.closed);
    return c;
  }

  private open(url: URL): Connection {
    return new Connection(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port || 80), (c) => {
      this.busy.delete(c);
      const conns = this.idle.get(url.host);
      const i = conns?.indexOf(c) ?? -1;
      if (i >= 0) conns!.splice(i, 1);
    });
  }

  private async exchange(
    conn: Connection,
    url: URL,
    headers: Record<string, string>,
    target: DirectTarget,
  ): Promise<DirectResult> {
    this.busy.add(conn);
    conn.socket.ref();
    const idle = (ms: number): void => {
      conn.waitMs = ms;
      conn.socket.setTimeout(ms);
    };
    const answerMs = target.answerTimeoutMs ?? target.timeoutMs;
    idle(answerMs);
    if (answerMs !== target.timeoutMs) {
      // Once the server answers, the body may take as long as the request's own limit allows.
      const onAnswer = target.onAnswer;
      target = {
        ...target,
        onAnswer: () => {
          idle(target.timeoutMs);
          onAnswer?.();
        },
      };
    }
    let exchange!: Exchange;
    const result = new Promise<DirectResult>((resolve, reject) => {
      exchange = new Exchange(target, (err, r) => {
        conn.exchange = undefined;
        if (err) {
          conn.socket.destroy();
          reject(Object.assign(err, { unanswered: !exchange.answered }));
        } else if (r!.kind === 'declined' || !exchange.keepAlive) {
          conn.socket.destroy();
          resolve(r!);
        } else {
          this.release(conn, url);
          resolve(r!);
        }
      });
    });
    conn.exchange = exchange;
    try {
      await conn.connected();
    } catch {
      return result; // the exchange failed with the connect error
    }
    let head = `GET ${url.pathname}${url.search} HTTP/1.1\r\n`;
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'host')) {
      head += `host: ${url.host}\r\n`;
    }
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    conn.socket.write(`${head}\r\n`);
    return result;
  }

  private release(conn: Connection, url: URL): void {
    this.busy.delete(conn);
    if (conn.closed) return;
    const conns = this.idle.get(url.host) ?? [];
    if (conns.length >= this.maxIdle) {
      conn.socket.destroy();
      return;
    }
    conn.socket.setTimeout(0);
    conn.socket.unref(); // an idle connection must not keep the process alive
    conns.push(conn);
    this.idle.set(url.host, conns);
  }
}
