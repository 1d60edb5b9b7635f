/**
 * Stores to merge into, one kind per backend, with what the merge tests check: a snapshot of
 * everything the store holds (equal snapshots = unchanged store) and row counts of every
 * MLMD table.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { MlmdStore, SqliteAsyncStore, type AsyncMlmdStore } from '../../src/mlmd/index.js';
import { MlmdSql } from './mlmd-sql.js';
import { tempDir } from './tmp.js';

export interface TestStore {
  store: AsyncMlmdStore;
  /** Fingerprint of the whole store (for SQLite: the file's bytes). */
  snapshot(): Promise<string>;
  /** Row counts of every node, property and link table. */
  counts(): Promise<Record<string, number>>;
  /** Rows of a query without parameters (table names double-quoted: portable SQL). */
  rows<T = Record<string, unknown>>(sql: string): Promise<T[]>;
}

export interface Backend {
  name: string;
  /** A new, empty store (closed when the test ends). */
  fresh(): Promise<TestStore>;
}

export const sqliteBackend: Backend = {
  name: 'sqlite',
  async fresh() {
    const path = join(await tempDir('cmf-merge-'), 'mlmd');
    const store = SqliteAsyncStore.wrap(MlmdStore.open(path));
    onTestFinished(() => store.close());
    return {
      store,
      snapshot: async () => createHash('sha256').update(readFileSync(path)).digest('hex'),
      counts: async () => withSql(path, (sql) => sql.counts()),
      rows: async <T>(query: string) => withSql(path, (sql) => sql.all<T>(query)),
    };
  },
};

function withSql<T>(path: string, fn: (sql: MlmdSql) => T): T {
  const sql = new MlmdSql(path);
  try {
    return fn(sql);
  } finally {
    sql.close();
  }
}
