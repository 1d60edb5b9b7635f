import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CmfError } from '../../../src/errors/index.js';
import { S3Driver } from '../../../src/remotes/s3.js';

// A raw TCP server that answers a bucket listing with its status line, headers and the start
// of the XML, then closes the connection: an answer cut off mid-body (a proxy or a server
// that died while sending it). Ceph cannot be made to do that on cue.
let server: Server;
let endpoint: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('data', () => {
      socket.write(
        'HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: 100000\r\n\r\n' +
          '<?xml version="1.0"?><ListBucketResult><Key>p/files/md5/00/aa</Key>',
      );
      setTimeout(() => socket.destroy(), 50);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  for (const s of sockets) s.destroy();
  server.close();
});

describe('S3 answers cut off mid-body', () => {
  it('a listing cut off is REMOTE_FAILED saying the connection closed (was UNEXPECTED "aborted")', async () => {
    const d = await S3Driver.open({
      url: 's3://b/p',
      endpoint,
      accessKeyId: 'a',
      secretAccessKey: 'b',
    });
    try {
      const err = await (async () => {
        for await (const _ of d.list('files/md5/')) void _;
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CmfError);
      expect(err).toMatchObject({ code: 'REMOTE_FAILED', exitCode: 1 });
      expect((err as CmfError).message).toMatch(
        /^list files\/md5\/ on s3:\/\/b\/p failed: the connection was closed before the whole answer came/,
      );
    } finally {
      await d.close();
    }
  });
});
