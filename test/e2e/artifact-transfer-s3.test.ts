/**
 * cmf artifact push / pull through the built binary against Ceph RADOS Gateway (a real SigV4
 * S3) on 127.0.0.1, configured with `cmf init minioS3`. One gateway for the whole file: it
 * takes ~17 s to start.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as connectTcp, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRgw, type RgwServer } from '../servers/rgw.js';
import { freePort } from '../servers/common.js';
import {
  bigFileProject,
  cloneProject,
  listFiles,
  loggedProject,
  manyFilesProject,
} from '../helpers/artifact-project.js';
import { editedClone, expectFailure, expectRoundTrip } from '../helpers/artifact-roundtrip.js';
import { isolatedEnv, repoRoot, runCmf, runCmfUntil, type CmfRun } from '../helpers/cli.js';
import {
  addLegacyArtifacts,
  expectLegacyPull,
  expectLegacyPush,
  type RemoteView,
} from '../helpers/legacy-project.js';

const BUCKET = 'cmf-e2e';
let rgw: RgwServer;
let admin: S3Client;
let root: string;
let env: Record<string, string>;
let project: string;

/** The DVC keys under `prefix` in the bucket, sorted. */
async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2(
    { client: admin },
    { Bucket: BUCKET, Prefix: `${prefix}/` },
  )) {
    for (const o of page.Contents ?? []) keys.push(o.Key!.slice(prefix.length + 1));
  }
  return keys.sort();
}

/** The objects under `prefix` of the bucket, seen directly (a remote DVC 2 fills). */
function s3View(prefix: string): RemoteView {
  return {
    url: `s3://${BUCKET}/${prefix}`,
    keys: () => keysUnder(prefix),
    read: async (key) => {
      const res = await admin.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${key}` }),
      );
      return Buffer.from(await res.Body!.transformToByteArray());
    },
    write: async (key, bytes) => {
      await admin.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${key}`, Body: bytes }),
      );
    },
  };
}

/** `cmf init minioS3` arguments for the test gateway and an object URL. */
const s3Init = (url: string) => [
  'minioS3',
  '--url',
  url,
  '--endpoint-url',
  rgw.endpoint,
  '--access-key-id',
  rgw.accessKeyId,
  '--secret-key',
  rgw.secretAccessKey,
];

beforeAll(async () => {
  rgw = await startRgw();
  admin = new S3Client({
    endpoint: rgw.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
  });
  await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
  root = await mkdtemp(join(tmpdir(), 'cmf-e2e-s3-'));
  mkdirSync(join(root, 'home'));
  env = isolatedEnv(join(root, 'home'));
  project = join(root, 'project');
  await loggedProject(project, s3Init(`s3://${BUCKET}/team/dvc`), env);
}, 240_000);
afterAll(async () => {
  admin?.destroy();
  await rgw?.stop();
  if (root) await rm(root, { recursive: true, force: true });
}, 60_000);

/** The multipart uploads under `prefix/` in the bucket. */
async function uploadsUnder(prefix: string) {
  const r = await admin.send(
    new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: `${prefix}/` }),
  );
  return r.Uploads ?? [];
}

/** The bytes of the parts the server holds for the one multipart upload under `prefix/`. */
async function heldBytes(prefix: string): Promise<number> {
  const uploads = await uploadsUnder(prefix);
  if (uploads.length !== 1) return 0;
  const { Key, UploadId } = uploads[0]!;
  const r = await admin.send(new ListPartsCommand({ Bucket: BUCKET, Key, UploadId }));
  return (r.Parts ?? []).reduce((a, p) => a + p.Size!, 0);
}

/**
 * `resumed` bytes are whole 8 MiB parts, fewer than all, and at least those the server held
 * when the test looked (a part under way when the push stopped may have been stored since).
 */
function expectResumed(resumed: number, held: number): void {
  expect(resumed % (8 << 20)).toBe(0);
  expect(resumed).toBeGreaterThanOrEqual(held);
  expect(resumed).toBeLessThan(96 << 20);
}

/** Pushes a project with a 96 MiB file, stopped by `signal` once parts of it are stored. */
async function interruptedBigPush(prefix: string, signal: NodeJS.Signals) {
  const dir = join(root, `project-${prefix}`);
  await bigFileProject(dir, s3Init(`s3://${BUCKET}/${prefix}`), env, 96 << 20);
  const run = await runCmfUntil(
    ['artifact', 'push', '-p', 'P', '-j', '1'],
    { cwd: dir, env },
    async () => (await heldBytes(prefix)) > 0,
    signal,
  );
  expect(run.signalSent).toBe(true);
  expect(await uploadsUnder(prefix)).toHaveLength(1);
  expect(readdirSync(join(dir, '.dvc/tmp/cmf-uploads'))).toHaveLength(1);
  return { ...run, dir };
}

