/**
 * What `dvc add` refuses, the library refuses too, before writing anything (no `.dvc` file,
 * no `.gitignore` line, nothing staged, nothing in MLMD): overlapping outputs, paths git
 * tracks, `.dvc` files git ignores, paths inside symlinked directories. A logging call
 * whose MLMD write fails leaves no `.dvc` file to stage or commit.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Cmf } from '../../src/index.js';
import { cmfProject } from '../helpers/cmf-project.js';
import { failure } from '../helpers/failure.js';
import { fill, mountSmallTmpfs } from '../helpers/full-fs.js';
import { tempDir } from '../helpers/tmp.js';

const open: Cmf[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

async function openCmf(dir: string, busyTimeoutMs?: number): Promise<Cmf> {
  const cmf = await Cmf.open({ cwd: dir, pipelineName: 'P', busyTimeoutMs });
  open.push(cmf);
  return cmf;
}

const git = (dir: string, ...args: string[]) =>
  execFileSync('git', args, { cwd: dir, encoding: 'utf8' });

/** `git status --porcelain` lines, untracked files listed one by one. */
const status = (dir: string) =>
  git(dir, 'status', '--porcelain', '--untracked-files=all').split('\n').filter(Boolean);

const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);

/** Names of the Dataset artifacts in the MLMD file. */
function datasets(dir: string): string[] {
  const db = new Database(join(dir, 'mlmd'), { readonly: true });
  try {
    return (
      db
        .prepare(
          "SELECT a.name FROM Artifact a JOIN Type t ON t.id = a.type_id WHERE t.name = 'Dataset' ORDER BY a.name",
        )
        .all() as Array<{ name: string }>
    ).map((r) => r.name.split(':')[0]!);
  } finally {
    db.close();
  }
}

