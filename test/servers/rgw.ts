import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePackages, freePort, killOnExit, run, selfSignedCert, stopPid } from './common.js';

/**
 * Ceph RADOS Gateway on 127.0.0.1: one monitor, one memstore OSD (data in RAM, capped), the
 * gateway, and a test user (test-servers.md §2). The only real S3 (SigV4, multipart) that
 * installs here. Starts in about 18 s, so test files start it once.
 */
export interface RgwServer {
  endpoint: string;
  port: number;
  /** The same gateway over TLS (`https://127.0.0.1:<port>`), with a self-signed certificate. */
  tlsEndpoint: string;
  /** That certificate, as a CA bundle for clients. */
  certPath: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Runs radosgw-admin against this gateway; resolves with its stdout. */
  admin(args: string[]): Promise<string>;
  /** Creates a second user (another account) with these keys; it owns no bucket. */
  addUser(uid: string, accessKeyId: string, secretAccessKey: string): Promise<void>;
  stop(): Promise<void>;
}

export const RGW_PACKAGES = ['ceph-mon', 'ceph-osd', 'radosgw', 'ceph-common'];
const POOLS = [
  '.rgw.root',
  'default.rgw.log',
  'default.rgw.control',
  'default.rgw.meta',
  'default.rgw.buckets.index',
  'default.rgw.buckets.data',
  'default.rgw.buckets.non-ec',
];

function conf(
  d: string,
  fsid: string,
  ports: { mon: number; rgw: number; rgwTls: number },
  memBytes: number,
): string {
  const { mon: monPort, rgw: rgwPort, rgwTls } = ports;
  return `[global]
fsid = ${fsid}
mon host = [v2:127.0.0.1:${monPort}]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.0/8
cluster network = 127.0.0.0/8
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = false
ms mon client mode = crc secure
ms client mode = crc secure
ms mon service mode = crc secure
ms service mode = crc secure
ms mon cluster mode = crc secure
ms cluster mode = crc secure
run dir = ${d}/run
log file = ${d}/log/$name.log
admin socket = ${d}/run/$name.asok
pid file = ${d}/run/$name.pid
keyring = ${d}/keyring
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon data avail warn = 2
osd crush chooseleaf type = 0
[mon]
mon data = ${d}/mon.$id
mon cluster log file = ${d}/log/cluster.log
[osd]
osd data = ${d}/osd.$id
osd objectstore = memstore
memstore device bytes = ${memBytes}
osd max object name len = 460
osd max object namespace len = 64
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort} ssl_endpoint=127.0.0.1:${rgwTls} ssl_certificate=${d}/cert.pem ssl_private_key=${d}/key.pem tcp_nodelay=1
rgw data = ${d}/rgw
rgw dns name = 127.0.0.1
rgw thread pool size = 64
# STS (AssumeRole) for tests of temporary credentials with a session token.
rgw sts key = cmfteststskey123
rgw s3 auth use sts = true
`;
}

async function pidOf(d: string, name: string): Promise<number | undefined> {
  try {
    return Number((await readFile(join(d, 'run', `${name}.pid`), 'utf8')).trim()) || undefined;
  } catch {
    return undefined;
  }
}

