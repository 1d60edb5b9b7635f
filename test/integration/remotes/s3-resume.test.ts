/**
 * Resumable multipart uploads against Ceph RGW (a real S3): an upload stopped after some
 * parts is kept and recorded in the project, and the next push of the object sends only the
 * parts the server lacks, or holds wrong, then completes it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectKey } from '../../../src/remotes/driver.js';
import { S3Driver } from '../../../src/remotes/s3.js';
import { pushObjects } from '../../../src/remotes/transfer.js';
import { startRgw, type RgwServer } from '../../servers/rgw.js';
import { buildRemoteFixture } from '../../helpers/remote-fixture.js';
import { tcpProxy } from '../../helpers/tcp-proxy.js';
import { tempDir } from '../../helpers/tmp.js';
import { putCounting } from '../../helpers/remote-resume.js';

const BUCKET = 'cmf-resume';
const PART = 8 << 20;
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

/** A 50 MiB object (7 parts, the last short) in a file, a fresh prefix, a records folder. */
async function setUp() {
  const dir = await tempDir();
  const bytes = randomBytes(50 << 20);
  const file = join(dir, 'big');
  await writeFile(file, bytes);
  const md5 = createHash('md5').update(bytes).digest('hex');
  const prefix = randomBytes(4).toString('hex');
  const records = join(dir, 'records');
  const open = () =>
    S3Driver.open({
      url: `s3://${BUCKET}/${prefix}`,
      endpoint: rgw.endpoint,
      accessKeyId: rgw.accessKeyId,
      secretAccessKey: rgw.secretAccessKey,
      uploadRecords: records,
    });
  return { bytes, file, md5, key: objectKey(md5), prefix, records, open };
}
type Setup = Awaited<ReturnType<typeof setUp>>;

/** Puts the object, failing the upload once `parts` parts went up: what a lost link does. */
async function putStopped(s: Setup, parts: number): Promise<void> {
  const d = await s.open();
  let sent = 0;
  const stop = new Error('stopped by the test');
  const err = await d
    .put(s.key, s.file, {
      onBytes: (n) => {
        sent += n;
        if (sent >= parts * PART) throw stop;
      },
    })
    .catch((e: unknown) => e)
    .finally(() => d.close());
  expect(err).toBe(stop);
}

async function uploads(s: Setup) {
  const r = await admin.send(
    new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: `${s.prefix}/` }),
  );
  return r.Uploads ?? [];
}

async function listedParts(s: Setup, uploadId: string) {
  const r = await admin.send(
    new ListPartsCommand({ Bucket: BUCKET, Key: `${s.prefix}/${s.key}`, UploadId: uploadId }),
  );
  return r.Parts ?? [];
}

/** Puts the object again with a new driver (as the next push would). */
const putAgain = (s: Setup) => putCounting(s.open, s.key, s.file);

/** The object is on the remote whole, no upload is left, and neither is its record. */
async function expectDone(s: Setup): Promise<void> {
  const got = await admin.send(
    new GetObjectCommand({ Bucket: BUCKET, Key: `${s.prefix}/${s.key}` }),
  );
  const body = Buffer.from(await got.Body!.transformToByteArray());
  expect(createHash('md5').update(body).digest('hex')).toBe(s.md5);
  expect(await uploads(s)).toEqual([]);
  expect(await readdir(s.records)).toEqual([]);
}

