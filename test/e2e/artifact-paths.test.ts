/**
 * Which workspace paths `cmf artifact pull/push/list` use, through the built binary: recorded
 * paths relative to the MLMD file's directory, the version of a path logged last, and how
 * `-a NAME` selects artifacts.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { Cmf } from '../../src/index.js';
import { cloneProject, GIT_URL } from '../helpers/artifact-project.js';
import { isolatedEnv, runCmf, runCmfOrKill } from '../helpers/cli.js';
import { gitCli } from '../helpers/git-cli.js';

let root: string;
let project: string;
let env: Record<string, string>;
let n = 0;

const cmf = (args: string[], cwd: string) => runCmf(args, { cwd, env });

function write(dir: string, rel: string, text: string): void {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), text);
}

/** A clone with both MLMD files, and no cache. */
function clone(): string {
  const dst = join(root, `clone-${n++}`);
  cloneProject(project, dst);
  mkdirSync(join(dst, 'runs'), { recursive: true });
  cpSync(join(project, 'runs/mlmd'), join(dst, 'runs/mlmd'));
  return dst;
}

/** One stage with one execution that logs `paths` (already written) as outputs. */
async function stage(cmf: Cmf, name: string, paths: string[]): Promise<void> {
  await cmf.createContext(name);
  await cmf.createExecution(name);
  for (const p of paths) await cmf.logDataset(p, 'output');
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cmf-e2e-paths-'));
  project = join(root, 'project');
  mkdirSync(join(root, 'home'));
  mkdirSync(project);
  env = isolatedEnv(join(root, 'home'));
  const git = (...args: string[]) => gitCli(project, ...args);
  git('init', '-q');
  git('config', 'user.name', 'Test');
  git('config', 'user.email', 'test@example.com');
  const init = await cmf(
    ['init', 'local', '--path', join(root, 'remote'), '--git-remote-url', GIT_URL],
    project,
  );
  if (init.code !== 0) throw new Error(init.stderr);

  // Sub: the MLMD file in a subfolder; the library records ../data/raw.csv.
  write(project, 'data/raw.csv', 'a,b\n1,2\n');
  mkdirSync(join(project, 'runs'));
  const sub = await Cmf.open({ cwd: project, pipelineName: 'Sub', filepath: 'runs/mlmd' });
  await sub.createContext('Prepare');
  await sub.createExecution('Prepare');
  await sub.logDataset('data/raw.csv', 'input');
  await sub.finalize();
  await sub.close();

  // Many: many_1.txt logged as version 1, then 2, then 1 again (the older artifact id).
  const many = await Cmf.open({ cwd: project, pipelineName: 'Many' });
  write(project, 'many_1.txt', 'version 1\n');
  write(project, 'other/many_1.txt', 'other\n');
  write(project, 'art/parsed/train.tsv', 'x\ty\n');
  write(project, 'other/train.tsv', 'other train\n');
  write(project, 'labels.csv', 'id,label\n0,1\n');
  await stage(many, 'One', [
    'many_1.txt',
    'other/many_1.txt',
    'art/parsed/train.tsv',
    'other/train.tsv',
  ]);
  await many.logLabel('labels.csv', 'many_1.txt');
  await many.logExecutionMetrics('metrics', { auc: 0.5 });
  write(project, 'many_1.txt', 'version 2\n');
  await stage(many, 'Two', ['many_1.txt']);
  write(project, 'many_1.txt', 'version 1\n');
  await stage(many, 'Three', ['many_1.txt']);
  await many.finalize();
  await many.close();

  // Odd: a directory whose file names hold characters that are separators only on Windows.
  write(project, 'odd/back\\slash.txt', 'b\n');
  write(project, 'odd/c:notes.txt', 'c\n');
  const odd = await Cmf.open({ cwd: project, pipelineName: 'Odd' });
  await stage(odd, 'One', ['odd']);
  await odd.finalize();
  await odd.close();

  // Colon: paths that hold `:` (a file, a directory, a model, step metrics).
  write(project, 'colon:x.csv', 'x\n1\n');
  write(project, 'colon:dir/a.txt', 'a\n');
  write(project, 'colon:m.pkl', 'model\n');
  const colon = await Cmf.open({ cwd: project, pipelineName: 'Colon' });
  await stage(colon, 'One', ['colon:x.csv', 'colon:dir']);
  await colon.logModel('colon:m.pkl', 'output');
  colon.logMetric('m:1', { loss: 1 });
  await colon.commitMetrics('m:1');
  await colon.finalize();
  await colon.close();

  for (const [p, f] of [
    ['Sub', 'runs/mlmd'],
    ['Many', 'mlmd'],
    ['Odd', 'mlmd'],
    ['Colon', 'mlmd'],
  ] as const) {
    const r = await cmf(['artifact', 'push', '-p', p, '-f', f], project);
    if (r.code !== 0) throw new Error(r.stderr);
  }
}, 60_000);

