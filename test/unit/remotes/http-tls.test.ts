import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CmfError } from '../../../src/errors/index.js';
import { HttpTransport, type HttpTarget } from '../../../src/remotes/http.js';

// A plain-HTTP server addressed with https://: the TLS hello gets an HTTP answer, which OpenSSL
// reports as "wrong version number". Users write https:// out of habit; the error must say so.
let server: Server;
let hostPort: string;

beforeAll(async () => {
  server = createServer((_req, res) => res.end('plain'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  hostPort = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

describe('https to a plain-HTTP server', () => {
  it('is one fatal REMOTE_TLS error that suggests http://', async () => {
    const http = new HttpTransport({ maxSockets: 2 });
    const base = `https://${hostPort}`;
    const target: HttpTarget = { hostPort, location: 's3://b', endpoint: `S3 endpoint ${base}` };
    const err = await http
      .send(target, { method: 'GET', url: new URL('/x', base), timeoutMs: 5_000 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    http.close();
    expect(err).toBeInstanceOf(CmfError);
    const e = err as CmfError;
    expect(e.code).toBe('REMOTE_TLS');
    expect(e.message).toBe(
      `${hostPort} did not answer in TLS (wrong version number): is it a plain http:// server?`,
    );
    expect(e.hint).toContain('http://');
    expect(e.hint).not.toMatch(/retry/i);
  });
});
