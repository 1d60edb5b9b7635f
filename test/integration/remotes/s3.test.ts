import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  HeadObjectCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  PutBucketPolicyCommand,
  UploadPartCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/nested-clients/sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CmfError,
  ConfigError,
  IntegrityError,
  NotFoundError,
  OperationError,
} from '../../../src/errors/index.js';
import { objectKey } from '../../../src/remotes/driver.js';
import { openRemote, type RemoteConfig } from '../../../src/remotes/factory.js';
import { parseS3Url, S3Driver } from '../../../src/remotes/s3.js';
import { LocalCache } from '../../../src/hashing/cache.js';
import {
  partialResult,
  pullObjects,
  pushObjects,
  type TransferProgress,
} from '../../../src/remotes/transfer.js';
import { freePort } from '../../servers/common.js';
import { startRgw, type RgwServer } from '../../servers/rgw.js';
import { remoteContract } from '../../helpers/remote-contract.js';
import { resumeTests } from '../../helpers/remote-resume.js';
import { killAndResumeTest } from '../../helpers/remote-kill.js';
import { buildRemoteFixture } from '../../helpers/remote-fixture.js';
import { tcpProxy } from '../../helpers/tcp-proxy.js';
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
  // A role the test user may assume, for temporary credentials with a session token (RGW
  // validates them: its STS signs the token with \`rgw sts key\`).
  await rgw.admin([
    'role',
    'create',
    '--role-name=cmf-role',
    '--assume-role-policy-doc',
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: ['arn:aws:iam:::user/cmftest'] },
          Action: ['sts:AssumeRole'],
        },
      ],
    }),
  ]);
  await rgw.admin([
    'role-policy',
    'put',
    '--role-name=cmf-role',
    '--policy-name=all-s3',
    '--policy-doc',
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['s3:*'], Resource: 'arn:aws:s3:::*' }],
    }),
  ]);
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

let lastUrl = '';
remoteContract(
  's3',
  () => {
    const r = remote();
    lastUrl = r.url;
    return openRemote(r);
  },
  {
    bigBytes: 50 << 20,
    // Our driver sends Content-MD5, so RGW refuses the bad bytes: plant them with the admin.
    plant: async (key, bytes) => {
      const { bucket, prefix } = parseS3Url(lastUrl);
      await admin.send(new PutObjectCommand({ Bucket: bucket, Key: prefix + key, Body: bytes }));
    },
  },
);

resumeTests('s3', async () => {
  const d = await openRemote(remote());
  return { up: d, down: async () => d };
});

describe('s3 over https (a self-signed gateway, as many MinIO set-ups are)', () => {
  const overTls = (ssl_verify?: string) =>
    remote({ endpointurl: rgw.tlsEndpoint, ...(ssl_verify === undefined ? {} : { ssl_verify }) });

  it('refuses an unknown certificate with a hint, trusts ssl_verify = <CA bundle>, also for multipart', async () => {
    const strict = await openRemote(overTls());
    const err = await strict.exists('files/md5/00/0000').catch((e: unknown) => e);
    await strict.close();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as CmfError).code).toBe('REMOTE_TLS');
    expect((err as CmfError).hint).toContain('ssl_verify');

    // The CA bundle vouches for the gateway: small objects (our requests) and a big one
    // (multipart, through the AWS SDK) go up and come back.
    const dir = await tempDir();
    const fx = await buildRemoteFixture(dir, { many: 3, bigBytes: 40 << 20 });
    const cfg = overTls(rgw.certPath);
    const up = await openRemote(cfg);
    const pushed = await pushObjects(fx.cache, up, fx.roots);
    await up.close();
    expect(pushed.failed).toEqual([]);
    expect(pushed.transferred).toBe(fx.objects.size);
    const cache = new LocalCache(join(dir, 'pulled-cache'));
    const down = await openRemote(cfg);
    const pulled = await pullObjects(cache, down, fx.roots);
    await down.close();
    expect(pulled.failed).toEqual([]);
    expect(pulled.transferred).toBe(fx.objects.size);
  });

  it('ssl_verify = false skips the check; a missing CA bundle is a configuration error', async () => {
    // A big file too: its parts go through the AWS SDK, which must not verify either.
    const dir = await tempDir();
    const fx = await buildRemoteFixture(dir, { many: 1, bigBytes: 40 << 20 });
    const lax = await openRemote(overTls('false'));
    expect(await lax.exists('files/md5/00/0000')).toBe(false);
    const pushed = await pushObjects(fx.cache, lax, fx.roots);
    await lax.close();
    expect(pushed.failed).toEqual([]);
    expect(pushed.transferred).toBe(fx.objects.size);
    const missing = join(await tempDir(), 'no-such-ca.pem');
    const bad = await openRemote(overTls(missing)).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ConfigError);
    expect((bad as CmfError).exitCode).toBe(4);
  });
});

