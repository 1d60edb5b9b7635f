/**
 * `cmf artifact push` / `pull` run without oclif when their command line is plain
 * (src/cli/fast-path.ts). Through the built binary, each case is run twice, once in the plain
 * form and once with an abbreviated flag (which only oclif's path takes): exit code, stdout and
 * stderr must be the same, and a probe loaded into the process tells which path ran.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneProject, listFiles, loggedProject } from '../helpers/artifact-project.js';
import { isolatedEnv, repoRoot, type CmfRun } from '../helpers/cli.js';
import { PathProbe, type ProbedRun } from '../helpers/path-probe.js';

let root: string;
let project: string;
let env: Record<string, string>;
let probe: PathProbe;

/** Runs cmf with probes that tell which path ran it (test/helpers/path-probe.ts). */
const cmf = (args: string[], cwd: string): Promise<ProbedRun> => probe.run(args, cwd);

/** The same case through both paths: `plain` fast, `viaOclif` with an abbreviated flag. */
async function bothPaths(plain: string[], viaOclif: string[], cwd: string, cwdOclif = cwd) {
  const fast = await cmf(plain, cwd);
  const slow = await cmf(viaOclif, cwdOclif);
  expect([fast.oclif, slow.oclif]).toEqual([false, true]);
  const shown = ({ code, stdout, stderr }: CmfRun) => ({ code, stdout, stderr });
  expect(shown(fast)).toEqual(shown(slow));
  return fast;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cmf-e2e-fast-'));
  project = join(root, 'project');
  mkdirSync(join(root, 'home'));
  env = isolatedEnv(join(root, 'home'));
  probe = new PathProbe(root, env);
  await loggedProject(project, ['local', '--path', join(root, 'remote')], env);
}, 60_000);

afterAll(() => rm(root, { recursive: true, force: true }));

