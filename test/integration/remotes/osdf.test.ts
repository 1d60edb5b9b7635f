import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CmfError, ConfigError, OperationError } from '../../../src/errors/index.js';
import { LocalCache } from '../../../src/hashing/cache.js';
import {
  openRemote,
  type OsdfCmfSettings,
  type RemoteConfig,
} from '../../../src/remotes/factory.js';
import { mintOsdfToken, OSDF_SCOPES, OsdfTokenProvider } from '../../../src/remotes/osdf-token.js';
import { objectKey } from '../../../src/remotes/driver.js';
import { PARTIAL_DIR } from '../../../src/remotes/partials.js';
import { pullObjects, pushObjects } from '../../../src/remotes/transfer.js';
import { freePort } from '../../servers/common.js';
import { startDav, type DavServer } from '../../servers/dav.js';
import { remoteContract } from '../../helpers/remote-contract.js';
import { HELD, OBJECT_BYTES, pullWithPartials, resumeTests } from '../../helpers/remote-resume.js';
import { killAndResumeTest } from '../../helpers/remote-kill.js';
import { buildRemoteFixture } from '../../helpers/remote-fixture.js';
import { tcpProxy } from '../../helpers/tcp-proxy.js';
import { tempDir } from '../../helpers/tmp.js';

const ISSUER = 'https://issuer.cmf.test';
let origin: DavServer;
let cache: DavServer;
let emptyCache: DavServer;
/** Serves the origin's files, ignoring Range headers (200 with the whole file, never 206). */
let noRanges: DavServer;
let keyDir: string;
const keys: Record<string, KeyObject> = {};
const keyPaths: Record<string, string> = {};