describe('s3 multipart uploads resume', () => {
  it('an upload stopped after some parts is kept and recorded; the next put sends only the missing parts', async () => {
    const s = await setUp();
    await putStopped(s, 2);
    const [upload, ...others] = await uploads(s);
    expect(others).toEqual([]);
    const [record] = await readdir(s.records);
    expect(JSON.parse(await readFile(join(s.records, record!), 'utf8'))).toMatchObject({
      uploadId: upload!.UploadId,
      partSize: PART,
      size: 50 << 20,
      md5: s.md5,
    });
    const held = await listedParts(s, upload!.UploadId!);
    expect(held.length).toBeGreaterThanOrEqual(2);
    const heldBytes = held.reduce((a, p) => a + p.Size!, 0);

    const again = await putAgain(s);
    expect(again.resumed).toBe(heldBytes);
    expect(again.bytes).toBe(50 << 20);
    await expectDone(s);
  }, 120_000);

  it('a recorded upload the server no longer knows (aborted) is started afresh', async () => {
    const s = await setUp();
    await putStopped(s, 1);
    const [upload] = await uploads(s);
    await admin.send(
      new AbortMultipartUploadCommand({
        Bucket: BUCKET,
        Key: `${s.prefix}/${s.key}`,
        UploadId: upload!.UploadId,
      }),
    );
    expect((await putAgain(s)).resumed).toBe(0);
    await expectDone(s);
  }, 120_000);

  it('a held part whose ETag is not the MD5 of the local bytes is sent again', async () => {
    const s = await setUp();
    await putStopped(s, 2);
    const [upload] = await uploads(s);
    const held = await listedParts(s, upload!.UploadId!);
    // Part 1 replaced, on the server, by other bytes of the same size.
    await admin.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: `${s.prefix}/${s.key}`,
        UploadId: upload!.UploadId,
        PartNumber: 1,
        Body: randomBytes(PART),
      }),
    );
    const heldBytes = held.reduce((a, p) => a + p.Size!, 0);
    expect((await putAgain(s)).resumed).toBe(heldBytes - PART);
    await expectDone(s);
  }, 120_000);

  it('a recorded upload of another part size is aborted and started afresh', async () => {
    const s = await setUp();
    await putStopped(s, 1);
    const [upload] = await uploads(s);
    const [name] = await readdir(s.records);
    const path = join(s.records, name!);
    const record = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    await writeFile(path, JSON.stringify({ ...record, partSize: 16 << 20 }));
    expect((await putAgain(s)).resumed).toBe(0);
    await expectDone(s);
    expect((await uploads(s)).map((u) => u.UploadId)).not.toContain(upload!.UploadId);
  }, 120_000);

  it('a push whose server goes away for a second mid-upload resumes the held parts when it tries again', async () => {
    const dir = await tempDir();
    const fx = await buildRemoteFixture(dir, { many: 10, bigBytes: 48 << 20 });
    const total = [...fx.objects.values()].reduce((a, b) => a + b, 0);
    const proxy = await tcpProxy(rgw.port);
    const prefix = randomBytes(4).toString('hex');
    const records = join(dir, 'records');
    const d = await S3Driver.open({
      url: `s3://${BUCKET}/${prefix}`,
      endpoint: `http://127.0.0.1:${proxy.port}`,
      accessKeyId: rgw.accessKeyId,
      secretAccessKey: rgw.secretAccessKey,
      uploadRecords: records,
    });
    let blipped = false;
    try {
      const r = await pushObjects(fx.cache, d, fx.roots, {
        // Progress counts parts once stored: with the small files' few KiB, 16 MiB means
        // two parts of the big file are on the server.
        onProgress: (p) => {
          if (blipped || p.bytesDone < 16 << 20) return;
          blipped = true;
          proxy.down();
          setTimeout(() => void proxy.up(), 1_000);
        },
      });
      expect(r.failed).toEqual([]);
      // What went up in this push, and, apart, what it kept: the whole of it once.
      expect(r.bytes + r.resumed).toBe(total);
      expect(r.resumed).toBeGreaterThanOrEqual(16 << 20);
      expect(r.resumed % (8 << 20)).toBe(0);
    } finally {
      await d.close();
    }
    expect(blipped).toBe(true);
    const left = await admin.send(
      new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: `${prefix}/` }),
    );
    expect(left.Uploads ?? []).toEqual([]);
    expect(await readdir(records)).toEqual([]);
  }, 120_000);
});