describe('the fast path of artifact push and pull', () => {
  it('pushes without oclif, and a no-op push prints what oclif would print, text and JSON', async () => {
    const first = await cmf(['artifact', 'push', '-p', 'Test-env', '-j', '4'], project);
    expect(first).toMatchObject({ code: 0, oclif: false, stderr: '' });
    expect(first.stdout).toMatch(/^\d+ uploaded .* 0 failed — \d+ artifacts of Test-env to /);
    const noop = await bothPaths(
      ['artifact', 'push', '-p', 'Test-env'],
      ['artifact', 'push', '--pipeline', 'Test-env'],
      project,
    );
    expect(noop.stdout).toMatch(/^0 uploaded \(0 B\), \d+ already there, 0 failed/);
    const json = await bothPaths(
      ['artifact', 'push', '--json', '--pipeline_name', 'Test-env', '--no-progress'],
      ['artifact', 'push', '--js', '--pipeline_name', 'Test-env', '--no-progress'],
      project,
    );
    expect(JSON.parse(json.stdout)).toMatchObject({ uploaded: 0, failed: [] });
  });

  it('pulls into a clone as oclif does: same output, same files', async () => {
    const [a, b] = [join(root, 'clone-a'), join(root, 'clone-b')];
    cloneProject(project, a);
    cloneProject(project, b);
    const pulled = await bothPaths(
      ['artifact', 'pull', '-p', 'Test-env', '--no-progress'],
      ['artifact', 'pull', '--pipe', 'Test-env', '--no-progress'],
      a,
      b,
    );
    expect(pulled.stdout).toMatch(/files? checked out/);
    expect(listFiles(a, ['.git'])).toEqual(listFiles(b, ['.git']));
    const one = await bothPaths(
      ['artifact', 'pull', '-p', 'Test-env', '-a', 'data.xml.gz', '--force'],
      ['artifact', 'pull', '-p', 'Test-env', '--artifact', 'data.xml.gz', '--force'],
      a,
      b,
    );
    expect(one.code).toBe(0);
  });

  it('fails with the same errors, hints and exit codes', async () => {
    const empty = join(root, 'no-mlmd');
    cloneProject(project, empty);
    rmSync(join(empty, 'mlmd'));
    // No MLMD file where cmf looks by default: the hint speaks of the default, not of -f.
    const noMlmd = await bothPaths(
      ['artifact', 'pull', '-p', 'Test-env'],
      ['artifact', 'pull', '--pipel', 'Test-env'],
      empty,
    );
    expect(noMlmd.code).toBe(3);
    expect(noMlmd.stderr).toContain('without -f/--file_name cmf opens ./mlmd');
    const given = await bothPaths(
      ['artifact', 'push', '-p', 'Test-env', '-f', 'nowhere/mlmd', '--json'],
      ['artifact', 'push', '-p', 'Test-env', '--file', 'nowhere/mlmd', '--json'],
      empty,
    );
    expect(given.code).toBe(3);
    expect(JSON.parse(given.stderr)).toMatchObject({ status: 'error' });
    const unknown = await bothPaths(
      ['artifact', 'pull', '-p', 'Test-env', '-a', 'nothing-of-that-name'],
      ['artifact', 'pull', '-p', 'Test-env', '--art', 'nothing-of-that-name'],
      project,
    );
    expect(unknown.code).toBe(3);
    const blank = await bothPaths(
      ['artifact', 'push', '-p', '  '],
      ['artifact', 'push', '--pip', '  '],
      project,
    );
    expect(blank).toMatchObject({ code: 2, stdout: '' });
  });

  it('leaves what it does not take to oclif: oclif explains usage errors and prints help', async () => {
    const badJobs = await cmf(['artifact', 'push', '-p', 'Test-env', '-j', '0'], project);
    expect(badJobs).toMatchObject({ code: 2, oclif: true });
    expect(badJobs.stderr).toContain('expected an integer from 1 to 256');
    const help = await cmf(['artifact', 'pull', '-p', 'Test-env', '--help'], project);
    expect(help).toMatchObject({ code: 0, oclif: true });
    expect(help.stdout).toContain('--artifact_name');
  });

  it('ends a failure with its exit code even when stderr cannot take the message', () => {
    const full = openSync('/dev/full', 'w');
    const codes = [['-p'], ['--pip']].map(([flag]) => {
      const run = spawnSync(join(repoRoot, 'bin/cmf'), ['artifact', 'push', flag!, 'Nope'], {
        cwd: project,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', full],
      });
      return run.status;
    });
    expect(codes).toEqual([3, 3]);
  });

  it('says the current directory is gone, not that cmf has a bug', () => {
    for (const flag of ['-p', '--pip']) {
      const run = spawnSync(
        'sh',
        [
          '-c',
          'mkdir gone && cd gone && rmdir ../gone && exec "$0" "$@"',
          join(repoRoot, 'bin/cmf'),
        ].concat(['artifact', 'push', flag, 'Test-env']),
        { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' },
      );
      expect(run.status, flag).toBe(3);
      expect(run.stderr, flag).toContain('Error: The current directory no longer exists');
      expect(run.stderr, flag).not.toContain('bug');
    }
  });

  it('runs the bundle, or the modules when one of them changed after it was built', () => {
    // A copy of the built cmf whose files this test may change.
    const copy = join(root, 'built-copy');
    for (const f of ['bin', 'dist', 'package.json', 'oclif.manifest.json']) {
      cpSync(join(repoRoot, f), join(copy, f), { recursive: true, preserveTimestamps: true });
    }
    symlinkSync(join(repoRoot, 'node_modules'), join(copy, 'node_modules'));
    const push = () =>
      spawnSync(
        process.execPath,
        [join(copy, 'bin/run.js'), 'artifact', 'push', '-p', 'Test-env'],
        {
          cwd: project,
          env: { ...process.env, ...env },
          encoding: 'utf8',
        },
      ).stdout;
    const mark = (file: string, word: string) => {
      const path = join(copy, 'dist', file);
      writeFileSync(
        path,
        readFileSync(path, 'utf8').replace('already there, ', `already there ${word}, `),
      );
    };
    // The transfers are a chunk of the bundle, which fast-run.js loads when they run.
    const chunk = readdirSync(join(copy, 'dist/fast')).find(
      (f) => f.startsWith('artifact-transfers-') && f.endsWith('.js'),
    );
    mark(`fast/${chunk}`, '(bundle)');
    expect(push()).toContain('already there (bundle), ');
    // `tsc -w` rewrites the module it recompiled, not the bundle.
    mark('cli/artifact-transfers.js', '(module)');
    expect(push()).toContain('already there (module), ');
    // A later build makes the bundle current again.
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(copy, 'dist/fast/fast-run.js'), later, later);
    expect(push()).toContain('already there (bundle), ');
    rmSync(join(copy, 'dist/fast'), { recursive: true });
    expect(push()).toContain('already there (module), ');
  });
});
