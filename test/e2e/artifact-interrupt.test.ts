/**
 * cmf artifact pull and push stopped by a signal, through the built binary: the temp files
 * being filled are removed, one line (or a JSON error) says so, and the exit status is the
 * signal's. Temp files a SIGKILLed run left behind are removed by the next run that writes
 * into their directory, once they are old enough not to belong to a live writer.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cmf } from '../../src/index.js';
import { isOwnTempName, tempName } from '../../src/fs/atomic.js';
import { PARTIAL_DIR } from '../../src/remotes/partials.js';
import { bigFileProject, cloneProject, listFiles } from '../helpers/artifact-project.js';
import { isolatedEnv, runCmf, runCmfUntil } from '../helpers/cli.js';

/** Large enough that copying and hashing it takes a while even on an idle machine. */
const BIG = 96 << 20;
// A download cut after 8 MiB is kept for the next pull, and the line says so.
const LINE =
  /^Interrupted: cmf artifact pull \(SIG(INT|TERM)\); nothing partial was left under a final name(; [\d.]+ [KMG]?B of downloads under way kept in the cache: the next pull resumes them)?\n$/;

let root: string;
let project: string;
let remote: string;
let env: Record<string, string>;
let clones = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cmf-e2e-interrupt-'));
  project = join(root, 'project');
  remote = join(root, 'remote');
  mkdirSync(join(root, 'home'));
  env = isolatedEnv(join(root, 'home'));
  await bigFileProject(project, ['local', '--path', remote], env, BIG);
  const push = await runCmf(['artifact', 'push', '-p', 'P'], { cwd: project, env });
  expect(push.code, push.stderr).toBe(0);
}, 180_000);
afterAll(() => rm(root, { recursive: true, force: true }));

function freshClone(): string {
  const dir = join(root, `clone${++clones}`);
  cloneProject(project, dir);
  return dir;
}

/** Temp files (our naming) anywhere below `dir`, .git aside. */
const temps = (dir: string) =>
  existsSync(dir) ? listFiles(dir, ['.git']).filter((f) => isOwnTempName(basename(f))) : [];

/** Partial downloads (claimed or kept) in the cache below `dir` (see remotes/partials.ts). */
const partials = (dir: string) => {
  const p = join(dir, '.dvc', 'cache', PARTIAL_DIR);
  return existsSync(p) ? readdirSync(p).map((f) => join(PARTIAL_DIR, f)) : [];
};

/**
 * True once the big file's temp (only it exceeds 1 MiB) is being filled below `dir`: its
 * download (into a partial download in the cache) or its checkout.
 */
const bigTemp = (dir: string) =>
  [...temps(dir), ...partials(dir).map((f) => join('.dvc', 'cache', f))].some(
    (f) => (statSync(join(dir, f), { throwIfNoEntry: false })?.size ?? 0) > 1 << 20,
  );

/** Runs cmf and sends `signal` as soon as the big file's temp is being filled below `dir`. */
const signalDuringBigTemp = (args: string[], cwd: string, dir: string, signal: NodeJS.Signals) =>
  runCmfUntil(args, { cwd, env }, () => bigTemp(dir), signal);

