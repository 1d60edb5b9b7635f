/**
 * cmf artifact push and pull killed with SIGKILL half-way, then run again: both complete,
 * and nothing incomplete or corrupt is ever visible under an object's name (remote or cache)
 * or in the workspace.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cmf } from '../../src/index.js';
import { cloneProject, listFiles } from '../helpers/artifact-project.js';
import { isolatedEnv } from '../helpers/cli.js';
import { runCmf } from '../helpers/cli.js';

const cmfBin = fileURLToPath(new URL('../../bin/cmf', import.meta.url));
const FILES = 1500;

let root: string;
let project: string;
let remote: string;
let env: Record<string, string>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cmf-e2e-kill-'));
  project = join(root, 'project');
  remote = join(root, 'remote');
  mkdirSync(join(root, 'home'));
  env = isolatedEnv(join(root, 'home'));
  mkdirSync(project);
  const init = await runCmf(
    ['init', 'local', '--path', remote, '--git-remote-url', 'https://e.com/x.git'],
    { cwd: project, env },
  );
  expect(init.code).toBe(0);
  for (let i = 0; i < FILES; i++) {
    const sub = join(project, 'data', `d${i % 15}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}.bin`), randomBytes(16 << 10));
  }
  const { execFileSync } = await import('node:child_process');
  execFileSync('git', ['config', 'user.name', 'T'], { cwd: project });
  execFileSync('git', ['config', 'user.email', 't@e.com'], { cwd: project });
  const cmf = await Cmf.open({ cwd: project, pipelineName: 'P' });
  await cmf.createContext('s');
  await cmf.createExecution('e');
  await cmf.logDataset('data', 'output');
  await cmf.finalize();
  await cmf.close();
}, 120_000);
afterAll(() => rm(root, { recursive: true, force: true }));

/** Runs cmf and SIGKILLs it once `progress()` reaches `at`; true if the kill landed mid-run. */
function killWhen(args: string[], cwd: string, progress: () => number, at: number) {
  return new Promise<boolean>((resolve, reject) => {
    const child = spawn(cmfBin, args, { cwd, env: { ...process.env, ...env }, stdio: 'ignore' });
    const timer = setInterval(() => {
      if (progress() >= at) child.kill('SIGKILL');
    }, 5);
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearInterval(timer);
      resolve(signal === 'SIGKILL');
    });
  });
}

const objects = (dir: string) =>
  existsSync(dir) ? listFiles(dir).filter((f) => !basename(f).startsWith('.')) : [];

/** Every object under `dir` holds what its name says. */
function expectAllIntact(dir: string): void {
  for (const f of objects(dir)) {
    const md5 = createHash('md5')
      .update(readFileSync(join(dir, f)))
      .digest('hex');
    expect(basename(dirname(f)) + basename(f).replace(/\.dir$/, ''), f).toBe(md5);
  }
}

describe('killed transfers resume', () => {
  it('push killed half-way, then pushed again; pull killed half-way, then pulled again', async () => {
    const cached = objects(join(project, '.dvc/cache'));
    // The data files, their manifest, and the environment snapshot the execution logged.
    expect(cached).toHaveLength(FILES + 2);
    const N = cached.length;

    const pushArgs = ['artifact', 'push', '-p', 'P', '-j', '2'];
    const killedPush = await killWhen(pushArgs, project, () => objects(remote).length, 300);
    expect(killedPush).toBe(true);
    const before = objects(remote).length;
    expect(before).toBeLessThan(N);
    expectAllIntact(remote);
    // The manifest goes up last: a remote with it is a complete remote.
    expect(objects(remote).some((f) => f.endsWith('.dir'))).toBe(false);
    const push = await runCmf([...pushArgs, '--json'], { cwd: project, env });
    expect(push.code).toBe(0);
    const p = JSON.parse(push.stdout);
    expect(p.present).toBeGreaterThanOrEqual(before);
    expect(p.uploaded + p.present).toBe(N);
    expect(objects(remote)).toEqual(cached);

    const dir = join(root, 'clone');
    cloneProject(project, dir);
    const cache = join(dir, '.dvc/cache');
    const pullArgs = ['artifact', 'pull', '-p', 'P', '-j', '2'];
    const killedPull = await killWhen(pullArgs, dir, () => objects(cache).length, 300);
    expect(killedPull).toBe(true);
    const got = objects(cache).length;
    expect(got).toBeLessThan(N);
    expectAllIntact(cache);
    expect(existsSync(join(dir, 'data'))).toBe(false);
    const pull = await runCmf([...pullArgs, '--json'], { cwd: dir, env });
    expect(pull.code).toBe(0);
    const q = JSON.parse(pull.stdout);
    expect(q.present).toBeGreaterThanOrEqual(got);
    expect(q.downloaded + q.present).toBe(N);
    for (const f of listFiles(join(project, 'data')))
      expect(
        readFileSync(join(dir, 'data', f)).equals(readFileSync(join(project, 'data', f))),
      ).toBe(true);
  });
});