describe('s3 remote', () => {
  it('uploads big files in parts and keeps keys under the url prefix', async () => {
    const dir = await tempDir();
    const fx = await buildRemoteFixture(dir, { many: 2, bigBytes: 40 << 20 });
    const prefix = randomBytes(4).toString('hex');
    const d = await openRemote(remote({}, `s3://${BUCKET}/${prefix}`));
    try {
      expect((await pushObjects(fx.cache, d, fx.roots)).failed).toEqual([]);
      const head = await admin.send(
        new HeadObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${objectKey(fx.bigOid!)}` }),
      );
      expect(head.ETag).toMatch(/-\d+"$/); // a multipart ETag
      expect(head.ContentLength).toBe(40 << 20);
    } finally {
      await d.close();
    }
  });

  it('aborts multipart uploads of the same object that a killed push left (older than staleUploadMs), and no others', async () => {
    const dir = await tempDir();
    const bytes = randomBytes(33 << 20);
    const file = join(dir, 'big');
    await writeFile(file, bytes);
    const key = objectKey(createHash('md5').update(bytes).digest('hex'));
    const prefix = `${randomBytes(4).toString('hex')}/`;
    const start = async (k: string) => {
      const { UploadId } = await admin.send(
        new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: k }),
      );
      await admin.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: k,
          UploadId,
          PartNumber: 1,
          Body: bytes.subarray(0, 5 << 20),
        }),
      );
      return UploadId!;
    };
    const uploads = async () =>
      (
        (await admin.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: prefix })))
          .Uploads ?? []
      ).map((u) => u.UploadId);
    const killed = await start(prefix + key);
    const otherKey = await start(`${prefix}${key.slice(0, -1)}0`);
    // `killed` is 7 s old or more when the push looks; `live` must stay younger than the
    // 4 s limit until then (uploading its part and the push's start on a loaded machine).
    await new Promise((r) => setTimeout(r, 7_000));
    const live = await start(prefix + key);

    const d = await S3Driver.open({
      url: `s3://${BUCKET}/${prefix.slice(0, -1)}`,
      endpoint: rgw.endpoint,
      accessKeyId: rgw.accessKeyId,
      secretAccessKey: rgw.secretAccessKey,
      staleUploadMs: 4_000,
    });
    try {
      await d.put(key, file);
      expect(await d.exists(key)).toBe(true);
    } finally {
      await d.close();
    }
    const left = await uploads();
    expect(left).not.toContain(killed);
    expect(left.sort()).toEqual([otherKey, live].sort());
  });

  it('sends Content-MD5: bytes that do not match the object name are refused, not stored', async () => {
    const d = await openRemote(remote());
    try {
      const good = Buffer.from('the real content\n');
      const oid = createHash('md5').update(good).digest('hex');
      const bad = Buffer.from('a corrupted cache copy\n');
      const err = await d
        .put(objectKey(oid), { stream: Readable.from([bad]), size: bad.length })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IntegrityError);
      expect((err as CmfError).code).toBe('CACHE_OBJECT_CORRUPT');
      expect(await d.exists(objectKey(oid))).toBe(false);
      await d.put(objectKey(oid), { stream: Readable.from([good]), size: good.length });
      expect(await d.exists(objectKey(oid))).toBe(true);
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

describe('s3 permissions', () => {
  it('valid keys without permission on the bucket are a permission error naming the bucket and the operation, not a credential error', async () => {
    await rgw.addUser('cmfother', 'CMFOTHERKEY', 'CMFOTHERSECRET');
    const other = { access_key_id: 'CMFOTHERKEY', secret_access_key: 'CMFOTHERSECRET' };
    const dir = await tempDir();
    const fx = await buildRemoteFixture(dir, { many: 3 });
    const file = fx.roots.find((o) => !o.endsWith('.dir'))!;
    const url = `s3://${BUCKET}/${randomBytes(4).toString('hex')}/dvc`;
    const owner = await openRemote(remote({}, url));
    expect((await pushObjects(fx.cache, owner, fx.roots)).failed).toEqual([]);
    await owner.close();

    // The bucket of another account: a HEAD (no body, so no error code of its own) as well
    // as a pull stop with the permission error.
    const d = await openRemote(remote(other, url));
    const head = (await d.exists(objectKey(file)).catch((e: unknown) => e)) as CmfError;
    const pull = (await pullObjects(new LocalCache(join(dir, 'pulled')), d, fx.roots).catch(
      (e: unknown) => e,
    )) as CmfError;
    await d.close();
    for (const err of [head, pull]) {
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.code).toBe('REMOTE_ACCESS_DENIED');
      expect(err.message).toContain(`bucket '${BUCKET}'`);
      expect(err.message).toMatch(/denied reading files\/md5\//);
      expect(err.hint).toMatch(new RegExp(`lacks s3:GetObject.* on the bucket '${BUCKET}'`));
      expect(err.hint).not.toMatch(/^Check/);
    }

    // Read-only through a bucket policy: pulls work, a push stops at its first upload.
    const shared = 'cmf-shared';
    await admin.send(new CreateBucketCommand({ Bucket: shared }));
    await admin.send(
      new PutBucketPolicyCommand({
        Bucket: shared,
        Policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: ['arn:aws:iam:::user/cmfother'] },
              Action: ['s3:GetObject', 's3:ListBucket'],
              Resource: [`arn:aws:s3:::${shared}`, `arn:aws:s3:::${shared}/*`],
            },
          ],
        }),
      }),
    );
    const ro = await openRemote(remote(other, `s3://${shared}/dvc`));
    expect(await ro.exists(objectKey(file))).toBe(false);
    const push = (await pushObjects(fx.cache, ro, fx.roots).catch((e: unknown) => e)) as CmfError;
    await ro.close();
    expect(push.code).toBe('REMOTE_ACCESS_DENIED');
    expect(push.message).toMatch(new RegExp(`denied writing files/md5/.*bucket '${shared}'`));
    expect(push.hint).toContain('lacks s3:PutObject');
  });
});