describe('dvc add safety checks', () => {
  it('refuses a file inside a logged directory, and a directory holding a logged file', async () => {
    const p = await cmfProject();
    mkdirSync(join(p.dir, 'dd'));
    writeFileSync(join(p.dir, 'dd', 'a'), 'a\n');
    mkdirSync(join(p.dir, 'ee'));
    writeFileSync(join(p.dir, 'ee', 'b'), 'b\n');
    mkdirSync(join(p.dir, 'ff', 'sub'), { recursive: true });
    writeFileSync(join(p.dir, 'ff', 'sub', 'c'), 'c\n');
    const cmf = await openCmf(p.dir);
    await cmf.logDataset('dd', 'output');
    await cmf.logDataset('ee/b', 'output');

    const inner = await failure(cmf.logDataset('dd/a', 'input'));
    expect(inner.code).toBe('ADD_OVERLAPPING_OUTPUTS');
    expect(inner.exitCode).toBe(2);
    expect(inner.hint).toContain('dd.dvc');
    expect(existsSync(join(p.dir, 'dd', 'a.dvc'))).toBe(false);
    expect(existsSync(join(p.dir, 'dd', '.gitignore'))).toBe(false);

    const outer = await failure(cmf.logDataset('ee', 'input'));
    expect(outer.code).toBe('ADD_OVERLAPPING_OUTPUTS');
    expect(outer.message).toContain('ee/b.dvc');
    expect(existsSync(join(p.dir, 'ee.dvc'))).toBe(false);

    // In one call, and a nested directory: checked before the first file is written.
    const batch = await failure(cmf.logDatasets(['ff/sub/c', 'ff'], 'output'));
    expect(batch.code).toBe('ADD_OVERLAPPING_OUTPUTS');
    expect(existsSync(join(p.dir, 'ff', 'sub', 'c.dvc'))).toBe(false);
    expect(existsSync(join(p.dir, 'ff.dvc'))).toBe(false);

    expect(read(join(p.dir, '.gitignore'))).toBe('/dd\n');
    await cmf.close();
    expect(datasets(p.dir)).toEqual(['dd', 'ee/b']);
  });

  it('refuses a path git tracks, with the command that untracks it', async () => {
    const p = await cmfProject();
    writeFileSync(join(p.dir, 'README'), 'hello\n');
    mkdirSync(join(p.dir, 'src'));
    writeFileSync(join(p.dir, 'src', 'x.py'), 'pass\n');
    writeFileSync(join(p.dir, 'src', 'data.csv'), '1\n');
    git(p.dir, 'add', 'README', 'src/x.py');
    git(p.dir, 'commit', '-q', '-m', 'code');
    const cmf = await openCmf(p.dir);

    const file = await failure(cmf.logDataset('README', 'input'));
    expect(file.code).toBe('CMF_PATH_TRACKED_BY_GIT');
    expect(file.hint).toContain('git rm -r --cached README');
    const dir = await failure(cmf.logDataset('src', 'input'));
    expect(dir.code).toBe('CMF_PATH_TRACKED_BY_GIT');
    expect(existsSync(join(p.dir, 'README.dvc'))).toBe(false);
    expect(existsSync(join(p.dir, 'src.dvc'))).toBe(false);
    expect(existsSync(join(p.dir, '.gitignore'))).toBe(false);

    // An untracked file beside tracked ones is fine.
    await cmf.logDataset('src/data.csv', 'input');
    await cmf.close();
    expect(datasets(p.dir)).toEqual(['src/data.csv']);
  });

  it('refuses a path whose .dvc file .gitignore rules exclude', async () => {
    const p = await cmfProject();
    writeFileSync(join(p.dir, '.gitignore'), 'data/\n');
    mkdirSync(join(p.dir, 'data'));
    writeFileSync(join(p.dir, 'data', 'x.csv'), '1\n');
    const cmf = await openCmf(p.dir);

    const err = await failure(cmf.logDataset('data/x.csv', 'input'));
    expect(err.code).toBe('CMF_DVC_FILE_IGNORED');
    expect(err.message).toContain('data/x.csv.dvc');
    expect(err.hint).toContain('git check-ignore -v data/x.csv.dvc');
    expect(readdirSync(join(p.dir, 'data'))).toEqual(['x.csv']);

    // With the rule the hint suggests, the .dvc file is versioned.
    writeFileSync(join(p.dir, '.gitignore'), 'data/*\n!data/*.dvc\n');
    await cmf.logDataset('data/x.csv', 'input');
    await cmf.finalize();
    expect(git(p.dir, 'ls-files', 'data')).toBe('data/x.csv.dvc\n');
  });

  it('refuses paths inside a symlinked directory and writes nothing outside the repository', async () => {
    const p = await cmfProject();
    const outside = await tempDir('cmf-outside-');
    writeFileSync(join(outside, 'e1'), 'e1\n');
    symlinkSync(outside, join(p.dir, 'data'));
    const cmf = await openCmf(p.dir);

    const inside = await failure(cmf.logDataset('data/e1', 'input'));
    expect(inside.code).toBe('ADD_SYMLINKED_DIRECTORY');
    expect(inside.message).toContain('data is a symbolic link');
    const link = await failure(cmf.logDataset('data', 'input'));
    expect(link.code).toBe('ADD_SYMLINKED_DIRECTORY');
    expect(readdirSync(outside)).toEqual(['e1']);
    expect(existsSync(join(p.dir, 'data.dvc'))).toBe(false);
    await cmf.close();
    expect(datasets(p.dir)).toEqual([]);
  });
});