beforeAll(async () => {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  keyDir = await mkdtemp(join(tmpdir(), 'cmf-osdf-keys-'));
  const pairs = {
    'es-key': generateKeyPairSync('ec', { namedCurve: 'prime256v1' }),
    'rsa-key': generateKeyPairSync('rsa', { modulusLength: 2048 }),
  };
  for (const [kid, pair] of Object.entries(pairs)) {
    keys[kid] = pair.publicKey;
    keyPaths[kid] = join(keyDir, `${kid}.pem`);
    await writeFile(keyPaths[kid], pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  }
  origin = await startDav({ issuer: ISSUER, keys });
  cache = await startDav({ issuer: ISSUER, keys, dataDir: origin.dataDir, readOnly: true });
  emptyCache = await startDav({ issuer: ISSUER, keys, readOnly: true });
  noRanges = await startDav({
    issuer: ISSUER,
    keys,
    dataDir: origin.dataDir,
    readOnly: true,
    ignoreRanges: true,
  });
});
afterAll(async () => {
  await origin?.stop();
  await cache?.stop();
  await emptyCache?.stop();
  await noRanges?.stop();
  const { rm } = await import('node:fs/promises');
  if (keyDir) await rm(keyDir, { recursive: true, force: true });
});

/** The remote as cmf init osdfremote writes it, plus the [osdf] settings of .cmfconfig. */
function remote(path = randomBytes(6).toString('hex')): RemoteConfig {
  return {
    name: 'osdf',
    url: `${origin.url}/ns/cmf/${path}`,
    options: { method: 'PUT', auth: 'custom', custom_auth_header: 'Authorization' },
  };
}
const minted = (kid = 'es-key'): OsdfCmfSettings => ({
  keyId: kid,
  keyPath: keyPaths[kid]!,
  keyIssuer: ISSUER,
});

remoteContract('osdf', () => openRemote(remote(), { osdf: minted() }), { bigBytes: 50 << 20 });

resumeTests('osdf', async () => {
  const d = await openRemote(remote(), { osdf: minted() });
  return { up: d, down: async () => d };
});

describe('osdf pulls resume partial downloads', () => {
  /** The remote at `path` (on the origin), pulled through `via` (cache, or origin if absent). */
  const opened = (path: string, via: { cache?: string; origin?: string }) => async () => ({
    up: await openRemote(remote(path), { osdf: minted() }),
    down: () =>
      openRemote(
        { ...remote(path), url: `${via.origin ?? origin.url}/ns/cmf/${path}` },
        { osdf: { ...minted(), ...(via.cache ? { cache: via.cache } : {}) } },
      ),
  });
  const gets = async (server: DavServer, path: string, from: number) =>
    (await server.accessLog()).slice(from).filter((l) => l.startsWith(`GET /ns/cmf/${path}/`));

  it('asks the cache for the rest only', async () => {
    const path = randomBytes(6).toString('hex');
    const before = (await cache.accessLog()).length;
    const originBefore = (await origin.accessLog()).length;
    const [r] = await pullWithPartials(opened(path, { cache: cache.url }), (c) => [
      c.subarray(0, HELD),
    ]);
    expect(r!.resumed).toBe(HELD);
    expect(r!.bytes).toBe(OBJECT_BYTES - HELD);
    expect((await gets(cache, path, before)).map((l) => l.split(' ')[2])).toEqual(['206']);
    expect(await gets(origin, path, originBefore)).toEqual([]);
  });

  it('keeps what a failed download got, and the next pull fetches only the rest', async () => {
    // The origin's files at 10 MB/s, through a relay taken down mid-download for good.
    const slow = await startDav({
      issuer: ISSUER,
      keys,
      dataDir: origin.dataDir,
      readOnly: true,
      limitRate: '10m',
    });
    try {
      const proxy = await tcpProxy(slow.port);
      const path = randomBytes(6).toString('hex');
      const content = randomBytes(OBJECT_BYTES);
      const oid = createHash('md5').update(content).digest('hex');
      const up = await openRemote(remote(path), { osdf: minted() });
      await up.put(objectKey(oid), { stream: Readable.from([content]), size: content.length });
      await up.close();
      const viaProxy = () =>
        openRemote(
          { ...remote(path), url: `http://127.0.0.1:${proxy.port}/ns/cmf/${path}` },
          { osdf: minted() },
        );
      const root = join(await tempDir(), 'cache');
      const partialDir = join(root, PARTIAL_DIR);
      const sizes = () =>
        existsSync(partialDir)
          ? readdirSync(partialDir).map((f) => statSync(join(partialDir, f)).size)
          : [];
      const cut = setInterval(() => {
        if (sizes().some((n) => n >= HELD)) proxy.down();
      }, 5);
      const first = await viaProxy();
      try {
        const failed = await pullObjects(new LocalCache(root), first, [oid]).then(
          (r) => r.failed.map((f) => f.error),
          (err: unknown) => [err],
        );
        expect(failed).toHaveLength(1);
      } finally {
        clearInterval(cut);
        await first.close();
      }
      const kept = readdirSync(partialDir);
      expect(kept).toEqual([`.${oid}.partial`]);
      const held = statSync(join(partialDir, kept[0]!)).size;
      expect(held).toBeGreaterThanOrEqual(HELD);

      await proxy.up();
      const second = await viaProxy();
      try {
        const cache = new LocalCache(root);
        const r = await pullObjects(cache, second, [oid]);
        expect(r.failed).toEqual([]);
        expect(r.resumed).toBe(held);
        expect(r.bytes).toBe(OBJECT_BYTES - held);
        expect(readFileSync(cache.objectPath(oid)).equals(content)).toBe(true);
        expect(readdirSync(partialDir)).toEqual([]);
      } finally {
        await second.close();
      }
    } finally {
      await slow.stop();
    }
  });

  it('starts over from byte 0 when the server answers a range with the whole object (200)', async () => {
    for (const via of [{ origin: noRanges.url }, { cache: noRanges.url }]) {
      const path = randomBytes(6).toString('hex');
      const before = (await noRanges.accessLog()).length;
      const [r] = await pullWithPartials(opened(path, via), (c) => [c.subarray(0, HELD)]);
      expect(r!.resumed).toBe(0);
      expect(r!.bytes).toBe(OBJECT_BYTES);
      expect((await gets(noRanges, path, before)).map((l) => l.split(' ')[2])).toEqual(['200']);
    }
  });
});

describe('osdf tokens', () => {
  it('mints tokens as cmf does (ES256 and RS256, kid, iss, WLCG scopes, 600 s)', async () => {
    for (const kid of ['es-key', 'rsa-key']) {
      const jwt = await mintOsdfToken({ keyId: kid, keyPath: keyPaths[kid]!, issuer: ISSUER });
      const header = decodeProtectedHeader(jwt);
      expect(header).toMatchObject({ alg: kid === 'es-key' ? 'ES256' : 'RS256', typ: 'JWT', kid });
      const claims = decodeJwt(jwt);
      expect(claims).toMatchObject({
        iss: ISSUER,
        scope: OSDF_SCOPES,
        sub: 'anything',
        aud: 'https://wlcg.cern.ch/jwt/v1/any',
        'wlcg.ver': '1.0',
      });
      expect(claims.exp! - claims.iat!).toBe(600);
      const d = await openRemote(remote(), { osdf: minted(kid) });
      expect(await d.exists('files/md5/00/0000')).toBe(false);
      await d.close();
    }
  });

  it('re-mints a token before it expires during a long transfer', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const p = new OsdfTokenProvider({
        key: { keyId: 'es-key', keyPath: keyPaths['es-key']!, issuer: ISSUER },
      });
      const first = await p.header();
      expect(await p.header()).toBe(first);
      vi.setSystemTime(Date.now() + 560_000); // 40 s left: inside the renewal margin
      const second = await p.header();
      expect(second).not.toBe(first);
      expect(decodeJwt(second.slice(7)).exp!).toBeGreaterThan(decodeJwt(first.slice(7)).exp!);
    } finally {
      vi.useRealTimers();
    }
  });

  it('reads a token file, and refuses an expired one before any transfer', async () => {
    const dir = await tempDir();
    const file = join(dir, 'token');
    await writeFile(
      file,
      `${await mintOsdfToken({ keyId: 'es-key', keyPath: keyPaths['es-key']!, issuer: ISSUER })}\n`,
    );
    const d = await openRemote(remote(), { osdf: { accessToken: file } });
    expect(await d.exists('files/md5/00/0000')).toBe(false);
    await d.close();

    const past = Math.floor(Date.now() / 1000) - 3600;
    await writeFile(
      file,
      await mintOsdfToken({ keyId: 'es-key', keyPath: keyPaths['es-key']!, issuer: ISSUER }, past),
    );
    const err = await openRemote(remote(), { osdf: { accessToken: file } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as CmfError).code).toBe('OSDF_TOKEN_EXPIRED');
    expect((err as CmfError).hint).toMatch(/refresh|re-run/i);
  });

  it('a key_path that became an encrypted key, not a key, or a directory is OSDF_KEY_UNREADABLE naming it', async () => {
    const dir = await tempDir();
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const encrypted = join(dir, 'enc.pem');
    await writeFile(
      encrypted,
      privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }),
    );
    const junk = join(dir, 'junk.pem');
    await writeFile(junk, 'not a key\n');
    for (const [keyPath, why] of [
      [encrypted, 'it is protected by a passphrase'],
      [junk, 'it is not a PEM private key'],
      [dir, 'it is a directory'],
      [join(dir, 'gone.pem'), 'no such file'],
    ]) {
      const err = await openRemote(remote(), { osdf: { ...minted(), keyPath } }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConfigError);
      expect(err).toMatchObject({ code: 'OSDF_KEY_UNREADABLE', exitCode: 4 });
      expect((err as CmfError).message).toBe(`Cannot use the OSDF signing key ${keyPath}: ${why}`);
    }
  });

  it('reads a relative key_path or token file from the project root; `provided` uses the stored token, not the keys', async () => {
    const relKey = await openRemote(remote(), {
      osdf: { ...minted(), keyPath: 'es-key.pem' },
      cwd: keyDir,
    });
    expect(await relKey.exists('files/md5/00/0000')).toBe(false);
    await relKey.close();
    const dir = await tempDir();
    await writeFile(
      join(dir, 'tok'),
      await mintOsdfToken({ keyId: 'es-key', keyPath: keyPaths['es-key']!, issuer: ISSUER }),
    );
    const relFile = await openRemote(remote(), { osdf: { accessToken: './tok' }, cwd: dir });
    expect(await relFile.exists('files/md5/00/0000')).toBe(false);
    await relFile.close();

    // init was given a token with the key flags: the token (here one the origin rejects)
    // is what goes out, as init reported.
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const other = await new SignJWT({ scope: OSDF_SCOPES })
      .setProtectedHeader({ alg: 'ES256', kid: 'unknown-kid' })
      .setIssuer(ISSUER)
      .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
      .sign(privateKey);
    const cfg = remote();
    const d = await openRemote(
      { ...cfg, options: { ...cfg.options, password: `Bearer ${other}` } },
      { osdf: { ...minted(), accessToken: 'provided' } },
    );
    const err = await d.exists('files/md5/00/0000').catch((e: unknown) => e);
    await d.close();
    expect((err as CmfError).code).toBe('REMOTE_AUTH');
  });

  it('keeps the token in hand while its file is caught mid-refresh, until the token expires', async () => {
    const dir = await tempDir();
    const file = join(dir, 'token');
    const key = { keyId: 'es-key', keyPath: keyPaths['es-key']!, issuer: ISSUER };
    const now = Math.floor(Date.now() / 1000);
    const jwt = await mintOsdfToken({ ...key, lifetimeSeconds: 120 }, now);
    await writeFile(file, jwt);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const p = new OsdfTokenProvider({ tokenFile: file });
      expect(await p.header()).toBe(`Bearer ${jwt}`);
      vi.setSystemTime((now + 63) * 1000); // 57 s left: inside the renewal margin, re-read
      for (const during of ['', 'eyJhbGciOi']) {
        await writeFile(file, during); // emptied, then half written
        expect(await p.header()).toBe(`Bearer ${jwt}`);
      }
      const next = await mintOsdfToken(key, now + 63);
      await writeFile(file, next);
      expect(await p.header()).toBe(`Bearer ${next}`);

      // Once the token in hand has expired, a file that is still bad is an error naming it.
      const q = new OsdfTokenProvider({ tokenFile: file });
      await q.header();
      await writeFile(file, '');
      vi.setSystemTime((now + 63 + 601) * 1000);
      const err = await q.header().catch((e: unknown) => e);
      expect((err as CmfError).code).toBe('OSDF_TOKEN_INVALID');
      expect((err as CmfError).message).toBe(
        `The OSDF access token in ${file} is not a readable JWT`,
      );
      expect((err as CmfError).hint).toContain(`Refresh ${file}`);
    } finally {
      vi.useRealTimers();
    }
  });

  it('an expired raw token is not told to refresh a token file it does not have', async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    const key = { keyId: 'es-key', keyPath: keyPaths['es-key']!, issuer: ISSUER };
    const p = new OsdfTokenProvider({ token: await mintOsdfToken(key, past) });
    const err = await p.header().catch((e: unknown) => e);
    expect((err as CmfError).code).toBe('OSDF_TOKEN_EXPIRED');
    expect((err as CmfError).hint).not.toMatch(/token file,/);
    expect((err as CmfError).hint).toMatch(/--access-token/);
  });

  it('turns a rejected token (unknown signer) and a read-only token into clear auth errors', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ scope: OSDF_SCOPES })
      .setProtectedHeader({ alg: 'ES256', kid: 'es-key' })
      .setIssuer(ISSUER)
      .setExpirationTime(now + 600)
      .sign(privateKey);
    const d = await openRemote({ ...remote(), options: { password: `Bearer ${forged}` } });
    const err = await d.exists('files/md5/00/0000').catch((e: unknown) => e);
    await d.close();
    expect((err as CmfError).code).toBe('REMOTE_AUTH');
    expect((err as CmfError).hint).toContain('token');

    const dir = await tempDir();
    const readOnly = await new SignJWT({ scope: 'storage.read:/' })
      .setProtectedHeader({ alg: 'ES256', kid: 'es-key' })
      .setIssuer(ISSUER)
      .setExpirationTime(now + 600)
      .sign(
        (await import('node:crypto')).createPrivateKey(
          await (await import('node:fs/promises')).readFile(keyPaths['es-key']!),
        ),
      );
    const fx = await buildRemoteFixture(dir, { many: 2 });
    const ro = await openRemote({ ...remote(), options: { password: `Bearer ${readOnly}` } });
    const pushErr = await pushObjects(fx.cache, ro, fx.roots).catch((e: unknown) => e);
    await ro.close();
    expect((pushErr as CmfError).code).toBe('REMOTE_AUTH');
    expect((pushErr as CmfError).message).toMatch(
      /refused \(403\): the token lacks the scope, or the endpoint does not accept writes$/,
    );
    expect((pushErr as CmfError).hint).not.toMatch(/\) \(/);
  });

  it('refuses an origin or cache URL with a query or fragment (it cannot be kept), masking tokens', async () => {
    for (const [url, cacheUrl] of [
      [`${origin.url}/ns/q?authz=SECRET1`, undefined],
      [`${origin.url}/ns/q`, `${cache.url}/ns#frag`],
    ]) {
      const osdf = { ...minted(), cache: cacheUrl };
      const err = await openRemote({ ...remote(), url: url! }, { osdf })
        .then(async (d) => d.close())
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CONFIG_INVALID', exitCode: 4 });
      expect((err as CmfError).message).toMatch(/has a query or fragment/);
      expect((err as CmfError).message).not.toContain('SECRET1');
    }
  });

  it('reports an origin that is down with host:port', async () => {
    const port = await freePort();
    const d = await openRemote(
      { ...remote(), url: `http://127.0.0.1:${port}/ns` },
      { osdf: minted() },
    );
    const err = await d.exists('files/md5/00/0000').catch((e: unknown) => e);
    await d.close();
    expect(err).toBeInstanceOf(OperationError);
    expect((err as CmfError).code).toBe('REMOTE_UNREACHABLE');
    expect((err as CmfError).message).toContain(`127.0.0.1:${port}`);
  });
});

