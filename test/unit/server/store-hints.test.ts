/** The hints `cmf server start` gives for a store it cannot open: about --database and --data-dir, never -f. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CmfError } from '../../../src/errors/index.js';
import { MlmdStore } from '../../../src/mlmd/index.js';
import { openServerStore } from '../../../src/server/start.js';
import { tempDir } from '../mlmd/helpers.js';
import { mountSmallTmpfs } from '../../helpers/full-fs.js';

async function openError(database: string | undefined, dataDir: string): Promise<CmfError> {
  let caught: unknown;
  try {
    await (await openServerStore(database, dataDir)).close();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(CmfError);
  const err = caught as CmfError;
  expect(err.hint).not.toMatch(/-f\/--file_name|-f <|cmf metadata pull/);
  return err;
}

/** An MLMD store in `path` with its MLMDEnv table dropped: damaged. */
function damagedStore(path: string): void {
  MlmdStore.open(path).close();
  const db = new Database(path);
  db.exec('DROP TABLE MLMDEnv');
  db.close();
}

describe('server store hints', () => {
  it('a file that is not an MLMD store: check --database, or the default store in --data-dir', async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'notes.txt'), 'notes, not a database\n'.repeat(20));
    const given = await openError('notes.txt', dataDir);
    expect(given).toMatchObject({ code: 'MLMD_NOT_SQLITE', exitCode: 5 });
    expect(given.hint).toMatch(/^Check --database \(a path relative to --data-dir\): give an MLMD/);
    writeFileSync(join(dataDir, 'mlmd'), 'notes, not a database\n'.repeat(20));
    const byDefault = await openError(undefined, dataDir);
    expect(byDefault.hint).toMatch(/^It is the server's default store in --data-dir/);
  });

  it('a damaged store: restore or move it aside, not pull into a new file', async () => {
    const dataDir = tempDir();
    damagedStore(join(dataDir, 'store.db'));
    const given = await openError('store.db', dataDir);
    expect(given).toMatchObject({ code: 'MLMD_INCOMPLETE_SCHEMA', exitCode: 5 });
    expect(given.message).toContain('incomplete MLMD store');
    expect(given.hint).toMatch(/^It is the server's store given with --database: restore it/);
    damagedStore(join(dataDir, 'mlmd'));
    const byDefault = await openError(undefined, dataDir);
    expect(byDefault.hint).toMatch(/^It is the server's default store in --data-dir/);
  });

  it('a directory: give a file inside it with --database', async () => {
    const dataDir = tempDir();
    mkdirSync(join(dataDir, 'stores'));
    const given = await openError('stores', dataDir);
    expect(given).toMatchObject({ code: 'MLMD_CANT_OPEN', exitCode: 2 });
    expect(given.hint).toBe(
      '--database names a directory: give the path of an MLMD SQLite file (relative to --data-dir), e.g. --database stores/mlmd.',
    );
    mkdirSync(join(dataDir, 'mlmd'));
    const byDefault = await openError(undefined, dataDir);
    expect(byDefault.hint).toMatch(/^The server's default store in --data-dir is a directory/);
  });

  it('a device or FIFO: refused before SQLite opens it, with a --database hint', async () => {
    const dataDir = tempDir();
    const given = await openError('/dev/null', dataDir);
    expect(given).toMatchObject({ code: 'MLMD_CANT_OPEN', exitCode: 2 });
    expect(given.message).toContain('it is a character device');
    expect(given.hint).toMatch(/^--database names a device, FIFO or socket/);
    execFileSync('mkfifo', [join(dataDir, 'mlmd')]);
    const byDefault = await openError(undefined, dataDir);
    expect(byDefault.message).toContain('FIFO (named pipe)');
    expect(byDefault.hint).toMatch(
      /^The server's default store in --data-dir is not a regular file/,
    );
  });

  it('a store it cannot write (read-only mount) is refused at start, not at the first push', async (ctx) => {
    const dataDir = join(tempDir(), 'ro');
    const unmount = mountSmallTmpfs(dataDir);
    if (!unmount) return ctx.skip();
    try {
      MlmdStore.open(join(dataDir, 'mlmd')).close();
      if (spawnSync('mount', ['-o', 'remount,ro', dataDir]).status !== 0) return ctx.skip();
      const err = await openError(undefined, dataDir);
      expect(err).toMatchObject({ code: 'MLMD_READONLY', exitCode: 1 });
      expect(err.message).toContain('cannot be written');
      expect(err.hint).toMatch(/^Check that the server's user may write .*mlmd and its directory/);
      expect(err.hint).toMatch(/or another --data-dir\.$/);
      const fresh = await openError('new.db', dataDir);
      expect(fresh).toMatchObject({ code: 'MLMD_READONLY', exitCode: 1 });
      expect(fresh.hint).toMatch(
        /new\.db and its directory .*; or give another file with --database\.$/,
      );
    } finally {
      unmount();
    }
  });
});
