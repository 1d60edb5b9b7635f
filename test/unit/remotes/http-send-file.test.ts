import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTransport } from '../../../src/remotes/http.js';
import { tempDir } from '../../helpers/tmp.js';

// Not a multiple of the 256 KB chunk, and several chunks long.
const content = randomBytes(1_000_003);
let server: Server;
let base: string;
let received: Buffer | undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/cut') {
      req.once('data', () => req.socket.destroy()); // drops the upload after its first bytes
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received = Buffer.concat(chunks);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const target = { hostPort: '127.0.0.1', location: 'test' };

async function put(path: string, file: string, size: number, onBytes?: (n: number) => void) {
  const http = new HttpTransport({ maxSockets: 2 });
  try {
    const res = await http.send(target, {
      method: 'PUT',
      url: new URL(`${base}${path}`),
      headers: { 'content-length': String(size) },
      body: { path: file, size, onBytes },
    });
    res.resume();
    return res.statusCode;
  } finally {
    http.close();
  }
}

describe('HttpTransport.send with a file body', () => {
  it('sends the whole file through its two reused buffers, reporting every byte', async () => {
    const file = join(await tempDir(), 'f');
    writeFileSync(file, content);
    let bytes = 0;
    expect(await put('/ok', file, content.length, (n) => (bytes += n))).toBe(200);
    expect(received?.equals(content)).toBe(true);
    expect(bytes).toBe(content.length);
  });

  it('fails, instead of waiting for ever, when the server drops the upload', async () => {
    const file = join(await tempDir(), 'f');
    writeFileSync(file, content);
    const err = await put('/cut', file, content.length).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
  });

  it('fails when the file is shorter than the size it was sent with', async () => {
    const file = join(await tempDir(), 'f');
    writeFileSync(file, content.subarray(0, 300_000));
    const err = await put('/ok', file, content.length).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/shrank/);
  });
});
