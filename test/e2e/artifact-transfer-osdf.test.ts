/**
 * cmf artifact push / pull through the built binary against an OSDF origin stand-in (nginx
 * WebDAV whose every request's bearer JWT is checked by the issuer's public key) and a
 * read-only cache serving the same data, configured with `cmf init osdfremote`: tokens minted
 * from the configured key, or read from a token file. The servers are started once per file.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintOsdfToken } from '../../src/remotes/osdf-token.js';
import { freePort } from '../servers/common.js';
import { startDav, type DavServer } from '../servers/dav.js';
import { listFiles, loggedProject } from '../helpers/artifact-project.js';
import { editedClone, expectFailure, expectRoundTrip } from '../helpers/artifact-roundtrip.js';
import { isolatedEnv, runCmf } from '../helpers/cli.js';

const ISSUER = 'https://issuer.cmf.test';
const KID = 'e2e-key';
const NAMESPACE = '/ns/cmf-e2e';
let origin: DavServer;
let cache: DavServer;
let root: string;
let keyPath: string;
let env: Record<string, string>;
let project: string;

/** The `access_token` line of the [osdf] section pointed at a token file. */
const useTokenFile = (file: string) => (cmfconfig: string) =>
  cmfconfig.replace(/^(\s*access_token\s*=).*$/m, `$1 ${file}`);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cmf-e2e-osdf-'));
  const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  keyPath = join(root, 'signing-key.pem');
  writeFileSync(keyPath, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const keys: Record<string, KeyObject> = { [KID]: pair.publicKey };
  origin = await startDav({ issuer: ISSUER, keys });
  cache = await startDav({ issuer: ISSUER, keys, dataDir: origin.dataDir, readOnly: true });
  mkdirSync(join(root, 'home'));
  env = isolatedEnv(join(root, 'home'));
  project = join(root, 'project');
  await loggedProject(
    project,
    [
      'osdfremote',
      '--path',
      `${origin.url}${NAMESPACE}`,
      '--cache',
      `${cache.url}${NAMESPACE}`,
      '--key-id',
      KID,
      '--key-path',
      keyPath,
      '--key-issuer',
      ISSUER,
    ],
    env,
  );
}, 120_000);
afterAll(async () => {
  await origin?.stop();
  await cache?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('cmf artifact push / pull with an OSDF remote (cmf init osdfremote)', () => {
  it('push to the origin, no-op push, pull (through the cache) into an empty clone, -a pulls', async () => {
    const remoteDir = join(origin.dataDir, NAMESPACE);
    await expectRoundTrip({
      project,
      root,
      env,
      remoteObjects: async () => listFiles(remoteDir),
    });
    const log = await origin.accessLog();
    expect(log.some((l) => /^PUT \/ns\/cmf-e2e\/files\/md5\/.+ 201$/.test(l))).toBe(true);
    // Downloads went to the cache first, and it had every object.
    const cacheLog = await cache.accessLog();
    expect(cacheLog.filter((l) => l.startsWith('GET ')).length).toBeGreaterThan(10);
    expect(log.filter((l) => l.startsWith('GET '))).toEqual([]);
  });

  it('a token file with an expired token is exit 4 before any transfer; a fresh one works', async () => {
    const tokenFile = join(root, 'osdf_token');
    const past = Math.floor(Date.now() / 1000) - 3600;
    writeFileSync(tokenFile, await mintOsdfToken({ keyId: KID, keyPath, issuer: ISSUER }, past));
    const dir = editedClone(
      project,
      join(root, 'clone-expired'),
      '.cmfconfig',
      useTokenFile(tokenFile),
    );
    const cmf = (args: string[]) => runCmf([...args, '--json'], { cwd: dir, env });

    const before = (await origin.accessLog()).length;
    const err = expectFailure(
      await cmf(['artifact', 'pull', '-p', 'Test-env']),
      4,
      'OSDF_TOKEN_EXPIRED',
    );
    expect(err.message).toContain(tokenFile);
    expect(err.hint).toMatch(/Refresh the token file/);
    expectFailure(await cmf(['artifact', 'push', '-p', 'Test-env']), 4, 'OSDF_TOKEN_EXPIRED');
    expect((await origin.accessLog()).length).toBe(before);
    expect(existsSync(join(dir, 'artifacts/data.xml.gz'))).toBe(false);

    // The file is read at each run: refreshing it is all it takes.
    writeFileSync(tokenFile, await mintOsdfToken({ keyId: KID, keyPath, issuer: ISSUER }));
    const ok = await cmf(['artifact', 'pull', '-p', 'Test-env', '-a', 'data.xml.gz']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(existsSync(join(dir, 'artifacts/data.xml.gz'))).toBe(true);
  });

  it('a cache that is down: pull gets everything from the origin and says so in one warning', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const dir = editedClone(project, join(root, 'clone-dead-cache'), '.cmfconfig', (c) =>
      c.replace(/^(\s*cache\s*=).*$/m, `$1 ${dead}${NAMESPACE}`),
    );
    const r = await runCmf(['artifact', 'pull', '-p', 'Test-env'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('Warning: '));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      new RegExp(
        `^Warning: The OSDF cache ${dead} did not serve \\d+ download\\(s\\) \\(REMOTE_UNREACHABLE`,
      ),
    );
    expect(existsSync(join(dir, 'artifacts/data.xml.gz'))).toBe(true);
  });

  it('a token the origin rejects (signed by an unknown key) is exit 4 naming the token', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const otherKey = join(root, 'other-key.pem');
    writeFileSync(otherKey, other.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const tokenFile = join(root, 'forged_token');
    writeFileSync(
      tokenFile,
      await mintOsdfToken({ keyId: KID, keyPath: otherKey, issuer: ISSUER }),
    );
    const dir = editedClone(
      project,
      join(root, 'clone-forged'),
      '.cmfconfig',
      useTokenFile(tokenFile),
    );
    const cmf = (args: string[]) => runCmf([...args, '--json'], { cwd: dir, env });

    const push = expectFailure(await cmf(['artifact', 'push', '-p', 'Test-env']), 4, 'REMOTE_AUTH');
    expect(push.message).toMatch(/token rejected \(401\)/);
    expect(push.hint).toMatch(/OSDF access token/);
    const pull = await cmf(['artifact', 'pull', '-p', 'Test-env']);
    expectFailure(pull, 4, 'REMOTE_AUTH');
    expect(existsSync(join(dir, 'artifacts/data.xml.gz'))).toBe(false);
  });
});
