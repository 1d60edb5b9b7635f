import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CmfError } from '../../../src/errors/index.js';
import { HttpTransport, readText, type HttpTarget } from '../../../src/remotes/http.js';
import { tempDir } from '../../helpers/tmp.js';

// A raw TCP server: `/hole` takes the request and never answers (a black hole); `/trickle`
// answers at once and then sends its body a byte at a time, 400 ms apart: longer than the
// first-answer limit below, shorter than the idle limit.
const FIRST_MS = 300;
const IDLE_MS = 1_000;
let server: Server;
let base: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('data', (d) => {
      if (!d.toString('latin1').startsWith('GET /trickle')) return;
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n');
      let sent = 0;
      const t = setInterval(() => {
        if (socket.destroyed) return clearInterval(t);
        socket.write('abcd'[sent]!);
        if (++sent === 4) clearInterval(t);
      }, 400);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  for (const s of sockets) s.destroy();
  server.close();
});

function transport(): { http: HttpTransport; target: HttpTarget } {
  const http = new HttpTransport({ maxSockets: 4, firstAnswerTimeoutMs: FIRST_MS });
  const url = new URL(base);
  return {
    http,
    target: { hostPort: url.host, location: 's3://b', endpoint: `S3 endpoint ${base}` },
  };
}

const get = (http: HttpTransport, target: HttpTarget, path: string) =>
  http.send(target, { method: 'GET', url: new URL(path, base), timeoutMs: IDLE_MS });

async function failure(p: Promise<unknown>): Promise<{ err: CmfError; ms: number }> {
  const t0 = Date.now();
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CmfError);
  return { err: err as CmfError, ms: Date.now() - t0 };
}

describe('HTTP timeouts', () => {
  it('an endpoint that never answered is given the first-answer limit, then one fatal error naming it', async () => {
    const { http, target } = transport();
    try {
      const { err, ms } = await failure(get(http, target, '/hole'));
      expect(err.code).toBe('REMOTE_NOT_ANSWERING');
      expect(err.message).toBe(
        `The S3 endpoint ${base} accepted the connection but did not answer within 0.3 s`,
      );
      expect(ms).toBeLessThan(IDLE_MS);
      const dir = await tempDir();
      const direct = await failure(
        http.getDirect(
          target,
          new URL('/hole', base),
          {},
          {
            path: join(dir, 'x'),
            timeoutMs: IDLE_MS,
          },
        ),
      );
      expect(direct.err.code).toBe('REMOTE_NOT_ANSWERING');
      expect(direct.ms).toBeLessThan(IDLE_MS);
    } finally {
      http.close();
    }
  });

  it('a body may take longer than both limits while bytes keep coming; a silence after an answer is transient', async () => {
    const { http, target } = transport();
    try {
      const res = await get(http, target, '/trickle');
      expect(await readText(res)).toBe('abcd');
      // The endpoint has answered: a silence is now an ordinary, retried failure after the
      // request's own idle limit, not a verdict on the endpoint.
      const { err, ms } = await failure(get(http, target, '/hole'));
      expect(err.code).toBe('REMOTE_FAILED');
      expect(ms).toBeGreaterThanOrEqual(IDLE_MS - 50);
    } finally {
      http.close();
    }
    const fresh = transport();
    try {
      const dir = await tempDir();
      const r = await fresh.http.getDirect(
        fresh.target,
        new URL('/trickle', base),
        {},
        {
          path: join(dir, 'x'),
          timeoutMs: IDLE_MS,
        },
      );
      expect(r).toEqual({ kind: 'file', size: 4 });
      expect(readFileSync(join(dir, 'x'), 'utf8')).toBe('abcd');
    } finally {
      fresh.http.close();
    }
  });

  it('uploads that time out while reads are answered (a full server): the third in a row is one fatal error', async () => {
    const { http, target } = transport();
    const put = () =>
      http.send(target, {
        method: 'PUT',
        url: new URL('/hole', base),
        body: Buffer.from('x'),
        timeoutMs: IDLE_MS,
      });
    try {
      for (let i = 1; i <= 3; i++) {
        // Reads keep being answered: the endpoint is not silent, only its writes hang.
        await readText(await get(http, target, '/trickle'));
        const { err } = await failure(put());
        expect(err.code, `upload ${i}`).toBe(i < 3 ? 'REMOTE_FAILED' : 'REMOTE_NOT_ANSWERING');
        if (i === 3) {
          expect(err.message).toBe(
            `The S3 endpoint ${base} answers other requests but left 3 uploads in a row ` +
              'unanswered for 1 s each: it does not accept writes now',
          );
          expect(err.hint).toContain('free space');
        }
      }
    } finally {
      http.close();
    }
  });

  it('an endpoint that answered and then went silent: the second timeout in a row with no answer meanwhile is one fatal error', async () => {
    const { http, target } = transport();
    try {
      await readText(await get(http, target, '/trickle'));
      const first = await failure(get(http, target, '/hole'));
      expect(first.err.code).toBe('REMOTE_FAILED');
      // An answer in between: the endpoint works, the next silence is transient again.
      await readText(await get(http, target, '/trickle'));
      expect((await failure(get(http, target, '/hole'))).err.code).toBe('REMOTE_FAILED');
      const second = await failure(get(http, target, '/hole'));
      expect(second.err.code).toBe('REMOTE_NOT_ANSWERING');
      expect(second.err.message).toBe(
        `The S3 endpoint ${base} stopped answering: requests timed out after 1 s without data, ` +
          'and it answered nothing meanwhile',
      );
      expect(second.err.hint).toContain('raise read_timeout');
      // Parallel requests that all time out with no answer: fatal at the first round.
      const fresh = transport();
      try {
        await readText(await get(fresh.http, fresh.target, '/trickle'));
        const dir = await tempDir();
        const all = await Promise.all([
          failure(get(fresh.http, fresh.target, '/hole')),
          failure(
            fresh.http.getDirect(
              fresh.target,
              new URL('/hole', base),
              {},
              {
                path: join(dir, 'x'),
                timeoutMs: IDLE_MS,
              },
            ),
          ),
        ]);
        expect(all.map((f) => f.err.code).sort()).toEqual([
          'REMOTE_FAILED',
          'REMOTE_NOT_ANSWERING',
        ]);
      } finally {
        fresh.http.close();
      }
    } finally {
      http.close();
    }
  });
});