/** Temporary credentials (key, secret, session token) from RGW's STS AssumeRole. */
async function temporaryCredentials(): Promise<{ id: string; secret: string; token: string }> {
  const sts = new STSClient({
    endpoint: rgw.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
  });
  try {
    const { Credentials: c } = await sts.send(
      new AssumeRoleCommand({
        RoleArn: 'arn:aws:iam:::role/cmf-role',
        RoleSessionName: 'cmf-test',
      }),
    );
    return { id: c!.AccessKeyId!, secret: c!.SecretAccessKey!, token: c!.SessionToken! };
  } finally {
    sts.destroy();
  }
}

/** Runs `fn` with these environment variables set, then restores the environment. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    process.env = saved;
  }
}

/** Pushes a few objects through a driver opened on `cfg` and checks one landed. */
async function pushesWith(cfg: RemoteConfig): Promise<void> {
  const dir = await tempDir();
  const fx = await buildRemoteFixture(dir, { many: 3 });
  const d = await openRemote(cfg);
  try {
    const r = await pushObjects(fx.cache, d, fx.roots);
    expect(r.failed).toEqual([]);
    expect(r.transferred).toBe(fx.objects.size);
    expect(await d.exists(objectKey(fx.roots.find((o) => !o.endsWith('.dir'))!))).toBe(true);
  } finally {
    await d.close();
  }
}

/** The ConfigError with `code` that a first request through a driver on `cfg` fails with. */
async function credentialError(cfg: RemoteConfig, code = 'REMOTE_AUTH'): Promise<CmfError> {
  const d = await openRemote(cfg);
  const err = await d.exists('files/md5/00/0000').catch((e: unknown) => e);
  await d.close();
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as CmfError).code).toBe(code);
  return err as CmfError;
}
const authError = (cfg: RemoteConfig) => credentialError(cfg);
const noCredentialsError = (cfg: RemoteConfig) => credentialError(cfg, 'REMOTE_NO_CREDENTIALS');

