/**
 * The SQLite connection shared by the store's parts: prepared-statement cache, read and
 * write transactions, SQLite error translation, the clock.
 */
import type Database from 'better-sqlite3';
import { readonlyError, translateSqliteError } from './errors.js';

export type Db = Database.Database;
export type Statement = Database.Statement;

/**
 * An integer parameter. better-sqlite3 binds every JS number as REAL; MLMD parses integer
 * columns with SimpleAtoi and aborts on `5.0` (spec B6 item 5), so integers are bound as bigint.
 */
export function i64(n: number | bigint): bigint {
  return typeof n === 'bigint' ? n : BigInt(n);
}

/** A list of ids as one JSON parameter, for `IN (SELECT value FROM json_each(?))`. */
export function idList(ids: Iterable<number>): string {
  return JSON.stringify(Array.from(ids, (id) => Math.trunc(id)));
}

export class Connection {
  private readonly statements = new Map<string, Statement>();
  private readonly bigintStatements = new Map<string, Statement>();
  readonly db: Db;
  readonly path: string;
  readonly readonly: boolean;
  readonly busyTimeoutMs: number;
  private readonly clock: () => number;

  constructor(db: Db, path: string, readonly: boolean, busyTimeoutMs: number, clock: () => number) {
    this.db = db;
    this.path = path;
    this.readonly = readonly;
    this.busyTimeoutMs = busyTimeoutMs;
    this.clock = clock;
  }

  /** Now in integer milliseconds since the epoch (MLMD's timestamp unit). */
  now(): bigint {
    return BigInt(Math.trunc(this.clock()));
  }

  /** A cached prepared statement. */
  stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  /** A cached prepared statement that returns integers as bigint (for int64 property values). */
  bigintStmt(sql: string): Statement {
    let s = this.bigintStatements.get(sql);
    if (!s) {
      s = this.db.prepare(sql).safeIntegers(true);
      this.bigintStatements.set(sql, s);
    }
    return s;
  }

  /** Converts SQLite errors thrown by `fn` into typed errors. */
  guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw translateSqliteError(err, this.path, this.busyTimeoutMs);
    }
  }

  /**
   * Runs `fn` in a read transaction, so a listing and its batch property query see the same
   * snapshot. Inside another transaction it becomes a savepoint.
   */
  read<T>(fn: () => T): T {
    // Inside a transaction a read needs no savepoint: it has nothing to roll back.
    if (this.db.inTransaction) return this.guard(fn);
    return this.guard(() => this.db.transaction(fn).deferred());
  }

  /**
   * Runs `fn` in a write transaction. BEGIN IMMEDIATE takes the write lock up front, so two
   * writers queue on the busy timeout instead of one failing with SQLITE_BUSY when it
   * upgrades a read lock. Nested calls become savepoints of the outer transaction.
   */
  write<T>(fn: () => T): T {
    if (this.readonly) throw readonlyError(this.path);
    return this.guard(() => this.db.transaction(fn).immediate());
  }
}