afterAll(() => rm(root, { recursive: true, force: true }));

describe('file names that are separators only on Windows', () => {
  it('a directory with `a\\b.txt` and `c:x.txt` files pulls back as it was pushed', async () => {
    const dir = clone();
    const r = await cmf(['artifact', 'pull', '-p', 'Odd'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'odd/back\\slash.txt'), 'utf8')).toBe('b\n');
    expect(readFileSync(join(dir, 'odd/c:notes.txt'), 'utf8')).toBe('c\n');
  });
});

/** Renames artifacts (and the event path steps that name them) in the clone's MLMD file. */
function rename(dir: string, from: RegExp, to: (m: string) => string): void {
  const db = new Database(join(dir, 'mlmd'));
  try {
    for (const { id, name } of db.prepare('SELECT id, name FROM Artifact').all() as {
      id: number;
      name: string;
    }[]) {
      if (!from.test(name)) continue;
      const renamed = name.replace(from, to);
      db.prepare('UPDATE Artifact SET name = ? WHERE id = ?').run(renamed, id);
      db.prepare('UPDATE EventPath SET step_key = ? WHERE step_key = ?').run(renamed, name);
    }
  } finally {
    db.close();
  }
}

describe('-a in the other Unicode normalisation', () => {
  it('a name as typed in the other Unicode normalisation is named as such', async () => {
    const dir = clone();
    rename(dir, /^colon:x\.csv(?=:)/, () => 'cafe\u0301.csv');
    for (const verb of ['list', 'pull']) {
      const r = await cmf(['artifact', verb, '-p', 'Colon', '-a', 'caf\u00e9.csv'], dir);
      expect(r.code, verb).toBe(3);
      expect(r.stderr, verb).toMatch(
        /Hint: An artifact "cafe\u0301.csv:[0-9a-f]{32}" exists: .* Unicode normalisation \(NFD vs NFC\)/,
      );
    }
  });
});

describe('names recorded on Windows', () => {
  it('`win\\x.csv` is pulled to win/x.csv and -a win/x.csv finds it; `C:\\…` and UNC names are refused', async () => {
    const dir = clone();
    rename(dir, /^colon:x\.csv(?=:)/, () => 'win\\x.csv');
    rename(dir, /^colon:m\.pkl(?=:)/, () => 'C:\\Users\\me\\proj\\m.pkl');
    rename(dir, /^colon:dir(?=:)/, () => '\\\\server\\share\\dir');
    const list = await cmf(['artifact', 'list', '-p', 'Colon', '-a', 'win/x.csv'], dir);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('win\\x.csv');
    const r = await cmf(['artifact', 'pull', '-p', 'Colon'], dir);
    expect(r.code).toBe(1);
    expect(readFileSync(join(dir, 'win/x.csv'), 'utf8')).toBe('x\n1\n');
    expect(r.stderr).toContain(
      'C:\\Users\\me\\proj\\m.pkl is an absolute Windows path (logged on Windows), outside the project',
    );
    expect(r.stderr).toContain('\\\\server\\share\\dir is an absolute Windows path');
    const odd = readdirSync(dir).filter((f) => f.includes('\\') || f.startsWith('C:'));
    expect(odd).toEqual([]);
  });

  it('a local remote url holding a Windows path: push and pull say so (text and --json)', async () => {
    const dir = clone();
    cpSync(join(project, '.dvc/cache'), join(dir, '.dvc/cache'), { recursive: true });
    const config = join(dir, '.dvc/config');
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace(/^(\s*url = ).*$/m, '$1C:\\Users\\me\\remote'),
    );
    for (const verb of ['push', 'pull']) {
      const r = await cmf(['artifact', verb, '-p', 'Colon'], dir);
      expect(r.stderr, verb).toMatch(
        /^Warning: remote '.*' is the directory .*: its url holds the Windows path C:\\Users\\me\\remote/m,
      );
      const j = await cmf(['artifact', verb, '-p', 'Colon', '--json'], dir);
      expect(JSON.parse(j.code === 0 ? j.stdout : j.stderr), verb).toMatchObject({
        warnings: [expect.stringContaining('its url holds the Windows path')],
      });
    }
  });
});

