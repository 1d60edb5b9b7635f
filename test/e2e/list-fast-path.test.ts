/**
 * `cmf pipeline list`, `cmf execution list` and `cmf artifact list` run without oclif when
 * their command line is plain (src/cli/fast-path.ts). Through the built binary, each case is
 * run twice, once in the plain form and once with an abbreviated flag (which only oclif's path
 * takes): exit code, stdout and stderr must be the same, and a probe loaded into the process
 * tells which path ran.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, type CmfRun } from '../helpers/cli.js';
import { PathProbe, type ProbedRun } from '../helpers/path-probe.js';
import { buildSmallFixture } from '../helpers/mlmd-fixture.js';

let root: string;
let project: string;
let empty: string;
let env: Record<string, string>;
let probe: PathProbe;

/** Runs cmf with probes that tell which path ran it (test/helpers/path-probe.ts). */
const cmf = (args: string[], cwd: string): Promise<ProbedRun> => probe.run(args, cwd);

/** Loaded modules of cmf's own (dist/) with the transfer engine in them. */
const transferEngine = (modules: string[]) =>
  modules.filter(
    (url) =>
      url.includes('/dist/') &&
      readFileSync(fileURLToPath(url), 'utf8').includes('function pushObjects('),
  );

/** The same case through both paths: `plain` fast, `viaOclif` with an abbreviated flag. */
async function bothPaths(plain: string[], viaOclif: string[], cwd = project) {
  const fast = await cmf(plain, cwd);
  const slow = await cmf(viaOclif, cwd);
  expect([fast.oclif, slow.oclif], plain.join(' ')).toEqual([false, true]);
  // A listing needs none of the transfer code (not even for its stop-signal handler).
  expect(transferEngine(fast.modules), plain.join(' ')).toEqual([]);
  const shown = ({ code, stdout, stderr }: CmfRun) => ({ code, stdout, stderr });
  expect(shown(fast), plain.join(' ')).toEqual(shown(slow));
  return fast;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cmf-e2e-fast-list-'));
  project = join(root, 'project');
  empty = join(root, 'empty');
  mkdirSync(project);
  mkdirSync(empty);
  mkdirSync(join(root, 'home'));
  env = isolatedEnv(join(root, 'home'));
  probe = new PathProbe(root, env);
  buildSmallFixture(project);
});

afterAll(() => rm(root, { recursive: true, force: true }));