describe('osdf over https', () => {
  it('verifies the TLS certificate unless ssl_verify is false', async () => {
    const tls = await startDav({ issuer: ISSUER, keys, tls: true });
    try {
      const cfg = { ...remote(), url: `${tls.url}/ns/cmf` };
      const strict = await openRemote(cfg, { osdf: minted() });
      const err = await strict.exists('files/md5/00/0000').catch((e: unknown) => e);
      await strict.close();
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as CmfError).code).toBe('REMOTE_TLS');
      expect((err as CmfError).hint).toContain('ssl_verify');

      const dir = await tempDir();
      const fx = await buildRemoteFixture(dir, { many: 2 });
      const lax = await openRemote(
        { ...cfg, options: { ...cfg.options, ssl_verify: 'false' } },
        { osdf: minted() },
      );
      const r = await pushObjects(fx.cache, lax, fx.roots);
      await lax.close();
      expect(r.failed).toEqual([]);
      expect(r.transferred).toBe(fx.objects.size);
    } finally {
      await tls.stop();
    }
  });

  it('ssl_verify = <path> verifies with that CA bundle (DVC), and never turns verification off', async () => {
    const tls = await startDav({ issuer: ISSUER, keys, tls: true });
    const other = await startDav({ issuer: ISSUER, keys, tls: true });
    try {
      const cfg = { ...remote(), url: `${tls.url}/ns/cmf` };
      const withCa = (ca: string) => ({ ...cfg, options: { ...cfg.options, ssl_verify: ca } });
      const trusted = await openRemote(withCa(tls.certPath!), { osdf: minted() });
      expect(await trusted.exists('files/md5/00/0000')).toBe(false);
      await trusted.close();

      // Another server's certificate does not vouch for this one.
      const wrongCa = await openRemote(withCa(other.certPath!), { osdf: minted() });
      const err = await wrongCa.exists('files/md5/00/0000').catch((e: unknown) => e);
      await wrongCa.close();
      expect((err as CmfError).code).toBe('REMOTE_TLS');
      expect((err as CmfError).hint).toContain('cmf init osdfremote again with --no-ssl-verify');

      const dir = await tempDir();
      const missing = join(dir, 'no-such-ca.pem');
      const bad = await openRemote(withCa(missing), { osdf: minted() }).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(ConfigError);
      expect((bad as CmfError).exitCode).toBe(4);
      expect((bad as CmfError).message).toContain(`${missing}: no such file`);
      // A relative path is read from the project root.
      const rel = await openRemote(withCa('cert.pem'), {
        osdf: minted(),
        cwd: dirname(tls.certPath!),
      });
      await rel.close();
    } finally {
      await tls.stop();
      await other.stop();
    }
  });
});