describe('paths that hold a colon', () => {
  it('pull restores `colon:x.csv` (and a directory, a model, step metrics) there, not at `colon`', async () => {
    const dir = clone();
    for (const f of ['colon:x.csv', 'colon:dir', 'colon:m.pkl'])
      rmSync(join(dir, f), { recursive: true, force: true });
    write(dir, 'colon', 'an unrelated user file\n');
    const r = await cmf(['artifact', 'pull', '-p', 'Colon'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'colon'), 'utf8')).toBe('an unrelated user file\n');
    expect(readFileSync(join(dir, 'colon:x.csv'), 'utf8')).toBe('x\n1\n');
    expect(readFileSync(join(dir, 'colon:dir/a.txt'), 'utf8')).toBe('a\n');
    expect(readFileSync(join(dir, 'colon:m.pkl'), 'utf8')).toBe('model\n');
    const runs = readdirSync(join(dir, 'cmf_artifacts'), { withFileTypes: true });
    const run = runs.find((d) => d.isDirectory())!.name;
    expect(existsSync(join(dir, 'cmf_artifacts', run, 'metrics', 'm:1'))).toBe(true);
    expect(existsSync(join(dir, 'cmf_artifacts', run, 'metrics', 'm'))).toBe(false);
  });

  it('-a selects such a path whole, in list and pull', async () => {
    const dir = clone();
    rmSync(join(dir, 'colon:x.csv'), { force: true });
    const p = await cmf(['artifact', 'pull', '-p', 'Colon', '-a', 'colon:x.csv', '--json'], dir);
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout).checkedOut).toEqual(['colon:x.csv']);
    expect(readFileSync(join(dir, 'colon:x.csv'), 'utf8')).toBe('x\n1\n');
    const l = await cmf(['artifact', 'list', '-p', 'Colon', '-a', 'colon:x.csv', '--json'], dir);
    expect(l.code, l.stderr).toBe(0);
    expect((JSON.parse(l.stdout) as Array<{ name: string }>).map((x) => x.name)).toEqual([
      expect.stringMatching(/^colon:x\.csv:[0-9a-f]{32}$/),
    ]);
  });
});

describe('an MLMD file in a subfolder', () => {
  it('pull restores the files at the paths the library recorded (relative to the MLMD directory)', async () => {
    const dir = clone();
    const r = await cmf(['artifact', 'pull', '-p', 'Sub', '-f', 'runs/mlmd'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'data/raw.csv'), 'utf8')).toBe('a,b\n1,2\n');
    const env = readdirSync(join(dir, 'runs/cmf_artifacts')).filter((f) => f.endsWith('.yaml'));
    expect(env).toHaveLength(1);
    expect(existsSync(join(dir, 'cmf_artifacts', env[0]!))).toBe(false);
  });

  it('the same from inside the subfolder, with -a naming the recorded path', async () => {
    const dir = clone();
    const r = await cmf(
      ['artifact', 'pull', '-p', 'Sub', '-f', 'mlmd', '-a', '../data/raw.csv'],
      join(dir, 'runs'),
    );
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'data/raw.csv'), 'utf8')).toBe('a,b\n1,2\n');
  });
});

describe('several versions of one path', () => {
  it('pull checks out the version logged last, even when it has the lower artifact id', async () => {
    const dir = clone();
    const r = await cmf(['artifact', 'pull', '-p', 'Many'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'many_1.txt'), 'utf8')).toBe('version 1\n');
  });
});

