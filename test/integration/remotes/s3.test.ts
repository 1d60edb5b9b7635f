import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CmfError, ConfigError, NotFoundError, OperationError } from '../../../src/errors/index.js';
import { objectKey } from '../../../src/remotes/driver.js';
import { openRemote, type RemoteConfig } from '../../../src/remotes/factory.js';
import { pushObjects } from '../../../src/remotes/transfer.js';
import { freePort } from '../../servers/common.js';
import { startRgw, type RgwServer } from '../../servers/rgw.js';
import { remoteContract } from '../../helpers/remote-contract.js';
import { killAndResumeTest } from '../../helpers/remote-kill.js';
import { buildRemoteFixture } from '../../helpers/remote-fixture.js';
import { tempDir } from '../../helpers/tmp.js';

const BUCKET = 'cmf-test';
let rgw: RgwServer;
let admin: S3Client;

beforeAll(async () => {
  rgw = await startRgw();
  admin = new S3Client({
    endpoint: rgw.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
}, 180_000);
afterAll(async () => {
  admin?.destroy();
  await rgw?.stop();
}, 60_000);

/** As cmf init minioS3 writes it: url, endpointurl, access_key_id, secret_access_key. */
function remote(options: Record<string, string> = {}, url?: string): RemoteConfig {
  return {
    name: 'minio',
    url: url ?? `s3://${BUCKET}/${randomBytes(6).toString('hex')}/dvc`,
    options: {
      endpointurl: rgw.endpoint,
      access_key_id: rgw.accessKeyId,
      secret_access_key: rgw.secretAccessKey,
      ...options,
    },
  };
}

remoteContract('s3', () => openRemote(remote()), { bigBytes: 50 << 20 });

describe('s3 remote', () => {
  it('uploads big files in parts and keeps keys under the url prefix', async () => {
    const dir = await tempDir();
    const fx = await buildRemoteFixture(dir, { many: 2, bigBytes: 20 << 20 });
    const prefix = randomBytes(4).toString('hex');
    const d = await openRemote(remote({}, `s3://${BUCKET}/${prefix}`));
    try {
      expect((await pushObjects(fx.cache, d, fx.roots)).failed).toEqual([]);
      const head = await admin.send(
        new HeadObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${objectKey(fx.bigOid!)}` }),
      );
      expect(head.ETag).toMatch(/-\d+"$/); // a multipart ETag
      expect(head.ContentLength).toBe(20 << 20);
    } finally {
      await d.close();
    }
  });

  it('uses the standard AWS credential chain when no key is configured', async () => {
    const saved = { ...process.env };
    process.env.AWS_ACCESS_KEY_ID = rgw.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = rgw.secretAccessKey;
    try {
      const d = await openRemote(remote({ access_key_id: '', secret_access_key: '' }));
      expect(await d.exists('files/md5/00/0000')).toBe(false);
      await d.close();
    } finally {
      process.env = saved;
    }
  });

  it('rejects a wrong secret with an error naming the credential', async () => {
    const d = await openRemote(remote({ secret_access_key: 'wrong' }));
    const err = await d.exists('files/md5/00/0000').catch((e: unknown) => e);
    await d.close();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as CmfError).code).toBe('REMOTE_AUTH');
    expect((err as CmfError).hint).toContain('secret_access_key');
  });

  it('reports a server that is down with host:port, and a missing bucket', async () => {
    const port = await freePort();
    const down = await openRemote(remote({ endpointurl: `http://127.0.0.1:${port}` }));
    const err = await down.exists('files/md5/00/0000').catch((e: unknown) => e);
    await down.close();
    expect(err).toBeInstanceOf(OperationError);
    expect((err as CmfError).code).toBe('REMOTE_UNREACHABLE');
    expect((err as CmfError).message).toContain(`127.0.0.1:${port}`);

    const nobucket = await openRemote(remote({}, 's3://no-such-bucket/x'));
    const e2 = await nobucket.exists('files/md5/00/0000').catch((e: unknown) => e);
    await nobucket.close();
    expect(e2).toBeInstanceOf(NotFoundError);
    expect((e2 as CmfError).code).toBe('REMOTE_BUCKET_MISSING');
  });
});

describe('interruptions', () => {
  killAndResumeTest('s3', () => remote());
});
