/**
 * Resumable SFTP uploads against OpenSSH's sftp-server: an upload cut off by a lost
 * connection keeps its temp file, recorded in the project with the bytes the server
 * acknowledged, and the next push of the object writes only the rest, after checking the
 * temp file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectKey } from '../../../src/remotes/driver.js';
import { openRemote } from '../../../src/remotes/factory.js';
import { UploadRecords } from '../../../src/remotes/upload-records.js';
import { startSshd, type SshdServer } from '../../servers/sshd.js';
import { tcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';
import { tempDir } from '../../helpers/tmp.js';
import { putCounting } from '../../helpers/remote-resume.js';

const SIZE = 48 << 20;
let sshd: SshdServer;
let knownHosts: string;

beforeAll(async () => {
  sshd = await startSshd();
  knownHosts = join(sshd.dataDir, '..', 'known_hosts');
  await writeFile(knownHosts, sshd.knownHostsLine);
});
afterAll(async () => {
  await sshd?.stop();
});

/** A 48 MiB object in a file, a fresh remote root behind a relay, a records folder. */
async function setUp() {
  const dir = await tempDir();
  const bytes = randomBytes(SIZE);
  const file = join(dir, 'big');
  await writeFile(file, bytes);
  const md5 = createHash('md5').update(bytes).digest('hex');
  const root = randomBytes(6).toString('hex');
  const records = join(dir, 'records');
  const proxy = await tcpProxy(sshd.port);
  const open = () =>
    openRemote(
      {
        name: 'ssh',
        url: `ssh://127.0.0.1${sshd.dataDir}/${root}`,
        options: {
          user: sshd.user,
          port: String(proxy.port),
          password: sshd.password,
          known_hosts: knownHosts,
          accept_new_host_key: 'true',
        },
      },
      { uploadRecords: records },
    );
  const key = objectKey(md5);
  const objectDir = join(sshd.dataDir, root, key, '..');
  return { bytes, file, md5, key, records, proxy, open, objectDir };
}
type Setup = Awaited<ReturnType<typeof setUp>>;

/** Puts the object; the relay goes down for good once `bytes` went up (a lost link). */
async function putCut(s: Setup, bytes: number, proxy: TcpProxy): Promise<void> {
  const d = await s.open();
  let sent = 0;
  const err = await d
    .put(s.key, s.file, {
      onBytes: (n) => {
        sent += n;
        if (sent >= bytes) proxy.down();
      },
    })
    .catch((e: unknown) => e)
    .finally(() => d.close());
  expect(err).toMatchObject({ code: 'REMOTE_CONNECTION_LOST' });
  await proxy.up();
}

/** The one record, and the temp file it names (its size on the server). */
async function recorded(s: Setup) {
  const names = (await readdir(s.records)).filter((n) => n.endsWith('.json'));
  expect(names).toHaveLength(1);
  const record = JSON.parse(await readFile(join(s.records, names[0]!), 'utf8')) as {
    tmp: string;
    confirmed: number;
  };
  const tmpPath = join(s.objectDir, record.tmp);
  const { size } = await stat(tmpPath);
  return { ...record, tmpPath, tmpSize: size };
}

/** Puts the object again with a new driver (as the next push would). */
const putAgain = (s: Setup) => putCounting(s.open, s.key, s.file);

/** The object is stored whole; no temp file, record or claim is left. */
async function expectDone(s: Setup): Promise<void> {
  const stored = await readFile(join(s.objectDir, s.key.split('/').at(-1)!));
  expect(createHash('md5').update(stored).digest('hex')).toBe(s.md5);
  expect((await readdir(s.objectDir)).filter((n) => n.startsWith('.'))).toEqual([]);
  expect(await readdir(s.records)).toEqual([]);
}

describe('sftp uploads resume', () => {
  it('an upload cut off keeps its temp file and record; the next put writes only the rest', async () => {
    const s = await setUp();
    await putCut(s, 20 << 20, s.proxy);
    const r = await recorded(s);
    expect(r.confirmed).toBeGreaterThan(0);
    expect(r.tmpSize).toBeGreaterThanOrEqual(r.confirmed);
    const again = await putAgain(s);
    expect(again.resumed).toBe(r.confirmed);
    expect(again.bytes).toBe(SIZE);
    await expectDone(s);
  }, 120_000);

  it('a temp file whose acknowledged bytes end unlike the local file is not resumed', async () => {
    const s = await setUp();
    await putCut(s, 20 << 20, s.proxy);
    const r = await recorded(s);
    const fh = await open(r.tmpPath, 'r+');
    await fh.write(randomBytes(16), 0, 16, r.confirmed - 100);
    await fh.close();
    expect((await putAgain(s)).resumed).toBe(0);
    await expectDone(s);
  }, 120_000);

  it('a recorded temp file that is gone, or shorter than the acknowledged bytes, is not resumed', async () => {
    const s = await setUp();
    await putCut(s, 20 << 20, s.proxy);
    const r = await recorded(s);
    const fh = await open(r.tmpPath, 'r+');
    await fh.truncate(r.confirmed - 1);
    await fh.close();
    expect((await putAgain(s)).resumed).toBe(0);
    await expectDone(s);
  }, 120_000);

  it('an upload of the object claimed by another push of the project goes on without resuming or recording', async () => {
    const s = await setUp();
    await putCut(s, 20 << 20, s.proxy);
    const r = await recorded(s);
    const records = new UploadRecords(s.records);
    const d = await s.open();
    const target = {
      kind: 'ssh',
      where: d.location,
      key: join(s.objectDir, s.key.split('/').at(-1)!),
    };
    const release = await records.claim(target);
    expect(release).toBeDefined();
    expect(await records.claim(target)).toBeUndefined();
    let resumed = 0;
    try {
      await d.put(s.key, s.file, { onResumed: (n) => (resumed += n) });
    } finally {
      await d.close();
    }
    expect(resumed).toBe(0);
    // The claimed upload's temp file and record are the other push's: left alone.
    expect((await recorded(s)).tmp).toBe(r.tmp);
    await release!();
    expect((await putAgain(s)).resumed).toBe(r.confirmed);
    await expectDone(s);
  }, 120_000);
});