describe('-a NAME', () => {
  const names = async (pipeline: string, mlmd: string, wanted: string, cwd = project) => {
    const l = await cmf(
      ['artifact', 'list', '-p', pipeline, '-f', mlmd, '-a', wanted, '--json'],
      cwd,
    );
    expect(l.code, `${wanted}: ${l.stderr}`).toBe(0);
    return (JSON.parse(l.stdout) as Array<{ name: string }>).map((x) => x.name);
  };

  it('a path as typed (./, absolute, from the current directory) selects the same in list and pull', async () => {
    const dir2 = clone();
    for (const a of ['data/raw.csv', './data/raw.csv', join(dir2, 'data/raw.csv')]) {
      const p = await cmf(
        ['artifact', 'pull', '-p', 'Sub', '-f', 'runs/mlmd', '-a', a, '--json'],
        dir2,
      );
      expect(p.code, `${a}: ${p.stderr}`).toBe(0);
      expect(JSON.parse(p.stdout).checkedOut).toEqual(['data/raw.csv']);
      const l = await cmf(
        ['artifact', 'list', '-p', 'Sub', '-f', 'runs/mlmd', '-a', a, '--json'],
        dir2,
      );
      expect(l.code, `${a}: ${l.stderr}`).toBe(0);
      expect(
        (JSON.parse(l.stdout) as Array<{ name: string }>).map((x) => x.name.split(':')[0]),
      ).toEqual(['../data/raw.csv']);
    }

    const full = (await names('Sub', 'runs/mlmd', 'raw.csv'))[0]!;
    const short = full.replace('../data/', '');
    expect(await names('Sub', 'runs/mlmd', short)).toEqual([full]);
    const p = await cmf(['artifact', 'pull', '-p', 'Sub', '-f', 'runs/mlmd', '-a', short], clone());
    expect(p.code, p.stderr).toBe(0);
  });

  it('an exact path wins over file names: -a many_1.txt is not other/many_1.txt', async () => {
    const dir = clone();
    const a = await cmf(['artifact', 'pull', '-p', 'Many', '-a', 'many_1.txt', '--json'], dir);
    expect(a.code, a.stderr).toBe(0);
    expect(JSON.parse(a.stdout)).toMatchObject({ artifacts: 2, checkedOut: ['many_1.txt'] });
    expect(readFileSync(join(dir, 'many_1.txt'), 'utf8')).toBe('version 1\n');
    expect(existsSync(join(dir, 'other/many_1.txt'))).toBe(false);
    const listed = await names('Many', 'mlmd', './many_1.txt');
    expect(new Set(listed.map((x) => x.split(':')[0]))).toEqual(new Set(['many_1.txt']));
  });

  it('a file name at several paths is refused (exit 2) by pull, naming the paths; list shows them all', async () => {
    const r = await cmf(['artifact', 'pull', '-p', 'Many', '-a', 'train.tsv'], clone());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('art/parsed/train.tsv, other/train.tsv');
    expect(r.stderr).toMatch(/Hint: Give the path/);
    const list = await cmf(
      ['artifact', 'list', '-p', 'Many', '-a', 'train.tsv', '--json'],
      clone(),
    );
    expect(list.code, list.stderr).toBe(0);
    const paths = (JSON.parse(list.stdout) as { name: string }[]).map((a) => a.name.split(':')[0]);
    expect([...new Set(paths)].sort()).toEqual(['art/parsed/train.tsv', 'other/train.tsv']);
  });

  it('a Label or Metrics name says there is no file on the remote (exit 3), not "not found"', async () => {
    const dir = clone();
    const label = await cmf(['artifact', 'pull', '-p', 'Many', '-a', 'labels.csv'], dir);
    expect(label.code).toBe(3);
    expect(label.stderr).toMatch(
      /labels\.csv:[0-9a-f]{32}" of pipeline "Many" has no file on the remote: it is a Label/,
    );
    expect(label.stderr).not.toContain('not found');
    const metrics = await cmf(['artifact', 'pull', '-p', 'Many', '-a', 'metrics'], dir);
    expect(metrics.code).toBe(3);
    expect(metrics.stderr).toMatch(/has no file on the remote: it is a Metrics artifact/);
    expect(metrics.stderr).toContain("'cmf artifact list -p Many -a metrics' shows the values");
    expect((await names('Many', 'mlmd', 'metrics')).length).toBe(1);
    const none = await cmf(['artifact', 'pull', '-p', 'Many', '-a', 'nope.txt'], dir);
    expect(none.code).toBe(3);
    expect(none.stderr).toContain('Artifact "nope.txt" not found');
  });

  it("a name close to an artifact's file name or path is suggested, by list and pull (text and --json)", async () => {
    const dir = clone();
    const cases: [string, string][] = [
      ['many_1.tx', 'many_1.txt'],
      ['art/parsd/train.tsv', 'art/parsed/train.tsv'],
    ];
    for (const verb of ['list', 'pull']) {
      for (const [typo, meant] of cases) {
        const r = await cmf(['artifact', verb, '-p', 'Many', '-a', typo], dir);
        expect(r.code, `${verb} ${typo}: ${r.stderr}`).toBe(3);
        expect(r.stderr).toContain(
          `Hint: Did you mean '${meant}'? 'cmf artifact list -p Many' shows the artifacts.`,
        );
        const j = await cmf(['artifact', verb, '-p', 'Many', '-a', typo, '--json'], dir);
        expect(JSON.parse(j.stderr).error.data.suggestions).toEqual([meant]);
      }
    }
  });
});