const noKeys = { access_key_id: '', secret_access_key: '' };

describe('s3 temporary credentials and profiles', () => {
  it('signs with a configured session token, which RGW validates; a missing or altered token is refused', async () => {
    const t = await temporaryCredentials();
    const keys = { access_key_id: t.id, secret_access_key: t.secret };
    await pushesWith(remote({ ...keys, session_token: t.token }));
    await authError(remote(keys));
    const altered = `${t.token.slice(0, -8)}AAAAAAAA`;
    const err = await authError(remote({ ...keys, session_token: altered }));
    expect(err.hint).toContain('session_token');
    // Listing and uploading with it stop at once too, instead of failing object by object.
    const dir = await tempDir();
    const fx = await buildRemoteFixture(dir, { many: 3 });
    const d = await openRemote(remote({ ...keys, session_token: altered }));
    const push = await pushObjects(fx.cache, d, fx.roots).catch((e: unknown) => e);
    await d.close();
    expect((push as CmfError).code).toBe('REMOTE_AUTH');
  });

  it('takes a session token from AWS_SESSION_TOKEN with the environment keys', async () => {
    const t = await temporaryCredentials();
    await withEnv(
      { AWS_ACCESS_KEY_ID: t.id, AWS_SECRET_ACCESS_KEY: t.secret, AWS_SESSION_TOKEN: t.token },
      () => pushesWith(remote(noKeys)),
    );
    const err = await withEnv(
      { AWS_ACCESS_KEY_ID: t.id, AWS_SECRET_ACCESS_KEY: t.secret, AWS_SESSION_TOKEN: '' },
      () => authError(remote(noKeys)),
    );
    expect(err.hint).toContain('AWS_ACCESS_KEY_ID');
  });

  it('reads a named profile (profile option or AWS_PROFILE) from the shared credentials file, session token included', async () => {
    const dir = await tempDir();
    const t = await temporaryCredentials();
    const credentials = join(dir, 'credentials');
    const config = join(dir, 'config');
    await writeFile(
      credentials,
      [
        '[default]',
        'aws_access_key_id = NOTTHEKEY',
        'aws_secret_access_key = nottheseecret',
        '[cmf-static]',
        `aws_access_key_id = ${rgw.accessKeyId}`,
        `aws_secret_access_key = ${rgw.secretAccessKey}`,
        '[cmf-temporary]',
        `aws_access_key_id = ${t.id}`,
        `aws_secret_access_key = ${t.secret}`,
        `aws_session_token = ${t.token}`,
        '[cmf-wrong]',
        `aws_access_key_id = ${rgw.accessKeyId}`,
        'aws_secret_access_key = wrong',
        '',
      ].join('\n'),
    );
    await writeFile(config, '[profile cmf-static]\nregion = us-east-1\n');
    const files = {
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_CONFIG_FILE: config,
      // A profile wins over keys in the environment, as in the AWS CLI.
      AWS_ACCESS_KEY_ID: 'NOTTHEKEY',
      AWS_SECRET_ACCESS_KEY: 'notthesecret',
    };
    await withEnv(files, async () => {
      await pushesWith(remote({ ...noKeys, profile: 'cmf-static' }));
      await pushesWith(remote({ ...noKeys, profile: 'cmf-temporary' }));
      const err = await authError(remote({ ...noKeys, profile: 'cmf-wrong' }));
      expect(err.hint).toContain("profile 'cmf-wrong'");
      // A profile that does not exist: nothing was refused, no credentials were found.
      const none = await noCredentialsError(remote({ ...noKeys, profile: 'cmf-nosuch' }));
      expect(none.message).toContain('cmf-nosuch');
      expect(none.hint).toContain("profile 'cmf-nosuch'");
    });
    // No credentials anywhere in the chain.
    const empty = join(dir, 'empty');
    await writeFile(empty, '');
    await withEnv(
      {
        AWS_SHARED_CREDENTIALS_FILE: empty,
        AWS_CONFIG_FILE: empty,
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_PROFILE: '',
        // No instance metadata service here: do not wait for one.
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      async () => {
        const none = await noCredentialsError(remote(noKeys));
        expect(none.message).toMatch(/^No credentials for s3:\/\//);
        expect(none.hint).toContain('AWS_ACCESS_KEY_ID');
      },
    );
    await withEnv(
      { ...files, AWS_PROFILE: 'cmf-temporary', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
      () => pushesWith(remote(noKeys)),
    );
  });
});

describe('a server that goes away for a second mid-transfer', () => {
  /**
   * Pushes (then pulls) a cache with a multipart-sized file through a relay that is taken
   * down once 16 MiB have moved (the big file is under way: it goes first) and brought back
   * a second later, as a restarting server or a network blip would.
   */
  it('push and pull ride it out (requests refused after the server answered are tried again), and no multipart upload is left', async () => {
    const dir = await tempDir();
    const fx = await buildRemoteFixture(dir, { many: 30, bigBytes: 64 << 20 });
    const proxy = await tcpProxy(rgw.port);
    const prefix = randomBytes(4).toString('hex');
    const total = [...fx.objects.values()].reduce((a, b) => a + b, 0);
    // Progress never shows more than the totals, though attempts fail and are made again.
    const beyond: TransferProgress[] = [];
    const blip = () => {
      let done = false;
      return (p: TransferProgress) => {
        if (p.filesDone > p.filesTotal || p.bytesDone > (p.bytesTotal ?? total)) beyond.push(p);
        if (done || p.bytesDone < 16 << 20) return;
        done = true;
        proxy.down();
        setTimeout(() => void proxy.up(), 1_000);
      };
    };
    const open = () =>
      openRemote(
        remote({ endpointurl: `http://127.0.0.1:${proxy.port}` }, `s3://${BUCKET}/${prefix}`),
      );
    const pusher = await open();
    try {
      const r = await pushObjects(fx.cache, pusher, fx.roots, { onProgress: blip() });
      expect(r.failed).toEqual([]);
      expect(r.transferred).toBe(fx.objects.size);
      // Only completed uploads count, each once: not the parts of the failed attempt.
      expect(r.bytes).toBe(total);
    } finally {
      await pusher.close();
    }
    const left = await admin.send(
      new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: `${prefix}/` }),
    );
    expect(left.Uploads ?? []).toEqual([]);

    const puller = await open();
    try {
      const cache = new LocalCache(join(dir, 'pulled'));
      const r = await pullObjects(cache, puller, fx.roots, { onProgress: blip() });
      expect(r.failed).toEqual([]);
      expect(r.transferred).toBe(fx.objects.size);
      // The retry of the big file resumes what the cut attempt kept (8 MiB or more): those
      // bytes are not fetched twice.
      expect(r.bytes + r.resumed).toBe(total);
    } finally {
      await puller.close();
    }
    expect(beyond).toEqual([]);
  }, 120_000);
});

describe('a server that goes away for good mid-transfer', () => {
  it('stops the pull with one REMOTE_UNREACHABLE error that says the server answered before, and carries the counts so far', async () => {
    const dir = await tempDir();
    const fx = await buildRemoteFixture(dir, { many: 30, bigBytes: 40 << 20 });
    const prefix = randomBytes(4).toString('hex');
    const url = `s3://${BUCKET}/${prefix}`;
    const direct = await openRemote(remote({}, url));
    expect((await pushObjects(fx.cache, direct, fx.roots)).failed).toEqual([]);
    await direct.close();

    const proxy = await tcpProxy(rgw.port);
    const d = await openRemote(remote({ endpointurl: `http://127.0.0.1:${proxy.port}` }, url));
    const cache = new LocalCache(join(dir, 'pulled'));
    let gone = false;
    const err = await pullObjects(cache, d, fx.roots, {
      // Once the manifests and some files are in: the big file is on its way.
      onProgress: (p) => {
        if (!gone && p.bytesDone >= 8 << 20) {
          gone = true;
          proxy.down();
        }
      },
    })
      .catch((e: unknown) => e)
      .finally(() => d.close());
    expect(err).toMatchObject({
      code: 'REMOTE_UNREACHABLE',
      data: { errno: 'ECONNREFUSED', answeredBefore: true },
    });
    const partial = partialResult(err);
    expect(partial?.transferred).toBeGreaterThan(0);
    // The bytes of what arrived, the big file's partial download not among them.
    expect(partial?.bytes).toBeLessThan(40 << 20);
  }, 120_000);
});

describe('interruptions', () => {
  killAndResumeTest('s3', () => remote());
});
