/**
 * Stores to merge into, one kind per backend, with what the merge tests check: a snapshot of
 * everything the store holds (equal snapshots = unchanged store) and row counts of every
 * MLMD table. SQLite: the file's bytes. PostgreSQL: every row of every MLMD table (its id
 * sequences are not transactional, so a rolled-back insert still uses up an id; rows are
 * what must not change).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { MlmdStore, SqliteAsyncStore, type AsyncMlmdStore } from '../../src/mlmd/index.js';
import { PostgresMlmdStore } from '../../src/mlmd/postgres/index.js';
import pg from 'pg';
import type { PostgresServer } from '../servers/postgres.js';
import { MlmdSql } from './mlmd-sql.js';
import { tempDir } from './tmp.js';

export interface TestStore {
  store: AsyncMlmdStore;
  /** Fingerprint of the whole store (for SQLite: the file's bytes). */
  snapshot(): Promise<string>;
  /** Row counts of every node, property and link table. */
  counts(): Promise<Record<string, number>>;
  /**
   * Another handle on the same store, as a second server process would have (PostgreSQL: its
   * own connection pool). SQLite: the same handle, since a second connection in this process
   * would block the event loop while it waits for the first one's write lock.
   */
  another(): Promise<AsyncMlmdStore>;
  /** Rows of a query without parameters (SQL both SQLite and PostgreSQL run: unquoted names). */
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
      another: async () => store,
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

const TABLES = [
  'Type',
  'ParentType',
  'TypeProperty',
  'Context',
  'ContextProperty',
  'ParentContext',
  'Execution',
  'ExecutionProperty',
  'Artifact',
  'ArtifactProperty',
  'Event',
  'EventPath',
  'Association',
  'Attribution',
  'MLMDEnv',
];

/** A fresh database on `server()` (a PostgreSQL started by the test file) per store. */
export function postgresBackend(server: () => PostgresServer): Backend {
  return {
    name: 'postgres',
    async fresh() {
      const url = await server().createDatabase();
      const store = await PostgresMlmdStore.open(url);
      onTestFinished(() => store.close());
      // One connection for the test's checks (a connection per query costs an authentication).
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      onTestFinished(() => client.end());
      const rows = async <T>(query: string) => (await client.query(query)).rows as T[];
      return {
        store,
        rows,
        another: async () => {
          const other = await PostgresMlmdStore.open(url);
          onTestFinished(() => other.close());
          return other;
        },
        snapshot: async () => {
          const parts: string[] = [];
          for (const t of TABLES) {
            const r = await rows<{ rows: unknown }>(
              `SELECT coalesce(json_agg(x ORDER BY x::text), '[]') AS rows FROM ${t} x`,
            );
            parts.push(`${t}: ${JSON.stringify(r[0]?.rows)}`);
          }
          return parts.join('\n');
        },
        counts: async () => {
          const out: Record<string, number> = {};
          for (const t of TABLES) {
            const r = await rows<{ n: unknown }>(`SELECT count(*) AS n FROM ${t}`);
            out[t] = Number(r[0]?.n);
          }
          return out;
        },
      };
    },
  };
}
