import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCmf } from '../helpers/cli.js';
import { FixtureBuilder, buildSmallFixture } from '../helpers/mlmd-fixture.js';
import { tempDir } from '../helpers/tmp.js';

async function project(): Promise<string> {
  const dir = await tempDir('cmf-list-');
  buildSmallFixture(dir);
  return dir;
}

describe('cmf pipeline list', () => {
  it('prints one name per line; --json prints records', async () => {
    const cwd = await project();
    const r = await runCmf(['pipeline', 'list'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Test-env\nMetrics-only\nEmpty\n');
    const j = await runCmf(['pipeline', 'list', '--json'], { cwd });
    expect(JSON.parse(j.stdout).map((p: { name: string }) => p.name)).toEqual([
      'Test-env',
      'Metrics-only',
      'Empty',
    ]);
  });

  it('a missing MLMD file is exit 3 and is not created', async () => {
    const cwd = await tempDir();
    const r = await runCmf(['pipeline', 'list', '-f', 'nope/mlmd'], { cwd });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/Error: .*nope\/mlmd/);
    expect(r.stderr).toMatch(/Hint: /);
    expect(existsSync(join(cwd, 'mlmd'))).toBe(false);
  });

  it('a corrupt MLMD file is exit 5 (JSON error with --json)', async () => {
    const cwd = await tempDir();
    writeFileSync(join(cwd, 'mlmd'), 'this is not a database'.repeat(100));
    const r = await runCmf(['pipeline', 'list', '--json'], { cwd });
    expect(r.code).toBe(5);
    expect(JSON.parse(r.stderr)).toMatchObject({ status: 'error', error: { exitCode: 5 } });
  });
});

describe('cmf artifact list', () => {
  it('prints the 7-column grid, everything at once when not a terminal', async () => {
    const cwd = await project();
    const r = await runCmf(['artifact', 'list', '-p', 'Test-env', '--page-size', '1'], { cwd });
    expect(r.code).toBe(0);
    const header = r.stdout.split('\n')[1];
    expect(
      header
        ?.split('|')
        .map((s) => s.trim())
        .filter(Boolean),
    ).toEqual(['id', 'name', 'type', 'create_time_since_epoch', 'url', 'Commit', 'uri']);
    expect(r.stdout).toContain('| artifacts/data |');
    expect(r.stdout).not.toContain('Press any key');
    // All four artifacts in one table despite --page-size 1; the metrics row shows nan.
    expect(r.stdout.match(/^\|\s+\d+ \|/gm)).toHaveLength(4);
    expect(r.stdout).toMatch(/\| nan\s+\| nan\s+\|/);
  });

  it('a metrics-only pipeline lists without crashing', async () => {
    const cwd = await project();
    const r = await runCmf(['artifact', 'list', '-p', 'Metrics-only'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Metrics');
  });

  it('-a shows the transposed detail view; --json the records', async () => {
    const cwd = await project();
    const r = await runCmf(['artifact', 'list', '-p', 'Test-env', '-a', 'data.xml.gz'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\| id +\| 1 +\|$/m);
    expect(r.stdout).toMatch(/^\| custom_properties_note +\| naïve ✓ +\|$/m);
    const j = await runCmf(['artifact', 'list', '-p', 'Test-env', '--json'], { cwd });
    const rows = JSON.parse(j.stdout);
    expect(rows).toHaveLength(4);
    expect(rows[3]).toMatchObject({ type: 'Metrics', custom_properties_count: 3 });
    // SQLite writes this listing's JSON: still 2-space pretty-printed, as JSON.stringify would.
    expect(j.stdout).toBe(JSON.stringify(rows, null, 2) + '\n');
  });

  it('unknown pipeline or artifact is exit 3 with a hint', async () => {
    const cwd = await project();
    const p = await runCmf(['artifact', 'list', '-p', 'nope'], { cwd });
    expect(p.code).toBe(3);
    expect(p.stderr).toMatch(/Pipeline "nope" doesn't exist/);
    expect(p.stderr).toMatch(/Hint: Pipelines in this file: Test-env, Metrics-only, Empty/);
    const a = await runCmf(['artifact', 'list', '-p', 'Test-env', '-a', 'missing.csv'], { cwd });
    expect(a.code).toBe(3);
    expect(a.stderr).toMatch(/Artifact "missing.csv" not found/);
    expect(a.stderr).toContain(
      "Hint: Give the full name, the path or the file name of an artifact; 'cmf artifact list -p Test-env' shows them.",
    );
  });

  it('a pipeline or artifact name close to one that exists is suggested (text and --json)', async () => {
    const cwd = await project();
    for (const typo of ['test-env', 'Test-evn']) {
      const p = await runCmf(['artifact', 'list', '-p', typo], { cwd });
      expect(p.code).toBe(3);
      expect(p.stderr).toContain(
        "Hint: Did you mean 'Test-env'? 'cmf pipeline list' shows the pipelines.",
      );
    }
    const pj = await runCmf(['metadata', 'export', '-p', 'test-env', '--json'], { cwd });
    expect(pj.code).toBe(3);
    expect(JSON.parse(pj.stderr).error.data).toMatchObject({
      pipeline: 'test-env',
      suggestions: ['Test-env'],
    });
    const cases: [string, string][] = [
      ['data.xml.g', 'data.xml.gz'],
      ['artifacts/parse/train.tsv', 'artifacts/parsed/train.tsv'],
    ];
    for (const [typo, meant] of cases) {
      const a = await runCmf(['artifact', 'list', '-p', 'Test-env', '-a', typo], { cwd });
      expect(a.code).toBe(3);
      expect(a.stderr).toContain(
        `Hint: Did you mean '${meant}'? 'cmf artifact list -p Test-env' shows the artifacts.`,
      );
      const aj = await runCmf(['artifact', 'list', '-p', 'Test-env', '-a', typo, '--json'], {
        cwd,
      });
      expect(JSON.parse(aj.stderr).error.data.suggestions).toEqual([meant]);
    }
  });

  it('among many pipelines: the close one is suggested, else the first ten and how many more', async () => {
    const cwd = await tempDir('cmf-list-');
    const b = new FixtureBuilder(join(cwd, 'mlmd'));
    for (let i = 0; i < 12; i++) b.pipeline(`team-${String(i).padStart(2, '0')}-nightly`);
    b.pipeline('Test-env');
    b.close();
    const t = await runCmf(['execution', 'list', '-p', 'test-env'], { cwd });
    expect(t.code).toBe(3);
    expect(t.stderr).toContain("Hint: Did you mean 'Test-env'?");
    expect(t.stderr).not.toContain('team-00-nightly');
    const z = await runCmf(['execution', 'list', '-p', 'zzz', '--json'], { cwd });
    expect(JSON.parse(z.stderr).error).toMatchObject({
      hint: expect.stringMatching(
        /^Pipelines in this file: team-00-nightly, .*, team-09-nightly and 3 more\. Run 'cmf pipeline list' to see them all\.$/,
      ),
      data: { suggestions: [] },
    });
  });

  it('a missing -p is a usage error (exit 2)', async () => {
    const cwd = await project();
    const r = await runCmf(['artifact', 'list'], { cwd });
    expect(r.code).toBe(2);
  });
});

describe('cmf execution list', () => {
  it('prints the 7-column grid and the -e detail view', async () => {
    const cwd = await project();
    const r = await runCmf(['execution', 'list', '-p', 'Test-env'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /\| id \| Context_Type\s+\| Execution\s+\| Execution_uuid\s+\| name\s+\| Pipeline_Type\s+\| Git_Repo\s+\|/,
    );
    const e = await runCmf(
      ['execution', 'list', '-p', 'Test-env', '-e', 'f1111111-76f3-11ee-9a0f-0242ac110002'],
      { cwd },
    );
    expect(e.code).toBe(0);
    expect(e.stdout).toMatch(/^\| id +\| 2 +\|$/m);
    expect(e.stdout).toMatch(/^\| Pipeline_Type +\| Test-env +\|$/m);
  });

  it('a uuid prefix (cmflib wants the whole uuid) or a uuid a character off: the uuid is suggested', async () => {
    const cwd = await project();
    const uuid = 'e8a1c7e2-76f3-11ee-9a0f-0242ac110002';
    const prefix = await runCmf(['execution', 'list', '-p', 'Test-env', '-e', 'E8A1C7E2'], {
      cwd,
    });
    expect(prefix.code).toBe(3);
    expect(prefix.stderr).toContain(
      `Hint: Did you mean '${uuid}'? -e takes the whole uuid. 'cmf execution list -p Test-env' shows the executions and their uuids.`,
    );
    const off = uuid.replace(/2$/, '3');
    const o = await runCmf(['execution', 'list', '-p', 'Test-env', '-e', off, '--json'], { cwd });
    expect(o.code).toBe(3);
    expect(JSON.parse(o.stderr).error).toMatchObject({
      code: 'EXECUTION_NOT_FOUND',
      hint: expect.stringMatching(/^Did you mean '[^']+'\? 'cmf/),
      data: { uuid: off, suggestions: [uuid] },
    });
  });

  it('a pipeline name that needs quoting is shell-quoted in the hint command', async () => {
    const cwd = await tempDir('cmf-list-');
    const b = new FixtureBuilder(join(cwd, 'mlmd'));
    b.pipeline("Bob's Pipeline");
    b.close();
    const r = await runCmf(['execution', 'list', '-p', "Bob's Pipeline", '-e', 'nope'], { cwd });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      `Hint: Run "cmf execution list -p 'Bob'\\''s Pipeline'" to see the executions and their uuids.`,
    );
  });

  it('unknown uuid is exit 3; --json prints records', async () => {
    const cwd = await project();
    const r = await runCmf(['execution', 'list', '-p', 'Test-env', '-e', 'nope'], { cwd });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/Execution uuid nope is not present/);
    expect(r.stderr).toContain(
      "Hint: Run 'cmf execution list -p Test-env' to see the executions and their uuids.",
    );
    const j = await runCmf(['execution', 'list', '-p', 'Test-env', '--json'], { cwd });
    expect(JSON.parse(j.stdout).map((e: { name: string }) => e.name)).toEqual([
      '',
      'Test-env/Train',
    ]);
  });
});

describe('cmf metadata export', () => {
  const expected = readFileSync(
    new URL('../fixtures/export/test-env.json', import.meta.url),
    'utf8',
  );

  it('writes <pipeline>.json byte-exact; an existing file is exit 2 unless --force', async () => {
    const cwd = await project();
    const r = await runCmf(['metadata', 'export', '-p', 'Test-env'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`SUCCESS: metadata exported in ${join(cwd, 'Test-env.json')}`);
    expect(readFileSync(join(cwd, 'Test-env.json'), 'utf8')).toBe(expected);
    const again = await runCmf(['metadata', 'export', '-p', 'Test-env'], { cwd });
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
    expect(again.stderr).toMatch(/Hint: Pass --force/);
    const forced = await runCmf(['metadata', 'export', '-p', 'Test-env', '--force'], { cwd });
    expect(forced.code).toBe(0);
  });

  it("appends .json to -j; '-j -' writes to stdout; --json reports the summary", async () => {
    const cwd = await project();
    const r = await runCmf(['metadata', 'export', '-p', 'Test-env', '-j', 'out', '--json'], {
      cwd,
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      path: join(cwd, 'out.json'),
      stages: 2,
      executions: 2,
      events: 5,
    });
    const s = await runCmf(['metadata', 'export', '-p', 'Test-env', '-j', '-'], { cwd });
    expect(s.code).toBe(0);
    expect(s.stdout).toBe(expected + '\n');
  });

  it('unknown pipeline is exit 3, a missing directory exit 3, a missing file exit 3', async () => {
    const cwd = await project();
    expect((await runCmf(['metadata', 'export', '-p', 'nope'], { cwd })).code).toBe(3);
    const d = await runCmf(['metadata', 'export', '-p', 'Test-env', '-j', 'no/dir/x'], { cwd });
    expect(d.code).toBe(3);
    expect(d.stderr).toMatch(/Directory .* doesn't exist/);
    const f = await runCmf(['metadata', 'export', '-p', 'Test-env', '-f', 'other'], { cwd });
    expect(f.code).toBe(3);
  });
});

describe('names from metadata on the terminal', () => {
  async function oddNames(): Promise<string> {
    const cwd = await tempDir('cmf-list-');
    const b = new FixtureBuilder(join(cwd, 'mlmd'));
    for (const name of ['two\nlines', 'evil\rgood', 'esc\x1b[2Jx', 'rtl\u202eabc', 'cafe\u0301'])
      b.pipeline(name);
    b.close();
    return cwd;
  }

  it('pipeline list and the not-found hint show control and bidi characters escaped; --json exact', async () => {
    const cwd = await oddNames();
    const r = await runCmf(['pipeline', 'list'], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('two\\nlines\nevil\\rgood\nesc\\x1b[2Jx\nrtl\\u202eabc\ncafe\u0301\n');
    const j = await runCmf(['pipeline', 'list', '--json'], { cwd });
    expect(JSON.parse(j.stdout).map((p: { name: string }) => p.name)).toEqual([
      'two\nlines',
      'evil\rgood',
      'esc\x1b[2Jx',
      'rtl\u202eabc',
      'cafe\u0301',
    ]);
    const e = await runCmf(['execution', 'list', '-p', 'nope\x1b[31m'], { cwd });
    expect(e.code).toBe(3);
    expect(e.stderr).toContain('Error: Pipeline "nope\\x1b[31m" doesn\'t exist');
    expect(e.stderr).toContain(
      'Hint: Pipelines in this file: two\\nlines, evil\\rgood, esc\\x1b[2Jx, rtl\\u202eabc, cafe\u0301.',
    );
    for (const c of ['\r', '\x1b', '\u202e']) expect(e.stderr).not.toContain(c);
    const ej = await runCmf(['execution', 'list', '-p', 'nope', '--json'], { cwd });
    expect(JSON.parse(ej.stderr).error.data.pipelines).toContain('esc\x1b[2Jx');
    // A suggested name is written as it can be typed back into a shell, still visibly.
    const s = await runCmf(['execution', 'list', '-p', 'esc\x1b[2Jy'], { cwd });
    expect(s.code).toBe(3);
    expect(s.stderr).toContain("Hint: Did you mean $'esc\\x1b[2Jx'?");
    expect(s.stderr).not.toContain('\x1b');
  });

  it('a name that differs only in Unicode normalisation is named as such', async () => {
    const cwd = await oddNames();
    const r = await runCmf(['artifact', 'list', '-p', 'caf\u00e9'], { cwd });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /Hint: A pipeline "cafe\u0301" exists: .* Unicode normalisation \(NFD vs NFC\)/,
    );
  });
});

describe('the same flags for every list command', () => {
  it('-p is trimmed, -e matches in any case and trimmed; pipeline list takes the paging flags', async () => {
    const cwd = await project();
    const p = await runCmf(['execution', 'list', '-p', ' Test-env ', '--json'], { cwd });
    expect(p.code).toBe(0);
    expect(JSON.parse(p.stdout)).toHaveLength(2);
    const uuid = ' F1111111-76F3-11EE-9A0F-0242AC110002';
    const e = await runCmf(['execution', 'list', '-p', 'Test-env', '-e', uuid, '--json'], { cwd });
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout).map((r: { id: number }) => r.id)).toEqual([2]);
    const l = await runCmf(['pipeline', 'list', '--no-pager', '--page-size', '5'], { cwd });
    expect(l.code).toBe(0);
    expect(l.stdout).toBe('Test-env\nMetrics-only\nEmpty\n');
  });
});
