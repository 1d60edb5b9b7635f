import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, runCmf } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

describe('cmf binary basics', () => {
  it('--version prints the package version and exits 0', async () => {
    const r = await runCmf(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^cmf/${pkg.version} linux-x64 node-v\\d+\\.`));
  });

  it('version --json prints a JSON object on stdout', async () => {
    const r = await runCmf(['version', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ version: pkg.version });
  });

  it('--version and -v give the JSON of `version --json` with --json', async () => {
    const expected = JSON.parse((await runCmf(['version', '--json'])).stdout);
    for (const args of [
      ['--version', '--json'],
      ['-v', '--json'],
    ]) {
      const r = await runCmf(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(expected);
    }
  });

  it('help has no JSON form: --help --json is a usage error, JSON on stderr', async () => {
    for (const args of [
      ['--help', '--json'],
      ['artifact', 'list', '--help', '--json'],
      ['help', 'pipeline', 'list', '--json'],
    ]) {
      const r = await runCmf(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: 'HELP_NOT_JSON' } });
    }
  });

  it('a topic without a command prints its help on stderr and exits 2, as argparse does', async () => {
    const r = await runCmf(['artifact']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^USAGE\n {2}\$ cmf artifact COMMAND$/m);
    expect(r.stderr).toMatch(
      /^Error: Missing command: 'cmf artifact' needs one of list, pull or push$/m,
    );
    const json = await runCmf(['init', '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'MISSING_COMMAND' } });
    const bare = await runCmf([]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/^Error: Missing command: 'cmf' needs one of /m);
    const bareJson = await runCmf(['--json']);
    expect(bareJson.code).toBe(2);
    expect(bareJson.stdout).toBe('');
    expect(JSON.parse(bareJson.stderr)).toMatchObject({ error: { code: 'MISSING_COMMAND' } });
    const help = await runCmf(['artifact', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^USAGE\n {2}\$ cmf artifact COMMAND$/m);
    expect(help.stderr).toBe('');
  });

  it('--help lists the commands', async () => {
    const r = await runCmf(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('USAGE');
    expect(r.stdout).toContain('version');
  });

  it('-h is help at every level, as in Python cmf (argparse)', async () => {
    for (const args of [
      ['-h'],
      ['artifact', '-h'],
      ['artifact', 'list', '-h'],
      ['init', 'local', '-h'],
    ]) {
      const r = await runCmf(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout, args.join(' ')).toContain('USAGE');
      expect(r.stderr).toBe('');
    }
    const list = await runCmf(['artifact', 'list', '-h']);
    expect(list.stdout).toContain('$ cmf artifact list');
  });

  it('an unknown flag is a usage error (exit 2) with a hint on stderr', async () => {
    const r = await runCmf(['version', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/Error: .*--bogus/);
    expect(r.stderr).toMatch(/Hint: See 'cmf version --help'/);
  });

  it('an unknown flag close to one the command has gets a "Did you mean"', async () => {
    const r = await runCmf(['artifact', 'list', '-p', 'x', '--pagesize', '5']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'Error: Nonexistent flag: --pagesize\n' +
        "Hint: Did you mean --page-size? See 'cmf artifact list --help'.\n",
    );
  });

  it('a typo of an abbreviated flag (--pipline for --pipeline_name) gets a "Did you mean"', async () => {
    const r = await runCmf(['artifact', 'list', '--pipline', 'P']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'Error: Nonexistent flag: --pipline\n' +
        "Hint: Did you mean --pipeline_name? See 'cmf artifact list --help'.\n",
    );
  });

  it("pipeline list's help says its paging flags are taken but never page (it listed a page size)", async () => {
    const r = await runCmf(['pipeline', 'list', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('Rows per page');
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('this list is never paged');
  });

  it('a switch given a value (--json=true) is a usage error naming it', async () => {
    const r = await runCmf(['pipeline', 'list', '--json=true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'Error: Flag --json takes no value: --json=true\n' +
        'Hint: Give --json alone to turn it on, or leave it out.\n',
    );
  });

  it('integer flags refuse non-integers and values out of their range, naming both', async () => {
    for (const [args, flag, range] of [
      [['artifact', 'list', '-p', 'x', '--page-size', '1e20'], '--page-size', '1 to 10000'],
      [
        ['artifact', 'list', '-p', 'x', '--page-size', '99999999999999999999'],
        '--page-size',
        '1 to 10000',
      ],
      [['artifact', 'push', '-p', 'x', '-j', '1.5'], '-j/--jobs', '1 to 256'],
      [['repo', 'push', '-p', 'x', '--jobs=100000000'], '-j/--jobs', '1 to 256'],
      [['server', 'start', '--port', '70000'], '--port', '0 to 65535'],
      // An SSH remote's port is never 0 (to a server it means "any free port").
      ...['0', '70000', 'x'].map(
        (port) =>
          [
            ['init', 'sshremote', '--path', 'ssh://h/srv', '--user', 'u', '--port', port],
            '--port',
            '1 to 65535',
          ] as const,
      ),
    ] as const) {
      const r = await runCmf([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(`^Error: Invalid value for ${flag}: expected an integer from ${range}, got '`),
      );
    }
  });

  it('a repeated single-value flag is refused, and the hint names the command as typed', async () => {
    const r = await runCmf(['pipeline', 'list', '-f', 'a', '-f', 'b']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/can only be specified once/);
    expect(r.stderr).toMatch(/Hint: See 'cmf pipeline list --help'/);
  });

  it('with --json, a usage error is JSON on stderr', async () => {
    const r = await runCmf(['version', '--bogus', '--json']);
    expect(r.code).toBe(2);
    const err = JSON.parse(r.stderr);
    expect(err).toMatchObject({
      status: 'error',
      error: { name: 'UsageError', code: 'USAGE', exitCode: 2 },
    });
    // A missing -p (found by oclif) and an empty one (found by cmf) are the same class.
    const missing = await runCmf(['artifact', 'list', '--json']);
    const empty = await runCmf(['artifact', 'list', '-p', '', '--json']);
    expect(JSON.parse(missing.stderr).error.name).toBe('UsageError');
    expect(JSON.parse(empty.stderr).error.name).toBe('UsageError');
  });

  it("a missing or empty flag value names the flag as typed, with that flag's own hint", async () => {
    const missing = await runCmf(['artifact', 'list']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^Error: Missing required flag -p\/--pipeline_name$/m);
    expect(missing.stderr).not.toMatch(/See more help|following error/);
    expect(missing.stderr).toMatch(/^Hint: Give the pipeline's name/m);
    const required = await runCmf(['execution', 'list', '-p', '']);
    expect(required.code).toBe(2);
    expect(required.stderr).not.toMatch(/leave/);
    const optional = await runCmf(['execution', 'list', '-p', 'x', '-e', '']);
    expect(optional.code).toBe(2);
    expect(optional.stderr).toMatch(/^Error: Missing value for -e\/--execution_uuid$/m);
    expect(optional.stderr).toMatch(/Hint: Give an execution's uuid.*leave -e out/);
  });

  it('a 0-byte mlmd file or a directory given with -f gets a hint a CLI user can act on', async () => {
    const dir = await tempDir('cmf-e2e-mlmd-');
    writeFileSync(join(dir, 'mlmd'), '');
    mkdirSync(join(dir, 'sub'));
    const empty = await runCmf(['pipeline', 'list'], { cwd: dir });
    expect(empty.code).toBe(5);
    expect(empty.stderr).toMatch(
      /^Hint: Delete the empty file, or fill it with `cmf metadata pull/m,
    );
    const sub = await runCmf(['pipeline', 'list', '-f', 'sub'], { cwd: dir });
    expect(sub.code).toBe(2);
    expect(sub.stderr).toMatch(/^Error: Cannot open MLMD file .*sub: it is a directory\.$/m);
  });

  it('a device given with -f is no "empty file" to delete', async () => {
    const r = await runCmf(['pipeline', 'list', '-f', '/dev/null']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^Error: Cannot open MLMD file \/dev\/null: it is a character device\.$/m,
    );
    expect(r.stderr).not.toMatch(/delete/i);
  });

  it('without -f, a missing or foreign MLMD file is explained as the default file', async () => {
    const dir = await tempDir('cmf-e2e-default-mlmd-');
    const missing = await runCmf(['pipeline', 'list'], { cwd: dir });
    expect(missing.code).toBe(3);
    expect(missing.stderr).not.toMatch(/path given with -f/);
    expect(missing.stderr).toMatch(/^Hint: No MLMD file here: without -f\/--file_name cmf opens/m);
    const given = await runCmf(['pipeline', 'list', '-f', 'mlmd'], { cwd: dir });
    expect(given.stderr).toMatch(/^Hint: Check the path given with -f\/--file_name/m);
    writeFileSync(join(dir, 'mlmd'), 'not a database\n');
    const foreign = await runCmf(['artifact', 'list', '-p', 'x', '--json'], { cwd: dir });
    expect(foreign.code).toBe(5);
    const err = JSON.parse(foreign.stderr).error;
    expect(err).toMatchObject({ name: 'MlmdFileError', code: 'MLMD_NOT_SQLITE' });
    expect(err.hint).toMatch(/^This is the default MLMD file \(without -f\/--file_name/);
  });

  it('long flags may be abbreviated to a unique prefix, as in Python cmf (argparse)', async () => {
    const dir = await tempDir('cmf-e2e-prefix-');
    const r = await runCmf(['execution', 'list', '--pipe', 'Test-env', '--fi', 'nosuch', '--js'], {
      cwd: dir,
    });
    // Parsed: the error is about the MLMD file, in JSON.
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: 'MLMD_FILE_NOT_FOUND' } });
    const ambiguous = await runCmf(['artifact', 'list', '--p', 'x'], { cwd: dir });
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toMatch(
      /^Error: Ambiguous flag --p: it could be --page-size, --pipeline_name$/m,
    );
    const after = await runCmf(['execution', 'list', '-p', 'x', '--', '--pipe'], { cwd: dir });
    expect(after.code).toBe(2);
    expect(after.stderr).toMatch(/Unexpected argument: --pipe/);
  });

  it('stops quietly with the SIGPIPE status when the reader of its output goes away', async () => {
    // `true` exits without reading: cmf's first write meets a closed pipe (EPIPE).
    const bin = join(repoRoot, 'bin', 'cmf');
    const r = spawnSync('bash', ['-c', `'${bin}' --help | true; echo "status \${PIPESTATUS[0]}"`], {
      encoding: 'utf8',
    });
    expect(r.stdout.trim()).toBe('status 141');
    expect(r.stderr).toBe('');
  });

  it('an unknown command is a usage error (exit 2) with a hint, named with spaces', async () => {
    const r = await runCmf(['pipeline', 'lst']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "Error: Unknown command 'cmf pipeline lst'\n" +
        "Hint: Did you mean 'cmf pipeline list'? See 'cmf pipeline --help'.\n",
    );
    const extra = await runCmf(['version', 'extra']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/^Error: Unexpected argument to 'cmf version': extra$/m);
    expect(extra.stderr).toMatch(/^Hint: See 'cmf version --help'\.$/m);
  });

  it('help for an unknown command is the same usage error, from --help and from `help`', async () => {
    for (const args of [
      ['init', 'minios3', '--help'],
      ['help', 'init', 'minios3'],
    ]) {
      const r = await runCmf(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toBe(
        "Error: Unknown command 'cmf init minios3'\n" +
          "Hint: Did you mean 'cmf init minioS3'? See 'cmf init --help'.\n",
      );
    }
    const json = await runCmf(['help', 'nosuch', '--json']);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'COMMAND_NOT_FOUND' } });
    const known = await runCmf(['help', 'pipeline', 'list']);
    expect(known.code).toBe(0);
    expect(known.stdout).toMatch(/^USAGE\n {2}\$ cmf pipeline list /m);
  });

  it('with --json, an unknown command is a JSON error on stderr', async () => {
    for (const flag of ['--json', '--js']) {
      const r = await runCmf(['nosuch', flag]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(JSON.parse(r.stderr)).toMatchObject({
        status: 'error',
        error: {
          code: 'COMMAND_NOT_FOUND',
          exitCode: 2,
          hint: "See 'cmf --help' for the commands.",
        },
      });
    }
  });
});
