import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MlmdStore } from '../../../src/mlmd/index.js';
import { tempDir } from './helpers.js';

const FIXTURE = join(import.meta.dirname, '../../fixtures/mlmd-v10-ddl.sql');

/** The reference statements (spec Appendix B-X), one per line. */
function referenceStatements(): string[] {
  return readFileSync(FIXTURE, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('--'));
}

/** What SQLite keeps in sqlite_master.sql: no IF NOT EXISTS, no leading/trailing blanks or ';'. */
function asStored(stmt: string): string {
  return stmt
    .trim()
    .replace(/;$/, '')
    .trimEnd()
    .replace(/^CREATE (TABLE|INDEX) IF NOT EXISTS\s+/, 'CREATE $1 ');
}

function createFresh(): Database.Database {
  const path = join(tempDir(), 'mlmd');
  MlmdStore.open(path).close();
  return new Database(path, { readonly: true });
}

describe('MLMD v10 schema of a new file', () => {
  it('stores every CREATE statement exactly as MLMD 1.15 leaves it, in MLMD order', () => {
    const db = createFresh();
    const expected = referenceStatements()
      .filter((s) => /^\s*CREATE /.test(s))
      .map((s) => {
        const m = /^\s*CREATE (TABLE|INDEX) IF NOT EXISTS\s+`([^`]+)`(?:\s+ON `([^`]+)`)?/.exec(s);
        if (!m) throw new Error(`fixture line not understood: ${s}`);
        const type = m[1] === 'TABLE' ? 'table' : 'index';
        return { type, name: m[2], tbl_name: m[3] ?? m[2], sql: asStored(s) };
      });
    expect(expected).toHaveLength(39);
    const actual = db
      .prepare(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name <> 'sqlite_sequence' ORDER BY rowid",
      )
      .all();
    expect(actual).toEqual(expected);
    db.close();
  });

  it('has 15 tables plus sqlite_sequence and 40 indexes (16 autoindexes)', () => {
    const db = createFresh();
    const count = (where: string) =>
      (db.prepare(`SELECT count(*) AS c FROM sqlite_master WHERE ${where}`).get() as { c: number })
        .c;
    expect(count("type = 'table' AND name NOT LIKE 'sqlite_%'")).toBe(15);
    expect(count("type = 'table' AND name = 'sqlite_sequence'")).toBe(1);
    expect(count("type = 'index'")).toBe(40);
    expect(count("type = 'index' AND name LIKE 'sqlite_autoindex_%'")).toBe(16);
    expect(count("type NOT IN ('table', 'index')")).toBe(0);
    db.close();
  });

  it('holds MLMDEnv = 10, the 9 simple types with ids 1-9 and sqlite_sequence (Type, 9)', () => {
    const db = createFresh();
    expect(db.prepare('SELECT schema_version FROM MLMDEnv').all()).toEqual([
      { schema_version: 10 },
    ]);
    expect(db.prepare('SELECT typeof(schema_version) AS t FROM MLMDEnv').get()).toEqual({
      t: 'integer',
    });
    expect(db.prepare('SELECT * FROM Type ORDER BY id').all()).toEqual(
      [
        ['mlmd.Dataset', 1],
        ['mlmd.Model', 1],
        ['mlmd.Metrics', 1],
        ['mlmd.Statistics', 1],
        ['mlmd.Train', 0],
        ['mlmd.Transform', 0],
        ['mlmd.Process', 0],
        ['mlmd.Evaluate', 0],
        ['mlmd.Deploy', 0],
      ].map(([name, kind], i) => ({
        id: i + 1,
        name,
        version: null,
        type_kind: kind,
        description: null,
        input_type: null,
        output_type: null,
        external_id: null,
      })),
    );
    expect(db.prepare('SELECT name, seq FROM sqlite_sequence').all()).toEqual([
      { name: 'Type', seq: 9 },
    ]);
    for (const t of [
      'TypeProperty',
      'ParentType',
      'Artifact',
      'ArtifactProperty',
      'Execution',
      'ExecutionProperty',
      'Event',
      'EventPath',
      'Context',
      'ContextProperty',
      'ParentContext',
      'Association',
      'Attribution',
    ]) {
      expect(db.prepare(`SELECT count(*) AS c FROM ${t}`).get(), t).toEqual({ c: 0 });
    }
    db.close();
  });

  it('matches a database built by running the reference statements themselves', () => {
    const ref = new Database(':memory:');
    for (const s of referenceStatements()) ref.exec(s);
    const dump = (d: Database.Database) => ({
      master: d.prepare('SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid').all(),
      types: d.prepare('SELECT * FROM Type ORDER BY id').all(),
      seq: d.prepare('SELECT * FROM sqlite_sequence').all(),
      env: d.prepare('SELECT * FROM MLMDEnv').all(),
    });
    const db = createFresh();
    expect(dump(db)).toEqual(dump(ref));
    db.close();
    ref.close();
  });

  it('keeps the default rollback journal', () => {
    const path = join(tempDir(), 'mlmd');
    const store = MlmdStore.open(path);
    expect(store.database.pragma('journal_mode', { simple: true })).toBe('delete');
    store.close();
  });
});