describe('a logging call whose MLMD write fails', () => {
  it('refuses an int beyond int64 before writing anything', async () => {
    const p = await cmfProject();
    writeFileSync(join(p.dir, 'fresh.txt'), 'fresh\n');
    const cmf = await openCmf(p.dir);
    const err = await failure(cmf.logDataset('fresh.txt', 'input', { x: 2n ** 70n }));
    expect(err.code).toBe('CMF_BAD_PROPERTY');
    await cmf.close();
    expect(existsSync(join(p.dir, 'fresh.txt.dvc'))).toBe(false);
    expect(existsSync(join(p.dir, '.gitignore'))).toBe(false);
    expect(status(p.dir)).not.toContain('A  fresh.txt.dvc');
  });

  it('leaves no .dvc file or .gitignore line, new or changed, when MLMD is busy', async () => {
    const p = await cmfProject();
    writeFileSync(join(p.dir, 'kept.txt'), 'v1\n');
    writeFileSync(join(p.dir, 'fresh.txt'), 'fresh\n');
    mkdirSync(join(p.dir, 'many'));
    for (const n of ['a', 'b']) writeFileSync(join(p.dir, 'many', n), `${n}\n`);
    writeFileSync(join(p.dir, 'model.pkl'), 'model\n');
    const cmf = await openCmf(p.dir, 200);
    await cmf.createExecution('train');
    await cmf.logDataset('kept.txt', 'input');
    await cmf.finalize();
    const keptDvc = read(join(p.dir, 'kept.txt.dvc'));
    const gitignore = read(join(p.dir, '.gitignore'));
    writeFileSync(join(p.dir, 'kept.txt'), 'v2\n');

    // Another connection holds the MLMD write lock.
    const other = new Database(join(p.dir, 'mlmd'));
    other.exec('BEGIN IMMEDIATE');
    try {
      for (const call of [
        () => cmf.logDataset('fresh.txt', 'input'),
        () => cmf.logDataset('kept.txt', 'input'),
        () => cmf.logDatasets(['many/a', 'many/b'], 'output'),
        () => cmf.logModel('model.pkl', 'output'),
        () => cmf.createExecution('again'),
      ]) {
        expect((await failure(call())).code).toBe('MLMD_BUSY');
      }
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await cmf.close();
    expect(read(join(p.dir, 'kept.txt.dvc'))).toBe(keptDvc);
    expect(read(join(p.dir, '.gitignore'))).toBe(gitignore);
    for (const f of [
      'fresh.txt.dvc',
      'many/a.dvc',
      'many/b.dvc',
      'many/.gitignore',
      'model.pkl.dvc',
    ])
      expect(existsSync(join(p.dir, f)), f).toBe(false);
    // Nothing is staged, and no .dvc file is left for git to pick up.
    const lines = status(p.dir);
    expect(lines.filter((l) => !l.startsWith('?') && l[0] !== ' ')).toEqual([]);
    expect(lines.filter((l) => l.endsWith('.dvc'))).toEqual([]);
    expect(lines).toContain('?? fresh.txt');
    expect(datasets(p.dir)).toEqual(['kept.txt']);

    // Once MLMD is free again, the same call versions and stages the file.
    const again = await openCmf(p.dir);
    await again.logDataset('fresh.txt', 'input');
    await again.close();
    expect(status(p.dir)).toContain('A  fresh.txt.dvc');
  });

  it('is MLMD_DISK_FULL when the MLMD file has no room, and leaves MLMD, .dvc files and .gitignore as they were', async () => {
    const p = await cmfProject();
    writeFileSync(join(p.dir, 'kept.txt'), 'v1\n');
    writeFileSync(join(p.dir, 'fresh.txt'), 'fresh\n');
    const cmf = await openCmf(p.dir);
    await cmf.createExecution('train');
    await cmf.logDataset('kept.txt', 'input');
    await cmf.finalize();
    const keptDvc = read(join(p.dir, 'kept.txt.dvc'));
    const gitignore = read(join(p.dir, '.gitignore'));
    writeFileSync(join(p.dir, 'kept.txt'), 'v2\n');
    // SQLite's own cap on the file size: SQLITE_FULL as on a full disk.
    const db = cmf.store.database;
    db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true }))}`);
    const mlmdBefore = readFileSync(join(p.dir, 'mlmd'));
    for (const call of [
      () => cmf.logDataset('fresh.txt', 'input', { note: 'x'.repeat(20_000) }),
      () => cmf.logDataset('kept.txt', 'input', { note: 'x'.repeat(20_000) }),
    ]) {
      const err = await failure(call());
      expect(err).toMatchObject({ code: 'MLMD_DISK_FULL', exitCode: 1 });
      expect(err.hint).toMatch(/Free space on the file system holding/);
      // Worded for the library: its option is `filepath`, not the CLI's -f.
      expect(err.hint).toContain("open it there (Cmf.open's `filepath` option)");
      expect(err.hint).not.toContain('-f/--file_name');
    }
    await cmf.close();
    expect(readFileSync(join(p.dir, 'mlmd')).equals(mlmdBefore)).toBe(true);
    expect(read(join(p.dir, 'kept.txt.dvc'))).toBe(keptDvc);
    expect(read(join(p.dir, '.gitignore'))).toBe(gitignore);
    expect(existsSync(join(p.dir, 'fresh.txt.dvc'))).toBe(false);
    expect(status(p.dir).filter((l) => l.endsWith('.dvc'))).toEqual([]);
  });

  it('leaves no step metrics or dataslice parquet behind (nor its .dvc file or .gitignore line), and a retry commits', async () => {
    const p = await cmfProject();
    writeFileSync(join(p.dir, 'a.csv'), 'a\n');
    const cmf = await openCmf(p.dir);
    await cmf.createExecution('train');
    await cmf.finalize();
    const before = status(p.dir);
    cmf.logMetric('loss', { v: 0.5 });
    const slice = cmf.createDataslice('slice');
    await slice.addData('a.csv');
    const db = cmf.store.database;
    db.pragma('query_only = ON'); // every MLMD write now fails
    await expect(cmf.commitMetrics('loss')).rejects.toBeInstanceOf(Error);
    await expect(slice.commit()).rejects.toBeInstanceOf(Error);
    expect(status(p.dir)).toEqual(before);
    expect(readdirSync(join(p.dir, 'cmf_artifacts'), { recursive: true })).not.toContainEqual(
      expect.stringMatching(/\/(loss|slice)$/),
    );
    // The rows are kept: once MLMD can be written, the same calls commit.
    db.pragma('query_only = OFF');
    await cmf.commitMetrics('loss');
    await slice.commit();
    await cmf.finalize();
    expect(datasets(p.dir)).toEqual([]);
    expect(git(p.dir, 'ls-files')).toMatch(/metrics\/loss\.dvc/);
    expect(git(p.dir, 'ls-files')).toMatch(/dataslice\/slice\.dvc/);
  });

  it('(root) Cmf.open creating an MLMD file on a full file system: MLMD_DISK_FULL, no empty file left', async (ctx) => {
    const p = await cmfProject();
    const full = join(p.dir, 'full');
    const unmount = mountSmallTmpfs(full);
    if (!unmount) return ctx.skip();
    try {
      fill(full);
      const err = await failure(Cmf.open({ cwd: p.dir, pipelineName: 'P', filepath: 'full/mlmd' }));
      expect(err).toMatchObject({ code: 'MLMD_DISK_FULL', exitCode: 1 });
      expect(err.hint).toContain("Cmf.open's `filepath` option");
      expect(err.hint).not.toContain('-f/--file_name');
      expect(readdirSync(full)).toEqual(['filler']);
    } finally {
      unmount();
    }
  });
});

describe('a .dvc file a killed logging call left without its MLMD artifact', () => {
  it('is recorded and staged by the next call logging the same file', async () => {
    const p = await cmfProject();
    writeFileSync(join(p.dir, 'data.txt'), 'data\n');
    const first = await openCmf(p.dir);
    await first.logDataset('data.txt', 'output');
    await first.close();
    const dvcText = read(join(p.dir, 'data.txt.dvc'));
    // What a kill between the .dvc write and the MLMD write leaves: the .gitignore line and
    // the .dvc file, unstaged, with no artifact in a (here: new) MLMD file.
    git(p.dir, 'rm', '--cached', '-q', 'data.txt.dvc');
    rmSync(join(p.dir, 'mlmd'));
    expect(status(p.dir)).toContain('?? data.txt.dvc');
    expect(status(p.dir)).not.toContain('?? data.txt');

    const next = await openCmf(p.dir);
    await next.logDataset('data.txt', 'output');
    await next.close();
    expect(datasets(p.dir)).toEqual(['data.txt']);
    expect(read(join(p.dir, 'data.txt.dvc'))).toBe(dvcText);
    expect(status(p.dir)).toContain('A  data.txt.dvc');
  });
});
