import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiveBody } from '../../../src/remotes/http.js';
import { tempDir } from '../../helpers/tmp.js';

const body = randomBytes(3_000_000);
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-length': String(body.length) });
    if (req.url === '/whole') res.end(body);
    else res.write(body.subarray(0, 1_000_000), () => res.socket?.destroy()); // cut mid-body
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const fetchHead = (path: string) =>
  new Promise<IncomingMessage>((resolve, reject) =>
    get(`${base}${path}`, resolve).on('error', reject),
  );

describe('receiveBody into a file', () => {
  it('writes the whole body, reporting every chunk and byte in order', async () => {
    const file = join(await tempDir(), 'out');
    const chunks: Buffer[] = [];
    let bytes = 0;
    await receiveBody(await fetchHead('/whole'), file, {
      onChunk: (c) => chunks.push(Buffer.from(c)),
      onBytes: (n) => (bytes += n),
    });
    expect(readFileSync(file).equals(body)).toBe(true);
    expect(Buffer.concat(chunks).equals(body)).toBe(true);
    expect(bytes).toBe(body.length);
  });

  it('fails when the connection is cut before the body is complete', async () => {
    const file = join(await tempDir(), 'out');
    const err = await receiveBody(await fetchHead('/cut'), file, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
  });
});
