import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, type CmfError } from '../../../src/errors/index.js';
import { openRemote } from '../../../src/remotes/factory.js';

// AWS answers a bucket addressed in the wrong region with 301 and the bucket's region in
// `x-amz-bucket-region` (a HEAD gets no body). Ceph RGW has no regions to get wrong, so a
// small server on 127.0.0.1 gives that answer here.
let server: Server;
let endpoint: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(301, { 'x-amz-bucket-region': 'eu-west-1', 'content-type': 'application/xml' });
    res.end(
      req.method === 'HEAD'
        ? undefined
        : '<Error><Code>PermanentRedirect</Code><Message>Use the right endpoint</Message></Error>',
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('S3 wrong region', () => {
  it('names the region the bucket is in, for HEADs and GETs alike', async () => {
    const d = await openRemote({
      name: 'aws',
      url: 's3://bucket/dvc',
      options: {
        endpointurl: endpoint,
        region: 'us-east-1',
        access_key_id: 'AKID',
        secret_access_key: 'secret',
      },
    });
    try {
      for (const call of [
        () => d.exists('files/md5/00/11'),
        () => d.read!('files/md5/00/11', 10),
      ]) {
        const err = await call().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as CmfError).code).toBe('REMOTE_WRONG_REGION');
        expect((err as CmfError).message).toContain('eu-west-1');
        expect((err as CmfError).hint).toContain('region = eu-west-1');
      }
    } finally {
      await d.close();
    }
  });
});
