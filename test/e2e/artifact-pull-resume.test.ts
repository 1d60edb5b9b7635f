/**
 * Byte-level resume through the built binary: a pull of a ~50 MB object from an OSDF origin
 * stand-in (nginx WebDAV, bodies sent at 20 MB/s so that the download is still under way when
 * it is killed) is SIGKILLed half-way; the next pull fetches only the rest and says so.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PARTIAL_DIR } from '../../src/remotes/partials.js';
import { startDav, type DavServer } from '../servers/dav.js';
import { bigFileProject, cloneProject } from '../helpers/artifact-project.js';
import { isolatedEnv, runCmf, runCmfUntil } from '../helpers/cli.js';

const ISSUER = 'https://issuer.cmf.test';
const KID = 'e2e-key';
const BIG = 50 << 20;
let origin: DavServer;
let root: string;
let env: Record<string, string>;
let project: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cmf-e2e-resume-'));
  const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const keyPath = join(root, 'signing-key.pem');
  writeFileSync(keyPath, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const keys: Record<string, KeyObject> = { [KID]: pair.publicKey };
  origin = await startDav({ issuer: ISSUER, keys, limitRate: '20m' });
  mkdirSync(join(root, 'home'));
  env = isolatedEnv(join(root, 'home'));
  project = join(root, 'project');
  const init = [
    'osdfremote',
    '--path',
    `${origin.url}/ns/resume`,
    '--key-id',
    KID,
    '--key-path',
    keyPath,
    '--key-issuer',
    ISSUER,
  ];
  await bigFileProject(project, init, env, BIG);
  const push = await runCmf(['artifact', 'push', '-p', 'P'], { cwd: project, env });
  expect(push.code, push.stderr).toBe(0);
}, 180_000);
afterAll(async () => {
  await origin?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

/** Sizes of the partial downloads in the clone's cache. */
const partials = (dir: string): number[] => {
  const p = join(dir, '.dvc', 'cache', PARTIAL_DIR);
  if (!existsSync(p)) return [];
  return readdirSync(p).map((f) => statSync(join(p, f), { throwIfNoEntry: false })?.size ?? 0);
};

describe('a pull killed half-way', () => {
  it('is resumed by the next pull, which fetches only the rest', async () => {
    const dir = join(root, 'clone');
    cloneProject(project, dir);
    const args = ['artifact', 'pull', '-p', 'P', '-j', '1'];
    const killed = await runCmfUntil(
      args,
      { cwd: dir, env },
      () => partials(dir).some((n) => n >= 16 << 20),
      'SIGKILL',
    );
    expect(killed.signalSent, killed.stderr).toBe(true);
    expect(killed.code).toBe(null);
    const [held, ...others] = partials(dir);
    expect(others).toEqual([]);
    expect(held).toBeGreaterThanOrEqual(16 << 20);
    expect(held).toBeLessThan(BIG);
    expect(existsSync(join(dir, 'data', 'big.bin'))).toBe(false);

    const again = await runCmf([...args, '--json'], { cwd: dir, env });
    expect(again.code, again.stderr).toBe(0);
    const r = JSON.parse(again.stdout);
    expect(r.resumed).toBe(held);
    expect(r.bytes).toBeLessThan(BIG - held! + (1 << 10));
    expect(partials(dir)).toEqual([]);
    expectBigFilePulled(dir);
  }, 120_000);
});

/** The clone's big file is the project's, byte for byte. */
function expectBigFilePulled(dir: string): void {
  const pulled = readFileSync(join(dir, 'data', 'big.bin'));
  expect(pulled.equals(readFileSync(join(project, 'data', 'big.bin')))).toBe(true);
}

describe('a pull interrupted half-way (SIGINT)', () => {
  it('keeps the download for the next pull, whose summary says how much was resumed', async () => {
    const dir = join(root, 'clone-int');
    cloneProject(project, dir);
    const args = ['artifact', 'pull', '-p', 'P', '-j', '1'];
    const stopped = await runCmfUntil(args, { cwd: dir, env }, () =>
      partials(dir).some((n) => n >= 16 << 20),
    );
    expect(stopped.signalSent, stopped.stderr).toBe(true);
    expect(stopped.code, stopped.stderr).toBe(130);
    const p = join(dir, '.dvc', 'cache', PARTIAL_DIR);
    const kept = readdirSync(p);
    // Released by the signal handler: the object's free partial, no claim.
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatch(/^\.[0-9a-f]{32}\.partial$/);
    const held = statSync(join(p, kept[0]!)).size;
    const mb = (n: number) => `${(n / (1 << 20)).toFixed(1)} MB`;
    expect(stopped.stderr).toContain(
      `; ${mb(held)} of downloads under way kept in the cache: the next pull resumes them`,
    );

    const again = await runCmf(args, { cwd: dir, env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`, ${mb(held)} resumed)`);
    expect(partials(dir)).toEqual([]);
    expectBigFilePulled(dir);
  }, 120_000);
});
