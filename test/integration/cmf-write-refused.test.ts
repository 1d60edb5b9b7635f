/**
 * Writes the file system refuses (a read-only mount, the immutable flag; root ignores file
 * modes, so these stand in for "permission denied") come back from the Cmf API as typed
 * errors naming what could not be written, with hints for a program: Cmf.open's `filepath`,
 * not the CLI's -f/--file_name; "run the call again", not "the command".
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Cmf, OperationError } from '../../src/index.js';
import { MlmdStore } from '../../src/mlmd/index.js';
import { cmfProject } from '../helpers/cmf-project.js';
import { failure } from '../helpers/failure.js';
import { fill, mountSmallTmpfs } from '../helpers/full-fs.js';
import { makeImmutable, mountReadOnly } from '../helpers/refused-fs.js';

const open: Cmf[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

async function openCmf(dir: string, filepath?: string): Promise<Cmf> {
  const cmf = await Cmf.open({ cwd: dir, pipelineName: 'P', filepath });
  open.push(cmf);
  return cmf;
}

/** A hint written for the library, not for the command line. */
function expectLibraryHint(hint: string | undefined): void {
  expect(hint).toBeTruthy();
  expect(hint).not.toContain('-f/--file_name');
  expect(hint).not.toContain('run the command again');
}

describe('logging where a write is refused', () => {
  it('(root) a DVC cache on a read-only file system: PERMISSION_DENIED naming the directory it could not make, and how to move the cache', async (ctx) => {
    const p = await cmfProject();
    writeFileSync(join(p.dir, 'a.csv'), 'a\n');
    const cache = join(p.dir, '.dvc', 'cache');
    const unmount = mountReadOnly(cache);
    if (!unmount) return ctx.skip();
    try {
      const cmf = await openCmf(p.dir);
      const err = await failure(cmf.logDataset('a.csv', 'input'));
      expect(err).toBeInstanceOf(OperationError);
      expect(err).toMatchObject({
        code: 'PERMISSION_DENIED',
        exitCode: 1,
        message: `Cannot create directory ${join(cache, 'files')}: its file system is read-only (EROFS)`,
        data: { path: join(cache, 'files'), errno: 'EROFS' },
      });
      expect(err.hint).toContain(`The file system holding ${cache} is mounted read-only`);
      expect(err.hint).toContain('cache.dir');
      expect(err.hint).toMatch(/run the call again\.$/);
      expectLibraryHint(err.hint);
      expect(existsSync(join(p.dir, 'a.csv.dvc'))).toBe(false);
    } finally {
      unmount();
    }
  });

  it('(root) a data directory nothing can be created in: PERMISSION_DENIED naming its .gitignore, not the lock file', async (ctx) => {
    const p = await cmfProject();
    const data = join(p.dir, 'data');
    mkdirSync(data);
    writeFileSync(join(data, 'a.csv'), 'a\n');
    const cmf = await openCmf(p.dir);
    await cmf.createExecution('train');
    const undo = makeImmutable(data);
    if (!undo) return ctx.skip();
    try {
      const err = await failure(cmf.logDataset('data/a.csv', 'input'));
      expect(err).toMatchObject({
        code: 'PERMISSION_DENIED',
        exitCode: 1,
        message: `Cannot write ${join(data, '.gitignore')}: operation not permitted (EPERM)`,
        data: { path: join(data, '.gitignore'), errno: 'EPERM' },
      });
      expect(err.hint).toContain(`Make ${data} writable`);
      expect(err.hint).toContain(`lsattr -d ${data}`);
      expectLibraryHint(err.hint);
    } finally {
      undo();
    }
    expect(readdirSync(data)).toEqual(['a.csv']);
  });

  it('(root) a full data directory: DISK_FULL, its hint worded for the library', async (ctx) => {
    const p = await cmfProject();
    const data = join(p.dir, 'data');
    const unmount = mountSmallTmpfs(data);
    if (!unmount) return ctx.skip();
    try {
      writeFileSync(join(data, 'a.csv'), 'a\n');
      const cmf = await openCmf(p.dir);
      await cmf.createExecution('train');
      fill(data);
      const err = await failure(cmf.logDataset('data/a.csv', 'input'));
      expect(err).toMatchObject({ code: 'DISK_FULL', exitCode: 1 });
      expect(err.hint).toMatch(/then run the call again\.$/);
      expectLibraryHint(err.hint);
    } finally {
      unmount();
    }
  });
});

describe('an MLMD file SQLite cannot write', () => {
  it('(root) on a read-only file system: Cmf.open says so, with a hint about `filepath`', async (ctx) => {
    const p = await cmfProject();
    const meta = join(p.dir, 'meta');
    const unmount = mountReadOnly(meta);
    if (!unmount) return ctx.skip();
    try {
      const err = await failure(Cmf.open({ cwd: p.dir, pipelineName: 'P', filepath: 'meta/mlmd' }));
      expect(err).toMatchObject({ code: 'MLMD_CANT_OPEN', exitCode: 1, data: { errno: 'EROFS' } });
      expect(err.message).toBe(
        `Cannot open MLMD file ${join(meta, 'mlmd')}: SQLite cannot create it in ${meta}: its file system is read-only (EROFS).`,
      );
      expect(err.hint).toContain(`The file system holding ${meta} is mounted read-only`);
      expect(err.hint).toContain("Cmf.open's `filepath` option");
      expectLibraryHint(err.hint);
    } finally {
      unmount();
    }
  });

  it('(root) an existing one whose directory became read-only: MLMD_READONLY saying why, with a hint about `filepath`', async (ctx) => {
    const p = await cmfProject();
    const meta = join(p.dir, 'meta');
    const path = join(meta, 'mlmd');
    // A store without the pipeline: Cmf.open writes to create it.
    const unmount = mountReadOnly(meta, () => MlmdStore.open(path).close());
    if (!unmount) return ctx.skip();
    try {
      const err = await failure(Cmf.open({ cwd: p.dir, pipelineName: 'P', filepath: 'meta/mlmd' }));
      expect(err).toMatchObject({ code: 'MLMD_READONLY', exitCode: 1, data: { errno: 'EROFS' } });
      expect(err.message).toBe(
        `MLMD file ${path} cannot be written: SQLite cannot create its journal in ${meta}: its file system is read-only (EROFS).`,
      );
      expect(err.hint).toContain("Cmf.open's `filepath` option");
      expectLibraryHint(err.hint);
    } finally {
      unmount();
    }
  });
});

