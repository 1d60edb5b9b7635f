import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DirectGetPool } from '../../../src/remotes/http-direct.js';
import { tempDir } from '../../helpers/tmp.js';

// A raw TCP server, so that each test decides exactly which bytes go out and when: heads
// split across packets, bodies cut short, keep-alive connections closed while idle.
const big = randomBytes(3_000_000);
const requests: string[] = [];
let connections = 0;
const dropNext = new Set<Socket>();
let server: Server;
let base: string;

type Reply = (socket: Socket) => void;
const ok =
  (body: Buffer, extra = ''): Reply =>
  (s) => {
    s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n`);
    s.write(body);
  };
const replies: Record<string, Reply> = {
  '/big': ok(big),
  '/small': ok(Buffer.from('hello')),
  '/empty': ok(Buffer.alloc(0)),
  '/missing': (s) => s.write('HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot there'),
  '/chunked': (s) =>
    s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'),
  // The head in pieces, the first body bytes in the same packet as its end.
  '/fragmented': (s) => {
    const bytes = Buffer.concat([
      Buffer.from('HTTP/1.1 200 OK\r\nConten'),
      Buffer.from('t-Length: 11\r\nX-A: b\r'),
      Buffer.from('\n\r\nhello'),
      Buffer.from(' world'),
    ]);
    let off = 0;
    for (const n of [24, 21, 8, 6]) {
      const piece = bytes.subarray(off, (off += n));
      setTimeout(() => s.write(piece), off);
    }
  },
  '/cut': (s) => {
    s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n`);
    s.write(big.subarray(0, 100_000), () => s.destroy());
  },
  // Answers, then drops the connection on its next request unanswered, as a server whose
  // keep-alive timeout ran out just as the client reused the connection.
  '/stale': (s) => {
    ok(Buffer.from('bye'))(s);
    dropNext.add(s);
  },
  '/silent': () => {},
};

beforeAll(async () => {
  server = createServer((socket) => {
    connections++;
    let pending = '';
    socket.on('data', (d) => {
      pending += d.toString('latin1');
      if (dropNext.has(socket)) return void socket.destroy();
      let end: number;
      while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
        const head = pending.slice(0, end);
        pending = pending.slice(end + 4);
        requests.push(head);
        const path = head.split(' ')[1]!.split('?')[0]!;
        (replies[path] ?? replies['/missing']!)(socket);
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

let pool: DirectGetPool;
afterEach(() => pool?.close());

const url = (path: string) => new URL(`${base}${path}`);
const into = async (extra: object = {}) => ({
  path: join(await tempDir(), 'out'),
  timeoutMs: 5000,
  ...extra,
});

describe('DirectGetPool', () => {
  it('receives a 200 into the file, reporting every chunk in order, on one kept connection', async () => {
    pool = new DirectGetPool(4);
    const before = connections;
    const target = await into();
    const chunks: Buffer[] = [];
    let bytes = 0;
    const opts = {
      onChunk: (c: Buffer) => chunks.push(Buffer.from(c)),
      onBytes: (n: number) => (bytes += n),
    };
    const r = await pool.get(url('/big?x=1'), { authorization: 'Bearer t' }, { ...target, opts });
    expect(r).toEqual({ kind: 'file', size: big.length });
    expect(readFileSync(target.path).equals(big)).toBe(true);
    expect(Buffer.concat(chunks).equals(big)).toBe(true);
    expect(bytes).toBe(big.length);
    const sent = requests.at(-1)!;
    expect(sent.split('\r\n')[0]).toBe('GET /big?x=1 HTTP/1.1');
    expect(sent).toContain(`host: ${new URL(base).host}`);
    expect(sent).toContain('authorization: Bearer t');

    const again = await into();
    await pool.get(url('/big'), {}, again);
    expect(readFileSync(again.path).equals(big)).toBe(true);
    expect(connections - before).toBe(1);
  });

  it('returns bodies shorter than memoryLimit in memory without making the file', async () => {
    pool = new DirectGetPool(4);
    const target = await into({ memoryLimit: 1 << 20 });
    const r = await pool.get(url('/small'), {}, target);
    expect(r.kind === 'memory' && r.bytes.toString()).toBe('hello');
    expect(existsSync(target.path)).toBe(false);
    const empty = await pool.get(url('/empty'), {}, target);
    expect(empty.kind === 'memory' && empty.bytes.length).toBe(0);
    expect(await pool.get(url('/big'), {}, target)).toEqual({ kind: 'file', size: big.length });
    expect(readFileSync(target.path).equals(big)).toBe(true);
  });

  it('reads a head split across packets, with body bytes in the packet that ends it', async () => {
    pool = new DirectGetPool(4);
    const target = await into();
    expect(await pool.get(url('/fragmented'), {}, target)).toEqual({ kind: 'file', size: 11 });
    expect(readFileSync(target.path, 'utf8')).toBe('hello world');
    const empty = await into();
    expect(await pool.get(url('/empty'), {}, empty)).toEqual({ kind: 'file', size: 0 });
    expect(readFileSync(empty.path).length).toBe(0);
  });

  it('declines error statuses, chunked bodies and HTTPS without touching the file', async () => {
    pool = new DirectGetPool(4);
    const target = await into();
    // The status comes back with the declining (a redirect's Location too: OSDF directors).
    expect(await pool.get(url('/missing'), {}, target)).toEqual({ kind: 'declined', status: 404 });
    expect(await pool.get(url('/chunked'), {}, target)).toEqual({ kind: 'declined', status: 200 });
    expect(await pool.get(new URL('https://127.0.0.1:1/x'), {}, target)).toEqual({
      kind: 'declined',
    });
    expect(existsSync(target.path)).toBe(false);
    // Declining drops the connection (its body was never read); the next request is fine.
    expect(await pool.get(url('/small'), {}, target)).toEqual({ kind: 'file', size: 5 });
  });

  it('fails when the body is cut short, and the next request gets a new connection', async () => {
    pool = new DirectGetPool(4);
    const err = await pool.get(url('/cut'), {}, await into()).catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    const target = await into();
    expect(await pool.get(url('/big'), {}, target)).toEqual({ kind: 'file', size: big.length });
  });

  it('asks again on a new connection when a kept one is dropped without an answer', async () => {
    pool = new DirectGetPool(4);
    const before = connections;
    await pool.get(url('/stale'), {}, await into());
    const target = await into();
    expect(await pool.get(url('/small'), {}, target)).toEqual({ kind: 'file', size: 5 });
    expect(readFileSync(target.path, 'utf8')).toBe('hello');
    expect(connections - before).toBe(2);
  });

  it('reports a refused connection and a server that never answers with their codes', async () => {
    pool = new DirectGetPool(4);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const refused = await pool
      .get(new URL(`http://127.0.0.1:${port}/x`), {}, await into())
      .catch((e: unknown) => e);
    expect((refused as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
    const silent = await pool
      .get(url('/silent'), {}, await into({ timeoutMs: 200 }))
      .catch((e: unknown) => e);
    expect((silent as NodeJS.ErrnoException).code).toBe('ETIMEDOUT');
  });
});
