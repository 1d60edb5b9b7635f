/**
 * A stage killed after logging but before staging (SIGKILL, a CI timeout) used to leave its
 * `.dvc` files untracked for good: the queue of files to `git add` lived in memory only. Each
 * Cmf now journals that queue under `.git/cmf-staging/`; the next Cmf in the work tree stages
 * what an ended process left queued, says so, and removes its journal. The child runs the
 * TypeScript sources directly (type stripping plus the `.js` → `.ts` resolve hook).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Cmf } from '../../src/index.js';
import { ORPHAN_MIN_AGE_MS } from '../../src/util/process-owner.js';
import { cmfProject } from '../helpers/cmf-project.js';

const ROOT = resolve(import.meta.dirname, '../..');
const HOOK = join(ROOT, 'test', 'fixtures', 'cache', 'ts-resolve.mjs');

// Logs two files (their .dvc files are queued, not staged: the batch is 256) and is killed.
const KILLED = `
const [src, dir] = process.argv.slice(2);
const { Cmf } = await import(src);
const cmf = await Cmf.open({ cwd: dir, pipelineName: 'P' });
await cmf.createExecution('train');
await cmf.logDataset('data/a.txt', 'input');
await cmf.logModel('data/m.bin', 'output');
process.kill(process.pid, 'SIGKILL');
`;

const journalDir = (dir: string) => join(dir, '.git', 'cmf-staging');
const journals = (dir: string) => {
  try {
    return readdirSync(journalDir(dir));
  } catch {
    return [];
  }
};
const git = (dir: string, ...args: string[]) =>
  execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
const untracked = (dir: string) =>
  git(dir, 'status', '--porcelain', '--untracked-files=all')
    .split('\n')
    .filter((l) => l.startsWith('??'))
    .map((l) => l.slice(3));

/** Makes a journal look older than the guard against pids of other pid namespaces. */
function age(dir: string): void {
  const old = (Date.now() - ORPHAN_MIN_AGE_MS - 1_000) / 1000;
  for (const name of journals(dir)) utimesSync(join(journalDir(dir), name), old, old);
}

async function killedStage(): Promise<string> {
  const p = await cmfProject();
  mkdirSync(join(p.dir, 'data'));
  writeFileSync(join(p.dir, 'data', 'a.txt'), 'a\n');
  writeFileSync(join(p.dir, 'data', 'm.bin'), 'model\n');
  const script = join(p.dir, '..', 'killed.mjs');
  writeFileSync(script, KILLED);
  const run = spawnSync(process.execPath, [
    '--import',
    pathToFileURL(HOOK).href,
    script,
    pathToFileURL(join(ROOT, 'src', 'index.ts')).href,
    p.dir,
  ]);
  expect(run.signal, run.stderr.toString()).toBe('SIGKILL');
  return p.dir;
}

describe('the .dvc files of a stage killed before staging them', () => {
  it('are staged and committed by the next run, which says so', async () => {
    const dir = await killedStage();
    expect(untracked(dir)).toEqual(expect.arrayContaining(['data/a.txt.dvc', 'data/m.bin.dvc']));
    expect(journals(dir)).toHaveLength(1);
    age(dir);

    const cmf = await Cmf.open({ cwd: dir, pipelineName: 'P' });
    expect(cmf.warnings.join('\n')).toMatch(
      /\d+ files that an earlier cmf run \(process \d+\) wrote but did not stage .*data\/a\.txt\.dvc, data\/m\.bin\.dvc/,
    );
    await cmf.createExecution('train again');
    await cmf.finalize();
    await cmf.close();

    expect(git(dir, 'ls-files', 'data').split('\n')).toEqual(
      expect.arrayContaining(['data/a.txt.dvc', 'data/m.bin.dvc']),
    );
    expect(untracked(dir).filter((f) => f.endsWith('.dvc'))).toEqual([]);
    expect(journals(dir), 'taken over and removed; this run left none').toEqual([]);
  });

  it('already staged by a rerun of the killed stage: neither named nor staged again', async () => {
    const dir = await killedStage();
    // The stage rerun at once (the journal too fresh to be taken): it stages its files.
    const rerun = await Cmf.open({ cwd: dir, pipelineName: 'P' });
    await rerun.createExecution('train');
    await rerun.logDataset('data/a.txt', 'input');
    await rerun.finalize();
    await rerun.close();
    age(dir);
    const next = await Cmf.open({ cwd: dir, pipelineName: 'P' });
    // m.bin's .dvc file is the only one the index does not hold.
    expect(next.warnings.join('\n')).toMatch(
      /1 file that an earlier cmf run .*: data\/m\.bin\.dvc\.$/m,
    );
    await next.close();
    expect(journals(dir)).toEqual([]);
  });

  it('are left to their process while it may still run', async () => {
    const dir = await killedStage();
    // Fresh: the process may run in another pid namespace; not yet taken over.
    const cmf = await Cmf.open({ cwd: dir, pipelineName: 'P' });
    expect(cmf.warnings.join('\n')).not.toMatch(/did not stage/);
    await cmf.close();
    expect(journals(dir)).toHaveLength(1);
    expect(untracked(dir)).toContain('data/a.txt.dvc');
  });

  it("are not taken from a running process's journal, nor outside the work tree; headless journals go once old", async () => {
    const dir = await killedStage();
    const [name] = journals(dir);
    // This process runs: its journal is its own business.
    const header = JSON.parse(
      execFileSync('head', ['-n1', join(journalDir(dir), name!)], { encoding: 'utf8' }),
    ) as { host: string };
    writeFileSync(
      join(journalDir(dir), 'alive'),
      `${JSON.stringify({ host: header.host, pid: process.pid })}\n"data/a.txt.dvc"\n`,
    );
    // A journal killed before its header (an hour old), and a fresh one: the old one goes.
    const hourAgo = (Date.now() - 3_600_000 - 1_000) / 1000;
    writeFileSync(join(journalDir(dir), 'headless-old'), '{"host":');
    writeFileSync(join(journalDir(dir), 'headless-new'), '');
    // An ended process's journal naming files outside the work tree, and a cut last line.
    writeFileSync(
      join(journalDir(dir), 'outside'),
      `${JSON.stringify({ host: header.host, pid: 2 ** 22 + 12345 })}\n"../killed.mjs"\n"/etc/passwd"\n"data/m.b`,
    );
    rmSync(join(journalDir(dir), name!));
    age(dir);
    utimesSync(join(journalDir(dir), 'headless-old'), hourAgo, hourAgo);

    const cmf = await Cmf.open({ cwd: dir, pipelineName: 'P' });
    expect(cmf.warnings.join('\n')).not.toMatch(/did not stage/);
    await cmf.close();
    expect(journals(dir).sort(), "the ended process's journal is removed").toEqual([
      'alive',
      'headless-new',
    ]);
    expect(untracked(dir)).toContain('data/a.txt.dvc');
  });
});