describe('osdf downloads', () => {
  it('come from the cache first, and from the origin when the cache lacks an object', async () => {
    const dir = await tempDir();
    const fx = await buildRemoteFixture(dir, { many: 5 });
    const path = randomBytes(6).toString('hex');
    const up = await openRemote(remote(path), { osdf: minted() });
    expect((await pushObjects(fx.cache, up, fx.roots)).failed).toEqual([]);
    await up.close();

    const viaCache = await openRemote(remote(path), { osdf: { ...minted(), cache: cache.url } });
    const r1 = await pullObjects(new LocalCache(join(dir, 'c1')), viaCache, fx.roots);
    await viaCache.close();
    expect(r1.failed).toEqual([]);
    const cacheGets = (await cache.accessLog()).filter((l) => l.startsWith(`GET /ns/cmf/${path}/`));
    expect(cacheGets.length).toBe(fx.objects.size);

    const originBefore = (await origin.accessLog()).length;
    const fallback = await openRemote(remote(path), {
      osdf: { ...minted(), cache: emptyCache.url },
    });
    const r2 = await pullObjects(new LocalCache(join(dir, 'c2')), fallback, fx.roots);
    await fallback.close();
    expect(r2.failed).toEqual([]);
    expect(r2.transferred).toBe(fx.objects.size);
    const originGets = (await origin.accessLog())
      .slice(originBefore)
      .filter((l) => l.startsWith('GET '));
    expect(originGets.length).toBe(fx.objects.size);
  });
});