/** The big file is on the remote whole; no upload is left, and no record of one. */
async function expectBigPushDone(prefix: string, dir: string): Promise<void> {
  expect(await uploadsUnder(prefix)).toEqual([]);
  expect(readdirSync(join(dir, '.dvc/tmp/cmf-uploads'))).toEqual([]);
  expect(await keysUnder(prefix)).toHaveLength(3);
  const local = createHash('md5')
    .update(readFileSync(join(dir, 'data/big.bin')))
    .digest('hex');
  const key = `files/md5/${local.slice(0, 2)}/${local.slice(2)}`;
  const got = await admin.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${prefix}/${key}` }));
  const body = Buffer.from(await got.Body!.transformToByteArray());
  expect(createHash('md5').update(body).digest('hex')).toBe(local);
}

/** `cmf args` in `cwd`, with the open-file limit (`ulimit -n`) lowered to `files` first. */
function runCmfWithFileLimit(files: number, args: string[], cwd: string): Promise<CmfRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'bash',
      ['-c', `ulimit -n ${files} && exec "$0" "$@"`, join(repoRoot, 'bin/cmf'), ...args],
      { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('cmf artifact push / pull with an S3 remote (Ceph RGW, cmf init minioS3)', () => {
  it('push, no-op push, pull into an empty clone, -a pulls', async () => {
    await expectRoundTrip({ project, root, env, remoteObjects: () => keysUnder('team/dvc') });
  });

  it('SIGINT during a multipart upload keeps it for the next push, which sends only the missing parts', async () => {
    const run = await interruptedBigPush('interrupt', 'SIGINT');
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toContain('kept on the remote: the next push resumes it');
    const held = await heldBytes('interrupt');
    expect(held).toBeGreaterThan(0);
    const again = await runCmf(['artifact', 'push', '-p', 'P', '--json'], {
      cwd: run.dir,
      env,
    });
    expect(again.code, again.stderr).toBe(0);
    const r = JSON.parse(again.stdout);
    expect(r.failed).toEqual([]);
    expectResumed(r.resumed, held);
    await expectBigPushDone('interrupt', run.dir);
  });

  it('a push killed (SIGKILL) during a multipart upload: the next push resumes it and says so', async () => {
    const run = await interruptedBigPush('killed', 'SIGKILL');
    expect(run.code, run.stderr).toBe(null);
    const held = await heldBytes('killed');
    expect(held).toBeGreaterThan(0);
    const again = await runCmf(['artifact', 'push', '-p', 'P'], { cwd: run.dir, env });
    expect(again.code, again.stderr).toBe(0);
    const said = /uploaded \([\d.]+ MB, ([\d.]+) MB resumed\)/.exec(again.stdout);
    expect(said, again.stdout).not.toBe(null);
    expectResumed(Number(said![1]) * (1 << 20), held);
    await expectBigPushDone('killed', run.dir);
  });

  it('a wrong secret is exit 4 naming the credential, for push and pull; nothing is written', async () => {
    const dir = editedClone(project, join(root, 'clone-badkey'), '.dvc/config.local', (t) =>
      t.replace(/^(\s*secret_access_key\s*=\s*).*$/m, '$1not-the-secret'),
    );
    const cmf = (args: string[]) => runCmf([...args, '--json'], { cwd: dir, env });
    const pull = await cmf(['artifact', 'pull', '-p', 'Test-env']);
    const err = expectFailure(pull, 4, 'REMOTE_AUTH');
    expect(err.message).toMatch(/refused the credentials/);
    expect(err.hint).toContain('secret_access_key');
    expect(pull.stdout).toBe('');

    expect(existsSync(join(dir, 'artifacts/data.xml.gz'))).toBe(false);
    const cache = join(dir, '.dvc/cache');
    expect(existsSync(cache) ? listFiles(cache) : []).toEqual([]);
    const push = await cmf(['artifact', 'push', '-p', 'Test-env']);
    expectFailure(push, 4, 'REMOTE_AUTH');
    // Without --json: the message and the hint on stderr, nothing on stdout.
    const plain = await runCmf(['artifact', 'pull', '-p', 'Test-env'], { cwd: dir, env });
    expect(plain.code).toBe(4);
    expect(plain.stdout).toBe('');
    expect(plain.stderr).toMatch(/^Error: The remote s3:\/\/cmf-e2e\/team\/dvc refused/m);
    expect(plain.stderr).toMatch(/^Hint: Check access_key_id and secret_access_key/m);
  });

  it('keys of another account (no permission on the bucket) are exit 4 naming the bucket, not the keys', async () => {
    await rgw.addUser('cmfother', 'CMFOTHERKEY', 'CMFOTHERSECRET');
    const dir = editedClone(project, join(root, 'clone-other'), '.dvc/config.local', (t) =>
      t
        .replace(/^(\s*access_key_id\s*=\s*).*$/m, '$1CMFOTHERKEY')
        .replace(/^(\s*secret_access_key\s*=\s*).*$/m, '$1CMFOTHERSECRET'),
    );
    const pull = await runCmf(['artifact', 'pull', '-p', 'Test-env'], { cwd: dir, env });
    expect(pull.code, pull.stderr).toBe(4);
    expect(pull.stderr).toMatch(
      /^Error: The remote s3:\/\/cmf-e2e\/team\/dvc denied reading files\/md5\/.*: the keys are valid but lack permission on the bucket 'cmf-e2e' \(AccessDenied\)$/m,
    );
    expect(pull.stderr).toMatch(
      /^Hint: The account of access_key_id and secret_access_key lacks s3:GetObject.* on the bucket 'cmf-e2e': grant it in the bucket's policy or ACL/m,
    );
    const push = await runCmf(['artifact', 'push', '-p', 'Test-env', '--json'], { cwd: dir, env });
    expectFailure(push, 4, 'REMOTE_ACCESS_DENIED');
  });

  it('an object deleted on the remote is exit 1 naming it; a server that is down is exit 1 naming host:port', async () => {
    // A single-file artifact's object: the next push puts it back (a directory's file would
    // not be, since its manifest on the remote vouches for it, as in DVC).
    const oid = /md5: ([0-9a-f]{32})/.exec(
      readFileSync(join(project, 'artifacts/data.xml.gz.dvc'), 'utf8'),
    )![1]!;
    const key = `team/dvc/files/md5/${oid.slice(0, 2)}/${oid.slice(2)}`;
    await admin.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    const dir = join(root, 'clone-missing');
    cloneProject(project, dir);
    const r = await runCmf(['artifact', 'pull', '-p', 'Test-env', '--json'], { cwd: dir, env });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr).error.data.result.failed).toContainEqual(
      expect.objectContaining({ oid, code: 'REMOTE_OBJECT_MISSING' }),
    );
    // Put it back for the other tests.
    const push = await runCmf(['artifact', 'push', '-p', 'Test-env', '--json'], {
      cwd: project,
      env,
    });
    expect(JSON.parse(push.stdout)).toMatchObject({ uploaded: 1 });

    const port = await freePort();
    const down = editedClone(project, join(root, 'clone-down'), '.dvc/config', (t) =>
      t.replace(rgw.endpoint, `http://127.0.0.1:${port}`),
    );
    const d = await runCmf(['artifact', 'pull', '-p', 'Test-env', '--json'], { cwd: down, env });
    const err = expectFailure(d, 1, 'REMOTE_UNREACHABLE');
    expect(err.message).toContain(`127.0.0.1:${port}`);
  });

  it('an endpoint that takes connections but never answers fails once and fast, naming it; connect_timeout sets how fast', async () => {
    // A black hole: accepts TCP connections and never sends a byte.
    const sockets = new Set<Socket>();
    const hole = createServer((s) => void sockets.add(s));
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hole.address() as AddressInfo).port}`;
    try {
      const dir = editedClone(project, join(root, 'clone-hole'), '.dvc/config', (t) =>
        t.replace(rgw.endpoint, url),
      );
      const timed = async (args: string[]) => {
        const t0 = Date.now();
        const r = await runCmf([...args, '--json'], { cwd: dir, env });
        return { r, seconds: (Date.now() - t0) / 1000 };
      };
      const pull = await timed(['artifact', 'pull', '-p', 'Test-env']);
      const err = expectFailure(pull.r, 1, 'REMOTE_NOT_ANSWERING');
      expect(err.message).toBe(
        `The S3 endpoint ${url} accepted the connection but did not answer within 10 s`,
      );
      expect(err.hint).toMatch(/URL and port .*proxy.*healthy/s);
      // One error, not one per object and attempt (it carries the counts, no failures).
      expect(JSON.parse(pull.r.stderr).error.data.result).toMatchObject({
        downloaded: 0,
        failed: [],
      });
      expect(pull.seconds).toBeLessThan(25);

      // DVC's connect_timeout (seconds) of the remote; push stops the same way.
      const config = join(dir, '.dvc/config');
      writeFileSync(
        config,
        readFileSync(config, 'utf8').replace(
          /^(\s*)(endpointurl = .*)$/m,
          '$1$2\n$1connect_timeout = 2',
        ),
      );
      const push = await timed(['artifact', 'push', '-p', 'Test-env']);
      expect(expectFailure(push.r, 1, 'REMOTE_NOT_ANSWERING').message).toContain('within 2 s');
      expect(push.seconds).toBeLessThan(9);
    } finally {
      for (const s of sockets) s.destroy();
      hole.close();
    }
  });

  it('an endpoint that answered and then goes silent stops the push with one error after two timeouts, not three per object', async () => {
    // A relay to the gateway that forwards until the first upload (the gateway has answered
    // the bucket check and the listing by then), then forwards nothing more, on any
    // connection, without closing them.
    const sockets = new Set<Socket>();
    let silent = false;
    const relay = createServer((client) => {
      const upstream = connectTcp(rgw.port, '127.0.0.1');
      for (const [from, to, down] of [
        [client, upstream, false],
        [upstream, client, true],
      ] as const) {
        sockets.add(from);
        from.on('error', () => undefined);
        from.on('close', () => to.destroy());
        from.on('data', (d: Buffer) => {
          if (!down && d.toString('latin1', 0, 4) === 'PUT ') silent = true;
          if (!silent) to.write(d);
        });
      }
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
    try {
      const dir = join(root, 'project-silent');
      await loggedProject(dir, s3Init(`s3://${BUCKET}/silent`), env);
      const config = join(dir, '.dvc/config');
      writeFileSync(
        config,
        readFileSync(config, 'utf8')
          .replace(rgw.endpoint, url)
          .replace(/^(\s*)(endpointurl = .*)$/m, '$1$2\n$1read_timeout = 1'),
      );
      const push = await runCmf(['artifact', 'push', '-p', 'Test-env', '--json'], {
        cwd: dir,
        env,
      });
      expect(silent).toBe(true);
      const err = expectFailure(push, 1, 'REMOTE_NOT_ANSWERING');
      expect(err.message).toBe(
        `The S3 endpoint ${url} stopped answering: requests timed out after 1 s without data, ` +
          'and it answered nothing meanwhile',
      );
      expect(err.hint).toContain('raise read_timeout');
      // One error for the run, not a list of objects that each waited out three attempts.
      expect(JSON.parse(push.stderr).error.data.result.failed).toEqual([]);
    } finally {
      for (const s of sockets) s.destroy();
      relay.close();
    }
  });
});