export async function startRgw(opts: { memBytes?: number } = {}): Promise<RgwServer> {
  ensurePackages(RGW_PACKAGES);
  const d = await mkdtemp(join(tmpdir(), 'cmf-rgw-'));
  // The daemons fork themselves; their pids are read back from the run dir.
  const pids = new Map<string, number | undefined>();
  const forget = ['client.rgw.a', 'osd.0', 'mon.a'].map((n) => killOnExit(() => pids.get(n)));
  const remember = async (): Promise<void> => {
    for (const n of ['client.rgw.a', 'osd.0', 'mon.a']) pids.set(n, await pidOf(d, n));
  };
  const stop = async (): Promise<void> => {
    await remember();
    for (const n of ['client.rgw.a', 'osd.0', 'mon.a']) await stopPid(pids.get(n), 15_000);
    forget.forEach((f) => f());
    await rm(d, { recursive: true, force: true });
  };
  try {
    for (const sub of ['mon.a', 'osd.0', 'run', 'log']) await mkdir(join(d, sub));
    const monPort = await freePort();
    const port = await freePort();
    const tlsPort = await freePort();
    const { certPath } = await selfSignedCert(d);
    const fsid = randomUUID();
    const ports = { mon: monPort, rgw: port, rgwTls: tlsPort };
    await writeFile(join(d, 'ceph.conf'), conf(d, fsid, ports, opts.memBytes ?? 512 << 20));
    const c = ['-c', join(d, 'ceph.conf')];
    const ct = [...c, '--connect-timeout', '30'];
    await run('ceph-authtool', [
      '--create-keyring',
      join(d, 'keyring'),
      '--gen-key',
      '-n',
      'mon.',
      '--cap',
      'mon',
      'allow *',
    ]);
    await run('monmaptool', [
      '--create',
      '--addv',
      'a',
      `[v2:127.0.0.1:${monPort}]`,
      '--fsid',
      fsid,
      join(d, 'monmap'),
    ]);
    await run('ceph-mon', [
      ...c,
      '--mkfs',
      '-i',
      'a',
      '--monmap',
      join(d, 'monmap'),
      '--keyring',
      join(d, 'keyring'),
    ]);
    await run('ceph-mon', [...c, '-i', 'a']);
    const osdUuid = randomUUID();
    const { stdout: id } = await run('ceph', [...ct, 'osd', 'new', osdUuid]);
    await run('ceph-osd', [...c, '-i', id.trim(), '--mkfs', '--osd-uuid', osdUuid]);
    await run('ceph-osd', [...c, '-i', id.trim()]);
    for (let i = 0; ; i++) {
      const { stdout } = await run('ceph', [...ct, 'osd', 'stat']).catch(() => ({ stdout: '' }));
      if (/1 up/.test(stdout)) break;
      if (i > 120) throw new Error('Ceph OSD did not come up');
      await new Promise((r) => setTimeout(r, 500));
    }
    // Pre-creating the pools saves the first bucket, PUT and multipart ~2 s each.
    await Promise.all(
      POOLS.map(async (p) => {
        await run('ceph', [...ct, 'osd', 'pool', 'create', p, '8', '8']);
        await run('ceph', [...ct, 'osd', 'pool', 'application', 'enable', p, 'rgw']);
      }),
    );
    await run('radosgw', [...c, '-n', 'client.rgw.a']);
    const accessKeyId = 'CMFTESTACCESSKEY';
    const secretAccessKey = 'CMFTESTSECRETKEY';
    await run('radosgw-admin', [
      ...c,
      'user',
      'create',
      '--uid=cmftest',
      '--display-name=cmftest',
      `--access-key=${accessKeyId}`,
      `--secret=${secretAccessKey}`,
    ]);
    const endpoint = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      const ok = await fetch(`${endpoint}/`).then(
        (r) => r.status < 500,
        () => false,
      );
      if (ok) break;
      if (i > 120) throw new Error('radosgw did not answer');
      await new Promise((r) => setTimeout(r, 250));
    }
    await remember();
    const admin = async (args: string[]): Promise<string> =>
      (await run('radosgw-admin', [...c, ...args])).stdout;
    const addUser = async (uid: string, key: string, secret: string): Promise<void> => {
      await admin([
        'user',
        'create',
        `--uid=${uid}`,
        `--display-name=${uid}`,
        `--access-key=${key}`,
        `--secret=${secret}`,
      ]);
    };
    return {
      endpoint,
      port,
      tlsEndpoint: `https://127.0.0.1:${tlsPort}`,
      certPath,
      accessKeyId,
      secretAccessKey,
      admin,
      addUser,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