describe('the fast path of the listings', () => {
  it('lists pipelines as oclif does, text and JSON', async () => {
    const text = await bothPaths(['pipeline', 'list'], ['pipeline', 'list', '--page', '20']);
    expect(text).toMatchObject({ code: 0, stdout: 'Test-env\nMetrics-only\nEmpty\n' });
    const json = await bothPaths(
      ['pipeline', 'list', '--json', '--no-pager', '--page-size', '3', '-f', 'mlmd'],
      ['pipeline', 'list', '--js', '--no-pager', '--page-size', '3', '-f', 'mlmd'],
    );
    expect(JSON.parse(json.stdout)).toHaveLength(3);
  });

  it('lists executions as oclif does: the table, the -e details, JSON', async () => {
    const table = await bothPaths(
      ['execution', 'list', '-p', 'Test-env'],
      ['execution', 'list', '--pipeline', 'Test-env'],
    );
    expect(table.stdout).toContain('| Execution_uuid');
    const uuid = 'f1111111-76f3-11ee-9a0f-0242ac110002';
    const details = await bothPaths(
      ['execution', 'list', '--pipeline-name', 'Test-env', '-e', uuid, '--no-pager'],
      ['execution', 'list', '--pipeline-name', 'Test-env', '--exec', uuid, '--no-pager'],
    );
    expect(details.stdout).toMatch(/^\| id +\| 2 +\|$/m);
    const json = await bothPaths(
      ['execution', 'list', '-p', 'Test-env', '--json'],
      ['execution', 'list', '-p', 'Test-env', '--j'],
    );
    expect(JSON.parse(json.stdout).length).toBeGreaterThan(0);
    const none = await bothPaths(
      ['execution', 'list', '-p', 'Empty'],
      ['execution', 'list', '--pip', 'Empty'],
    );
    expect(none).toMatchObject({
      code: 0,
      stdout: '',
      stderr: 'Pipeline Empty has no executions.\n',
    });
  });

  it('lists artifacts as oclif does: the table, the -a details, JSON', async () => {
    const table = await bothPaths(
      ['artifact', 'list', '-p', 'Test-env', '--page-size=5'],
      ['artifact', 'list', '-p', 'Test-env', '--page-s=5'],
    );
    expect(table.stdout).toContain('| create_time_since_epoch');
    const details = await bothPaths(
      ['artifact', 'list', '-p', 'Test-env', '--artifact_name', 'data.xml.gz'],
      ['artifact', 'list', '-p', 'Test-env', '--artifact', 'data.xml.gz'],
    );
    expect(details.stdout).toMatch(/^\| custom_properties_note +\| naïve ✓ +\|$/m);
    const json = await bothPaths(
      ['artifact', 'list', '-p', 'Test-env', '--json'],
      ['artifact', 'list', '-p', 'Test-env', '--jso'],
    );
    expect(JSON.parse(json.stdout)).toHaveLength(4);
    const oneJson = await bothPaths(
      ['artifact', 'list', '-p', 'Test-env', '-a', 'data.xml.gz', '--json'],
      ['artifact', 'list', '-p', 'Test-env', '-a', 'data.xml.gz', '--jso'],
    );
    expect(JSON.parse(oneJson.stdout)).toHaveLength(1);
  });

  it('fails with the same errors, hints and exit codes: unknown pipeline, artifact, uuid', async () => {
    for (const [command, flag] of [
      ['execution', '--pipeline_n'],
      ['artifact', '--pipeline_n'],
    ] as const) {
      const unknown = await bothPaths(
        [command, 'list', '-p', 'Test-enx'],
        [command, 'list', flag, 'Test-enx'],
      );
      expect(unknown.code).toBe(3);
      expect(unknown.stderr).toContain('Pipeline "Test-enx" doesn\'t exist');
      const json = await bothPaths(
        [command, 'list', '-p', 'nope', '--json'],
        [command, 'list', flag, 'nope', '--json'],
      );
      expect(json).toMatchObject({ code: 3, stdout: '' });
      expect(JSON.parse(json.stderr)).toMatchObject({ status: 'error' });
      const blank = await bothPaths([command, 'list', '-p', '  '], [command, 'list', flag, '  ']);
      expect(blank).toMatchObject({ code: 2, stdout: '' });
    }
    const artifact = await bothPaths(
      ['artifact', 'list', '-p', 'Test-env', '-a', 'missing.csv'],
      ['artifact', 'list', '-p', 'Test-env', '--art', 'missing.csv'],
    );
    expect(artifact.code).toBe(3);
    const uuid = await bothPaths(
      ['execution', 'list', '-p', 'Test-env', '-e', 'f1111111'],
      ['execution', 'list', '-p', 'Test-env', '--exe', 'f1111111'],
    );
    expect(uuid.code).toBe(3);
  });

  it('a missing MLMD file: the same error, exit 3, whether cmf chose the file or -f named it', async () => {
    const cases = [
      [
        ['pipeline', 'list'],
        ['pipeline', 'list', '--no-pag'],
      ],
      [
        ['execution', 'list', '-p', 'P'],
        ['execution', 'list', '--pipeline', 'P'],
      ],
      [
        ['artifact', 'list', '-p', 'P'],
        ['artifact', 'list', '--pipeline', 'P'],
      ],
    ];
    for (const [plain, viaOclif] of cases) {
      // No MLMD file where cmf looks by default: the hint speaks of the default, not of -f.
      const defaulted = await bothPaths(plain!, viaOclif!, empty);
      expect(defaulted.code).toBe(3);
      expect(defaulted.stderr).toContain('without -f/--file_name cmf opens ./mlmd');
      const given = await bothPaths(
        [...plain!, '-f', 'nowhere/mlmd', '--json'],
        [...viaOclif!, '--file', 'nowhere/mlmd', '--json'],
        empty,
      );
      expect(given).toMatchObject({ code: 3, stdout: '' });
      expect(JSON.parse(given.stderr)).toMatchObject({ status: 'error' });
    }
  });

  it('leaves what it does not take to oclif: usage errors, help', async () => {
    const badPage = await cmf(['artifact', 'list', '-p', 'Test-env', '--page-size', '0'], project);
    expect(badPage).toMatchObject({ code: 2, oclif: true });
    const noPipeline = await cmf(['execution', 'list'], project);
    expect(noPipeline).toMatchObject({ code: 2, oclif: true });
    const help = await cmf(['pipeline', 'list', '--help'], project);
    expect(help).toMatchObject({ code: 0, oclif: true });
    expect(help.stdout).toContain('--page-size');
  });
});