describe('interrupted pull', () => {
  it('SIGINT while a big file is being pulled: exit 130, one line, no temp file left', async () => {
    const dir = freshClone();
    const r = await signalDuringBigTemp(
      ['artifact', 'pull', '-p', 'P', '-j', '1'],
      dir,
      dir,
      'SIGINT',
    );
    expect(r.signalSent).toBe(true);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(LINE);
    expect(temps(dir)).toEqual([]);
    // The download is kept for the next pull as the object's partial (no claim is left), or
    // removed if it was short.
    expect(
      partials(dir).every((f) => f.endsWith('.partial')),
      String(partials(dir)),
    ).toBe(true);
    // Nothing partial under a final name: the big file is either absent or whole.
    const pull = await runCmf(['artifact', 'pull', '-p', 'P', '--json'], { cwd: dir, env });
    expect(pull.code, pull.stderr).toBe(0);
    expect(temps(dir)).toEqual([]);
    expect(partials(dir)).toEqual([]);
  });

  it('SIGINT while the cached big file is checked out: no temp file left in the workspace', async () => {
    const dir = freshClone();
    const first = await runCmf(['artifact', 'pull', '-p', 'P'], { cwd: dir, env });
    expect(first.code, first.stderr).toBe(0);
    rmSync(join(dir, 'data', 'big.bin'));
    const data = join(dir, 'data');
    const r = await signalDuringBigTemp(
      ['artifact', 'pull', '-p', 'P', '-j', '1'],
      dir,
      data,
      'SIGINT',
    );
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(LINE);
    expect(temps(dir)).toEqual([]);
    expect(existsSync(join(data, 'big.bin'))).toBe(false);
  });

  it('SIGTERM with --json: exit 143, a JSON error on stderr, no temp file left', async () => {
    const dir = freshClone();
    const r = await signalDuringBigTemp(
      ['artifact', 'pull', '-p', 'P', '-j', '1', '--json'],
      dir,
      dir,
      'SIGTERM',
    );
    expect(r.code, r.stderr).toBe(143);
    const err = JSON.parse(r.stderr);
    expect(err.status).toBe('error');
    expect(err.error).toMatchObject({
      code: 'INTERRUPTED',
      exitCode: 143,
      data: { signal: 'SIGTERM' },
    });
    expect(err.error.data.tempFilesRemoved).toBeTypeOf('number');
    // Bytes of the download kept for the next pull (none when cut before 8 MiB).
    expect(err.error.data.downloadBytesKept).toBeTypeOf('number');
    // What the pull had done when the signal came, as other errors that stop it carry.
    expect(err.error.data.result).toMatchObject({
      transferred: expect.any(Number),
      present: expect.any(Number),
      bytes: expect.any(Number),
      resumed: 0,
      failed: 0,
    });
    expect(`${err.error.message}\n`).toMatch(LINE);
    expect(temps(dir)).toEqual([]);
  });
});

/** A temp file of our naming in `dir`, with its mtime `ageMs` in the past. */
function tempFile(dir: string, ageMs: number): string {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, tempName());
  writeFileSync(p, 'partial');
  const t = (Date.now() - ageMs) / 1000;
  utimesSync(p, t, t);
  return p;
}

const TWO_HOURS = 2 * 3600_000;

describe('temp files left by a killed run', () => {
  it('pull removes old ones from the cache and workspace directories it writes to', async () => {
    const dir = freshClone();
    // Where the pull will write: the cache directories of both objects, and data/.
    const objectDirs = readdirSync(join(remote, 'files', 'md5')).map((d) =>
      join(dir, '.dvc', 'cache', 'files', 'md5', d),
    );
    const old = [...objectDirs, join(dir, 'data')].map((d) => tempFile(d, TWO_HOURS));
    const fresh = [...objectDirs, join(dir, 'data')].map((d) => tempFile(d, 0));
    const pull = await runCmf(['artifact', 'pull', '-p', 'P'], { cwd: dir, env });
    expect(pull.code, pull.stderr).toBe(0);
    for (const p of old) expect(existsSync(p), p).toBe(false);
    for (const p of fresh) expect(existsSync(p), p).toBe(true);
  });

  it('push removes old ones from the local remote directories it writes to', async () => {
    // A new object for the remote, in a directory of its own there.
    const file = join(project, 'data', 'new.txt');
    const content = `new ${Date.now()}\n`;
    writeFileSync(file, content);
    const oid = createHash('md5').update(content).digest('hex');
    const cmf = await Cmf.open({ cwd: project, pipelineName: 'P' });
    await cmf.createContext('s2');
    await cmf.createExecution('e2');
    await cmf.logDataset('data/new.txt', 'output');
    await cmf.finalize();
    await cmf.close();
    const target = join(remote, 'files', 'md5', oid.slice(0, 2));
    const old = tempFile(target, TWO_HOURS);
    const fresh = tempFile(target, 0);
    const push = await runCmf(['artifact', 'push', '-p', 'P'], { cwd: project, env });
    expect(push.code, push.stderr).toBe(0);
    expect(existsSync(join(target, oid.slice(2))), 'the new object').toBe(true);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
    expect(dirname(old)).toBe(target);
  });
});
