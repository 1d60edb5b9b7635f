import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  readdirSync,
  statSync,
  truncateSync,
  writeFileSync,
  openSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CmfError, IntegrityError, NotFoundError } from '../../../src/errors/index.js';
import { mlmdFileProblem, translateSqliteError } from '../../../src/mlmd/errors.js';
import {
  MlmdStore,
  PropertyType,
  TypeKind,
  type MlmdOpenOptions,
} from '../../../src/mlmd/index.js';
import { sha256, tempDir } from './helpers.js';

/** Opens `path` expecting a typed error; checks the file's bytes are unchanged and no journal was left. */
function expectOpenError(path: string, opts: MlmdOpenOptions = {}): CmfError {
  const before = sha256(path);
  const entries = readdirSync(join(path, '..')).sort();
  let caught: unknown;
  try {
    MlmdStore.open(path, opts).close();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(CmfError);
  expect(sha256(path)).toBe(before);
  expect(readdirSync(join(path, '..')).sort()).toEqual(entries);
  const err = caught as CmfError;
  expect(err.hint, 'every open error carries a hint').toBeTruthy();
  return err;
}

/** A valid store with some data, then closed. */
function mlmdFile(rows = 0): string {
  const path = join(tempDir(), 'mlmd');
  const store = MlmdStore.open(path);
  const t = store.types.put(TypeKind.ARTIFACT, 'Data', {
    properties: { url: PropertyType.STRING },
  }).id;
  store.transaction(() => {
    for (let i = 0; i < rows; i++) {
      store.artifacts.create({
        typeId: t,
        name: `file-${i}`,
        uri: `${i}`.padStart(32, '0'),
        properties: { url: `remote/${i}` },
        customProperties: { i },
      });
    }
  });
  store.close();
  return path;
}

function raw(path: string, sql: string): void {
  const db = new Database(path);
  db.exec(sql);
  db.close();
}

describe('opening files that are not a v10 MLMD store', () => {
  it('random bytes: MLMD_NOT_SQLITE, untouched (read-write and read-only)', () => {
    const path = join(tempDir(), 'mlmd');
    writeFileSync(path, randomBytes(8192));
    for (const opts of [{}, { readonly: true }]) {
      const err = expectOpenError(path, opts);
      expect(err).toBeInstanceOf(IntegrityError);
      expect(err).toMatchObject({ code: 'MLMD_NOT_SQLITE', exitCode: 5 });
      expect(err.message).toContain('not a SQLite database');
      expect(err.message).toContain(path);
    }
  });

  it('a text file: MLMD_NOT_SQLITE', () => {
    const path = join(tempDir(), 'notes.txt');
    writeFileSync(path, 'hello\n'.repeat(1000));
    expect(expectOpenError(path).code).toBe('MLMD_NOT_SQLITE');
  });

  it('a SQLite file with unrelated tables: MLMD_NOT_MLMD, no MLMD tables added', () => {
    const path = join(tempDir(), 'other.db');
    raw(
      path,
      "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users VALUES (1, 'x');",
    );
    const err = expectOpenError(path);
    expect(err.code).toBe('MLMD_NOT_MLMD');
    expect(err.message).toContain('users');
    expect(err.data).toMatchObject({ tables: ['users'] });
  });

  for (const version of [8, 11]) {
    it(`an MLMD file with schema version ${version}: MLMD_SCHEMA_VERSION naming it`, () => {
      const path = mlmdFile(3);
      raw(path, `UPDATE MLMDEnv SET schema_version = ${version}`);
      for (const opts of [{}, { readonly: true }]) {
        const err = expectOpenError(path, opts);
        expect(err).toMatchObject({
          code: 'MLMD_SCHEMA_VERSION',
          exitCode: 5,
          data: { found: version, expected: 10 },
        });
        expect(err.message).toContain(`has MLMD schema version ${version}; cmf needs 10`);
        expect(err.hint).toMatch(version < 10 ? /upgrade/i : /downgrade/i);
      }
    });
  }

  it('MLMDEnv with no row or two rows: MLMD_SCHEMA_VERSION_ROW', () => {
    const path = mlmdFile();
    raw(path, 'DELETE FROM MLMDEnv');
    expect(expectOpenError(path).code).toBe('MLMD_SCHEMA_VERSION_ROW');
    raw(path, 'INSERT INTO MLMDEnv VALUES (10), (11)');
    expect(expectOpenError(path)).toMatchObject({
      code: 'MLMD_SCHEMA_VERSION_ROW',
      data: { rows: 2 },
    });
  });

  it('a subset of the MLMD tables: MLMD_INCOMPLETE_SCHEMA listing what is missing', () => {
    const path = mlmdFile(2);
    raw(path, 'DROP TABLE Attribution; DROP TABLE EventPath;');
    const err = expectOpenError(path);
    expect(err.code).toBe('MLMD_INCOMPLETE_SCHEMA');
    expect(err.data).toMatchObject({ missing: ['EventPath', 'Attribution'] });
    expect(err.message).toContain('EventPath, Attribution');
  });

  it('a table missing a column MLMD checks: MLMD_INCOMPLETE_SCHEMA', () => {
    const path = mlmdFile();
    raw(path, 'ALTER TABLE ArtifactProperty DROP COLUMN bool_value');
    expect(expectOpenError(path)).toMatchObject({
      code: 'MLMD_INCOMPLETE_SCHEMA',
      data: { missing: ['ArtifactProperty'] },
    });
  });

  it('MLMD tables without MLMDEnv: MLMD_INCOMPLETE_SCHEMA', () => {
    const path = mlmdFile();
    raw(path, 'DROP TABLE MLMDEnv');
    expect(expectOpenError(path).code).toBe('MLMD_INCOMPLETE_SCHEMA');
  });

  it('a truncated MLMD file (cut mid-page, in the middle of its data): MLMD_CORRUPT', () => {
    const path = mlmdFile(3000);
    const size = statSync(path).size;
    expect(size).toBeGreaterThan(100 * 4096);
    truncateSync(path, Math.floor(size / 2) + 1234);
    for (const opts of [{}, { readonly: true }]) {
      const err = expectOpenError(path, opts);
      expect(err).toMatchObject({ code: 'MLMD_CORRUPT', exitCode: 5 });
      expect(err.message).toContain('corrupt');
    }
  });

  it('a file cut inside its first page: a typed error', () => {
    const path = mlmdFile(10);
    truncateSync(path, 50);
    expect(['MLMD_NOT_SQLITE', 'MLMD_CORRUPT']).toContain(expectOpenError(path).code);
  });

  it('damaged pages that open does not read: found by verify "quick", and by a later read', () => {
    const path = mlmdFile(3000);
    const size = statSync(path).size;
    const fd = openSync(path, 'r+');
    // Overwrite whole pages in the middle of the file (page size 4096).
    const start = Math.floor(size / 4096 / 2) * 4096;
    writeSync(fd, randomBytes(4096 * 8), 0, 4096 * 8, start);
    closeSync(fd);
    expect(expectOpenError(path, { verify: 'quick' }).code).toBe('MLMD_CORRUPT');
    const before = sha256(path);
    const store = MlmdStore.open(path, { readonly: true });
    expect(() => store.artifacts.list()).toThrow(expect.objectContaining({ code: 'MLMD_CORRUPT' }));
    store.close();
    expect(sha256(path)).toBe(before);
  });

  it('a 0-byte file is initialised like a new store, as MLMD does (create allowed)', () => {
    const path = join(tempDir(), 'mlmd');
    writeFileSync(path, '');
    expect(expectOpenError(path, { create: false })).toMatchObject({
      code: 'MLMD_EMPTY_FILE',
      exitCode: 5,
    });
    expect(expectOpenError(path, { readonly: true }).code).toBe('MLMD_EMPTY_FILE');
    expect(statSync(path).size).toBe(0);
    const store = MlmdStore.open(path);
    expect(store.schemaVersion()).toBe(10);
    expect(store.types.getById(9)?.name).toBe('mlmd.Deploy');
    store.close();
  });

  it('an absent file with create: false or readonly: MLMD_FILE_NOT_FOUND, nothing created', () => {
    const path = join(tempDir(), 'mlmd');
    for (const opts of [{ create: false }, { readonly: true }]) {
      let caught: unknown;
      try {
        MlmdStore.open(path, opts);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(NotFoundError);
      expect(caught).toMatchObject({ code: 'MLMD_FILE_NOT_FOUND', exitCode: 3 });
      expect(existsSync(path)).toBe(false);
    }
  });

  it('hints say what a CLI user can do, never to re-run into the same file', () => {
    const empty = join(tempDir(), 'mlmd');
    writeFileSync(empty, '');
    const e = expectOpenError(empty, { readonly: true });
    expect(e.hint).toMatch(/^Delete the empty file, or fill it with `cmf metadata pull/);
    expect(e.hint).not.toMatch(/read-write|creation allowed/);
    const notes = join(tempDir(), 'notes.txt');
    writeFileSync(notes, 'some notes, not a database\n'.repeat(10));
    const n = expectOpenError(notes);
    expect(n.code).toBe('MLMD_NOT_SQLITE');
    expect(n.hint).toMatch(/give an MLMD file, or a path where none exists yet/);
    expect(n.hint).toMatch(/into a new file/);
  });

  it('a directory: MLMD_CANT_OPEN as a usage error that says it is a directory', () => {
    const dir = tempDir();
    let caught: unknown;
    try {
      MlmdStore.open(dir, { readonly: true });
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'MLMD_CANT_OPEN', exitCode: 2 });
    expect((caught as CmfError).message).toBe(`Cannot open MLMD file ${dir}: it is a directory.`);
    expect((caught as CmfError).hint).toMatch(/-f\/--file_name/);
  });

  it('a device or a FIFO: refused before SQLite opens it, with no hint to delete it', () => {
    const fifo = join(tempDir(), 'fifo');
    execFileSync('mkfifo', [fifo]);
    for (const [path, kind] of [
      ['/dev/null', 'character device'],
      [fifo, 'FIFO (named pipe)'],
    ] as const) {
      for (const opts of [{ readonly: true }, { create: true }]) {
        let caught: unknown;
        try {
          // A FIFO opened by SQLite would wait for a writer forever.
          MlmdStore.open(path, opts);
        } catch (err) {
          caught = err;
        }
        expect(caught, path).toMatchObject({ code: 'MLMD_CANT_OPEN', exitCode: 2 });
        expect((caught as CmfError).message).toBe(
          `Cannot open MLMD file ${path}: it is a ${kind}.`,
        );
        expect((caught as CmfError).hint).not.toMatch(/delete/i);
      }
    }
    expect(existsSync('/dev/null-journal')).toBe(false);
  });

  it('a bad busyTimeoutMs is MLMD_INVALID_ARGUMENT naming it, not MLMD_CANT_OPEN', () => {
    const path = join(tempDir(), 'mlmd');
    for (const busyTimeoutMs of [-1, 'abc', 1.5, 2 ** 31]) {
      let caught: unknown;
      try {
        MlmdStore.open(path, { busyTimeoutMs: busyTimeoutMs as number });
      } catch (err) {
        caught = err;
      }
      expect(caught).toMatchObject({ code: 'MLMD_INVALID_ARGUMENT', exitCode: 2 });
      expect((caught as CmfError).hint).toMatch(/busyTimeoutMs as a whole number of milliseconds/);
    }
    expect(existsSync(path)).toBe(false);
  });

  it('a file SQLite cannot write: MLMD_READONLY naming the path, not "open without readonly"', () => {
    const path = join(tempDir(), 'mlmd');
    const sqlite = Object.assign(new Error('attempt to write a readonly database'), {
      code: 'SQLITE_READONLY',
    });
    const err = translateSqliteError(sqlite, path, 5000) as CmfError;
    expect(err).toMatchObject({ code: 'MLMD_READONLY', exitCode: 1 });
    expect(err.message).toContain(`${path} cannot be written`);
    expect(err.hint).toContain(path);
    expect(err.hint).toMatch(/file system is not mounted read-only/);
    expect(err.hint).not.toMatch(/without readonly/);
  });

  it('a path in a missing directory: MLMD_CANT_OPEN', () => {
    const path = join(tempDir(), 'no', 'such', 'mlmd');
    expect(() => MlmdStore.open(path)).toThrow(
      expect.objectContaining({ code: 'MLMD_CANT_OPEN', exitCode: 1 }),
    );
  });
});

describe('the problem an open error names, for callers that word their own hints', () => {
  it('each error about the chosen file carries its problem; others carry none', () => {
    const problem = (path: string, opts: MlmdOpenOptions = {}) =>
      mlmdFileProblem(expectOpenError(path, opts));
    const notes = join(tempDir(), 'notes.txt');
    writeFileSync(notes, 'some notes, not a database\n'.repeat(10));
    expect(problem(notes)).toBe('not-mlmd');
    const other = join(tempDir(), 'other.db');
    raw(other, 'CREATE TABLE t (x)');
    expect(problem(other)).toBe('not-mlmd');
    const noEnv = mlmdFile();
    raw(noEnv, 'DROP TABLE MLMDEnv');
    expect(problem(noEnv)).toBe('damaged');
    const noRow = mlmdFile();
    raw(noRow, 'DELETE FROM MLMDEnv');
    expect(problem(noRow)).toBe('damaged');
    const empty = join(tempDir(), 'mlmd');
    writeFileSync(empty, '');
    expect(problem(empty, { readonly: true })).toBe('empty');
    let absent: unknown;
    try {
      MlmdStore.open(join(tempDir(), 'mlmd'), { create: false });
    } catch (err) {
      absent = err;
    }
    expect(mlmdFileProblem(absent)).toBe('missing');
    let dir: unknown;
    try {
      MlmdStore.open(tempDir());
    } catch (err) {
      dir = err;
    }
    expect(mlmdFileProblem(dir)).toBe('directory');
    const readonly = Object.assign(new Error('attempt to write a readonly database'), {
      code: 'SQLITE_READONLY',
    });
    expect(mlmdFileProblem(translateSqliteError(readonly, empty, 5000))).toBe('not-writable');
    // Not about which file was chosen: an ml-metadata version to up- or downgrade.
    const v9 = mlmdFile();
    raw(v9, 'UPDATE MLMDEnv SET schema_version = 9');
    expect(problem(v9)).toBeUndefined();
    expect(mlmdFileProblem(new Error('x'))).toBeUndefined();
  });
});

describe('opening valid stores', () => {
  it('adds missing simple types on a read-write open only', () => {
    const path = mlmdFile(1);
    raw(path, "DELETE FROM Type WHERE name IN ('mlmd.Model', 'mlmd.Deploy')");
    const before = sha256(path);
    const ro = MlmdStore.open(path, { readonly: true });
    expect(ro.types.get(TypeKind.ARTIFACT, 'mlmd.Model')).toBeUndefined();
    ro.close();
    expect(sha256(path)).toBe(before);
    const rw = MlmdStore.open(path);
    expect(rw.types.get(TypeKind.ARTIFACT, 'mlmd.Model')).toBeDefined();
    expect(rw.types.get(TypeKind.EXECUTION, 'mlmd.Deploy')).toBeDefined();
    expect(rw.artifacts.list()).toHaveLength(1);
    rw.close();
  });

  it('reopens a store without writing to it', () => {
    const path = mlmdFile(5);
    const before = sha256(path);
    const store = MlmdStore.open(path);
    expect(store.artifacts.list()).toHaveLength(5);
    store.close();
    expect(sha256(path)).toBe(before);
  });

  it('refuses writes on a read-only store: MLMD_READONLY', () => {
    const path = mlmdFile();
    const store = MlmdStore.open(path, { readonly: true });
    expect(() => store.types.put(TypeKind.ARTIFACT, 'New')).toThrow(
      expect.objectContaining({
        code: 'MLMD_READONLY',
        hint: expect.stringMatching(/opened with readonly: true/),
      }),
    );
    expect(store.types.get(TypeKind.ARTIFACT, 'Data')?.properties).toEqual({
      url: PropertyType.STRING,
    });
    store.close();
  });

  it('passes verify "full" on a healthy file', () => {
    const path = mlmdFile(50);
    MlmdStore.open(path, { verify: 'full' }).close();
  });
});