describe('an MLMD file of the wrong kind', () => {
  it("the hints name Cmf.open's `filepath`, given or not, not -f/--file_name", async () => {
    const p = await cmfProject();
    writeFileSync(join(p.dir, 'notes.txt'), 'some notes, not a database\n'.repeat(10));
    const given = await failure(Cmf.open({ cwd: p.dir, filepath: 'notes.txt' }));
    expect(given.code).toBe('MLMD_NOT_SQLITE');
    expect(given.hint).toMatch(/^Check the `filepath` given to Cmf.open: give an MLMD file/);
    expectLibraryHint(given.hint);
    writeFileSync(join(p.dir, 'mlmd'), 'some notes, not a database\n'.repeat(10));
    const byDefault = await failure(Cmf.open({ cwd: p.dir }));
    expect(byDefault.hint).toMatch(
      /^Check the MLMD file Cmf.open opened \(without `filepath`, 'mlmd' in cwd\): give/,
    );
    mkdirSync(join(p.dir, 'meta'));
    const dir = await failure(Cmf.open({ cwd: p.dir, filepath: 'meta' }));
    expect(dir.hint).toBe(
      `${join(p.dir, 'meta')} is a directory: give Cmf.open the path of an MLMD file as \`filepath\`, e.g. ${join(p.dir, 'meta', 'mlmd')}.`,
    );
  });
});

describe('reading where a read is refused', () => {
  // Root reads everything: the logging runs in a child without the capabilities that let it
  // (setpriv, util-linux), as a user's process would.
  const ROOT = resolve(import.meta.dirname, '../..');
  const HOOK = pathToFileURL(join(ROOT, 'test', 'fixtures', 'cache', 'ts-resolve.mjs')).href;
  const LOG = `
const [src, dir] = process.argv.slice(2);
const { Cmf } = await import(src);
const cmf = await Cmf.open({ cwd: dir, pipelineName: 'P' });
try {
  await cmf.logDataset('data', 'input');
} catch (err) {
  process.stdout.write(JSON.stringify({ code: err.code, message: err.message, hint: err.hint }));
}
await cmf.close();
`;
  const asUser = (script: string, ...args: string[]) =>
    spawnSync(
      'setpriv',
      [
        '--bounding-set',
        '-dac_override,-dac_read_search',
        process.execPath,
        '--import',
        HOOK,
        script,
        ...args,
      ],
      { encoding: 'utf8' },
    );

  it('(root) a logged directory holding a directory the user cannot read: PERMISSION_DENIED naming it, not a raw EACCES', async (ctx) => {
    if (process.getuid?.() !== 0 || spawnSync('setpriv', ['--version']).status !== 0)
      return ctx.skip();
    const p = await cmfProject();
    const locked = join(p.dir, 'data', 'locked');
    mkdirSync(locked, { recursive: true });
    writeFileSync(join(p.dir, 'data', 'a.csv'), 'a\n');
    chmodSync(locked, 0o000);
    const script = join(p.dir, '..', 'log.mjs');
    writeFileSync(script, LOG);
    try {
      const run = asUser(script, pathToFileURL(join(ROOT, 'src', 'index.ts')).href, p.dir);
      expect(JSON.parse(run.stdout || '{}'), run.stderr).toMatchObject({
        code: 'PERMISSION_DENIED',
        message: `Cannot read ${locked}: permission denied`,
        hint: expect.stringContaining(`ls -ld ${locked}`),
      });
    } finally {
      chmodSync(locked, 0o755);
    }
  });
});

describe('paths longer than the system takes', () => {
  it.skipIf(process.platform !== 'linux')(
    'logging a directory nested past PATH_MAX is PATH_TOO_LONG with a short message, not READ_FAILED with the whole path',
    async () => {
      const p = await cmfProject();
      // Made level by level from inside (mkdir of the whole path would be refused).
      const names = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(210, 'd'));
      mkdirSync(join(p.dir, 'data'));
      const nest = `for n in ${names.join(' ')}; do mkdir $n && cd $n; done && echo x > f`;
      spawnSync('bash', ['-c', nest], { cwd: join(p.dir, 'data') });
      try {
        const cmf = await openCmf(p.dir);
        const err = await failure(cmf.logDataset('data', 'input'));
        expect(err).toMatchObject({
          code: 'PATH_TOO_LONG',
          hint: expect.stringMatching(/shorter path/),
        });
        expect(err.message.length).toBeLessThan(300);
        expect(existsSync(join(p.dir, 'data.dvc'))).toBe(false);
      } finally {
        // Node's rm cannot remove what lies past PATH_MAX; GNU rm can.
        spawnSync('rm', ['-rf', 'data'], { cwd: p.dir });
      }
    },
  );
});