describe('legacy (DVC 2.x) objects on an S3 remote', () => {
  it('push puts them at <prefix>/<2>/<30> (no Content-MD5 for their names); pull restores them from a remote DVC 2 filled; a corrupt one is exit 5', async () => {
    const legacyProject = join(root, 'legacy-project');
    const url = `s3://${BUCKET}/legacy/dvc`;
    await loggedProject(legacyProject, s3Init(url), env);
    const legacy = await addLegacyArtifacts(legacyProject, url);
    await expectLegacyPush(legacyProject, legacy, s3View('legacy/dvc'), env);
    await expectLegacyPull({
      project: legacyProject,
      legacy,
      remote: s3View('legacy/dvc2'),
      env,
      root,
      pointAt: (clone) => {
        const cfg = join(clone, '.dvc/config');
        writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(url, `${url}2`));
      },
    });
  }, 120_000);
});

describe('-j near the open-file limit', () => {
  it('-j 256 under ulimit -n 256 pushes and pulls 3000 files: the parallel transfers are kept within the limit', async () => {
    const dir = join(root, 'project-many');
    await manyFilesProject(dir, s3Init(`s3://${BUCKET}/many`), env, 3000);
    const push = await runCmfWithFileLimit(256, ['artifact', 'push', '-p', 'P', '-j', '256'], dir);
    expect(push.stderr).toBe('');
    expect(push.code).toBe(0);
    expect((await keysUnder('many')).length).toBeGreaterThan(3000);

    const other = join(root, 'clone-many');
    cloneProject(dir, other);
    const pull = await runCmfWithFileLimit(
      256,
      ['artifact', 'pull', '-p', 'P', '-j', '256'],
      other,
    );
    expect(pull.stderr).toBe('');
    expect(pull.code).toBe(0);
    expect(listFiles(join(other, 'data/many'))).toHaveLength(3000);
  }, 240_000);
});