/** A node:http stand-in on 127.0.0.1: `handle` answers every request; the GETs are logged. */
async function standIn(
  handle: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; port: number; gets: string[]; close: () => Promise<void> }> {
  const gets: string[] = [];
  const server = createHttpServer((req, res) => {
    if (req.method === 'GET')
      gets.push(`${req.url} auth=${req.headers.authorization ? 'yes' : 'no'}`);
    handle(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    gets,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Pushes a fixture of `many` small files to a fresh path of the origin. */
async function pushedFixture(many: number) {
  const dir = await tempDir();
  const fx = await buildRemoteFixture(dir, { many });
  const path = randomBytes(6).toString('hex');
  const up = await openRemote(remote(path), { osdf: minted() });
  expect((await pushObjects(fx.cache, up, fx.roots)).failed).toEqual([]);
  await up.close();
  return { dir, fx, path };
}

describe('osdf cache trouble', () => {
  it('an object the cache serves corrupt is fetched from the origin (one warning); bad there too, the origin is named', async () => {
    const { dir, fx, path } = await pushedFixture(3);
    // Every answer is 200 with the right length and the wrong bytes.
    const liar = await standIn((req, res) => {
      const size = 16;
      res.writeHead(200, { 'content-length': String(size) });
      res.end(Buffer.alloc(size, 'x'));
    });
    try {
      const d = await openRemote(remote(path), { osdf: { ...minted(), cache: liar.url } });
      const r = await pullObjects(new LocalCache(join(dir, 'c1')), d, fx.roots);
      expect(r.failed).toEqual([]);
      expect(r.transferred).toBe(fx.objects.size);
      expect(r.bytes).toBe([...fx.objects.values()].reduce((a, b) => a + b, 0));
      expect(r.warnings).toHaveLength(1);
      expect(r.warnings[0]).toContain(
        `The OSDF cache ${liar.url} served ${fx.objects.size} corrupt`,
      );
      expect(liar.gets.length).toBe(fx.objects.size);

      // The origin's copy of one file is bad too: the error names the origin, not the cache.
      const oid = [...fx.objects.keys()].find((o) => !o.endsWith('.dir'))!;
      const onOrigin = join(
        origin.dataDir,
        'ns/cmf',
        path,
        'files/md5',
        oid.slice(0, 2),
        oid.slice(2),
      );
      await writeFile(onOrigin, 'tampered');
      const again = await pullObjects(new LocalCache(join(dir, 'c2')), d, [oid]);
      await d.close();
      expect(again.failed).toHaveLength(1);
      const err = again.failed[0]!.error;
      expect(err.code).toBe('REMOTE_OBJECT_CORRUPT');
      expect(err.message).toContain(`on ${origin.url}/ns/cmf/${path}/`);
      expect(err.message).not.toContain(liar.url);
    } finally {
      await liar.close();
    }
  });

  it("follows a director's redirect to the cache, with the token on the same host, without it over http elsewhere", async () => {
    const { dir, fx, path } = await pushedFixture(3);
    const cachePort = new URL(cache.url).port;
    let to = cache.url;
    const director = await standIn((req, res) => {
      res.writeHead(307, { location: `${to}${req.url}` });
      res.end();
    });
    try {
      const cacheBefore = (await cache.accessLog()).length;
      const originBefore = (await origin.accessLog()).length;
      const d = await openRemote(remote(path), { osdf: { ...minted(), cache: director.url } });
      const r = await pullObjects(new LocalCache(join(dir, 'c1')), d, fx.roots);
      await d.close();
      expect(r.failed).toEqual([]);
      expect(r.warnings).toEqual([]);
      expect(director.gets.length).toBe(fx.objects.size);
      const cacheGets = (await cache.accessLog())
        .slice(cacheBefore)
        .filter((l) => l.startsWith('GET ') && l.endsWith(' 200'));
      expect(cacheGets.length).toBe(fx.objects.size);
      const originGets = (await origin.accessLog())
        .slice(originBefore)
        .filter((l) => l.startsWith('GET '));
      expect(originGets).toEqual([]);

      // Another host over plain http gets no token: the cache refuses, the origin serves, and
      // the run says so once.
      to = `http://localhost:${cachePort}`;
      const d2 = await openRemote(remote(path), { osdf: { ...minted(), cache: director.url } });
      const r2 = await pullObjects(new LocalCache(join(dir, 'c2')), d2, fx.roots);
      const warnings = d2.warnings?.() ?? [];
      await d2.close();
      expect(r2.failed).toEqual([]);
      expect(warnings).toEqual([
        `The OSDF cache ${director.url} did not serve ${fx.objects.size} download(s) (HTTP 401 ×${fx.objects.size}); they came from the OSDF origin ${origin.url}.`,
      ]);
    } finally {
      await director.close();
    }
  });
});

describe('osdf servers that take connections but never answer', () => {
  it('an origin stops the transfer at once naming it; a cache is dropped after its first silence', async () => {
    let connections = 0;
    const sockets = new Set<Socket>();
    const hole = createServer((s) => {
      connections++;
      sockets.add(s);
    });
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
    const holeUrl = `http://127.0.0.1:${(hole.address() as AddressInfo).port}`;
    const fast = { connect_timeout: '0.5' };
    try {
      const dir = await tempDir();
      const fx = await buildRemoteFixture(dir, { many: 6 });
      const cfg = remote();
      const silent = await openRemote(
        { ...cfg, url: `${holeUrl}/ns/cmf`, options: { ...cfg.options, ...fast } },
        { osdf: minted() },
      );
      const t0 = Date.now();
      const err = await pushObjects(fx.cache, silent, fx.roots).catch((e: unknown) => e);
      await silent.close();
      expect((err as CmfError).code).toBe('REMOTE_NOT_ANSWERING');
      expect((err as CmfError).message).toBe(
        `The OSDF origin ${holeUrl} accepted the connection but did not answer within 0.5 s`,
      );
      expect(Date.now() - t0).toBeLessThan(3_000);

      const up = await openRemote(cfg, { osdf: minted() });
      expect((await pushObjects(fx.cache, up, fx.roots)).failed).toEqual([]);
      await up.close();
      connections = 0;
      const down = await openRemote(
        { ...cfg, options: { ...cfg.options, ...fast } },
        { osdf: { ...minted(), cache: holeUrl } },
      );
      const r = await pullObjects(new LocalCache(join(dir, 'pulled')), down, fx.roots, {
        jobs: 1,
      });
      await down.close();
      expect(r.failed).toEqual([]);
      expect(r.transferred).toBe(fx.objects.size);
      // One object waited for the cache; the others went straight to the origin.
      expect(connections).toBe(1);
    } finally {
      for (const s of sockets) s.destroy();
      hole.close();
    }
  });
});

describe('an origin that goes away for a second mid-push', () => {
  it('is asked again (it answered before), and the push completes, its bytes counted once', async () => {
    const dir = await tempDir();
    const fx = await buildRemoteFixture(dir, { many: 30, bigBytes: 40 << 20 });
    const proxy = await tcpProxy(Number(new URL(origin.url).port));
    const config = remote();
    config.url = config.url.replace(origin.url, `http://127.0.0.1:${proxy.port}`);
    const d = await openRemote(config, { osdf: minted() });
    let gone = false;
    try {
      const r = await pushObjects(fx.cache, d, fx.roots, {
        onProgress: (p) => {
          if (gone || p.bytesDone < 8 << 20) return;
          gone = true;
          proxy.down();
          setTimeout(() => void proxy.up(), 1_000);
        },
      });
      expect(gone).toBe(true);
      expect(r.failed).toEqual([]);
      expect(r.bytes).toBe([...fx.objects.values()].reduce((a, b) => a + b, 0));
    } finally {
      await d.close();
    }
  }, 120_000);
});

describe('interruptions', () => {
  killAndResumeTest(
    'osdf',
    () => remote(),
    () => ({ osdf: minted() }),
  );
});