describe('pull messages', () => {
  it('counts in the singular for one file and one artifact', async () => {
    const r = await cmf(
      ['artifact', 'pull', '-p', 'Sub', '-f', 'runs/mlmd', '-a', 'raw.csv'],
      clone(),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('; 1 file checked out (0 up to date) in 1 artifact\n');
  });

  it("a directory's unlisted symlink is kept unless --force; removals are shown", async () => {
    const dir = clone();
    expect((await cmf(['artifact', 'pull', '-p', 'Odd'], dir)).code).toBe(0);
    write(dir, 'mine.txt', 'only here\n');
    symlinkSync('../mine.txt', join(dir, 'odd/mylink'));
    write(dir, 'odd/extra.txt', 'b\n'); // content in the cache: may go
    const kept = await cmf(['artifact', 'pull', '-p', 'Odd'], dir);
    expect(kept.code).toBe(1);
    expect(kept.stderr).toContain('odd/mylink');
    expect(kept.stderr).toMatch(/Hint: .*force/);
    expect(readlinkSync(join(dir, 'odd/mylink'))).toBe('../mine.txt');
    expect(existsSync(join(dir, 'odd/extra.txt'))).toBe(true);

    rmSync(join(dir, 'odd/mylink'));
    const text = await cmf(['artifact', 'pull', '-p', 'Odd'], dir);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(
      'Removed 1 file that the pulled artifacts do not list: odd/extra.txt\n',
    );

    symlinkSync('../mine.txt', join(dir, 'odd/mylink'));
    const forced = await cmf(['artifact', 'pull', '-p', 'Odd', '--force', '--json'], dir);
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ deleted: ['odd/mylink'] });
    expect(readFileSync(join(dir, 'mine.txt'), 'utf8')).toBe('only here\n');
  });

  it('a FIFO where the .dvc file was is not read (no hang): the file is pulled', async () => {
    const dir = clone();
    rmSync(join(dir, 'data/raw.csv.dvc'));
    execFileSync('mkfifo', [join(dir, 'data/raw.csv.dvc')]);
    const r = await runCmfOrKill(['artifact', 'pull', '-p', 'Sub', '-f', 'runs/mlmd'], {
      cwd: dir,
      env,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'data/raw.csv'), 'utf8')).toBe('a,b\n1,2\n');
  });

  it('a modified workspace file is kept, and the hint names --force', async () => {
    const dir = clone();
    expect((await cmf(['artifact', 'pull', '-p', 'Sub', '-f', 'runs/mlmd'], dir)).code).toBe(0);
    writeFileSync(join(dir, 'data/raw.csv'), 'edited\n');
    const r = await cmf(['artifact', 'pull', '-p', 'Sub', '-f', 'runs/mlmd'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('1 artifact not checked out:');
    expect(r.stderr).toMatch(/Hint: .*'cmf artifact pull --force'/);
    // The summary counts the artifact that failed too.
    const counts = /up to date\) in (\d+) of (\d+) artifacts\n/.exec(r.stdout);
    expect(counts, r.stdout).not.toBeNull();
    expect(Number(counts![1])).toBe(Number(counts![2]) - 1);
    expect(readFileSync(join(dir, 'data/raw.csv'), 'utf8')).toBe('edited\n');
  });

  it('a file where a directory is needed is a clear per-file error, not a raw EEXIST', async () => {
    const dir = clone();
    rmSync(join(dir, 'art/parsed'), { recursive: true }); // the clone has its .dvc file
    write(dir, 'art/parsed', 'not a directory\n');
    const r = await cmf(['artifact', 'pull', '-p', 'Many', '-a', 'art/parsed/train.tsv'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'art/parsed/train.tsv was not checked out: art/parsed is a file, expected a directory',
    );
    expect(r.stderr).toContain('1 artifact not checked out:');
    expect(r.stderr).not.toContain('EEXIST');
    expect(r.stderr).toMatch(
      /Hint: Move or rename the files that stand where a directory is needed/,
    );
  });
});
