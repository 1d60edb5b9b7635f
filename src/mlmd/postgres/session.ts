/**
 * How the PostgreSQL store runs statements.
 *
 * Outside a transaction, reads go straight to the pool: each read is ONE statement (nodes
 * come with their properties through a join), so it sees one consistent snapshot without a
 * transaction around it. Each write runs as its own small transaction on one pooled client.
 *
 * Writers are serialised across processes with a transaction-level advisory lock, taken as
 * the first statement of every write transaction (a store call outside `transaction()`, or a
 * whole `transaction(fn)`). Several server processes may share one database; MLMD's
 * get-or-create (look up by name, insert if absent) and the merge of pushed metadata are
 * read-then-write sequences that must not interleave, and READ COMMITTED alone would let two
 * writers both insert. SERIALIZABLE would make them fail and retry instead of wait; the lock
 * makes them queue, like SQLite's BEGIN IMMEDIATE. The lock is keyed on the schema, so stores
 * in different schemas of one database do not wait for each other, and readers never wait.
 * It is released by COMMIT or ROLLBACK, also when the client's connection dies.
 *
 * Within one process, write transactions also queue on a mutex before they take a pooled
 * connection, so waiting writers hold no connections: the pool stays free for reads, and a
 * burst of pushes cannot starve it.
 *
 * Inside a transaction, every store call runs on the transaction's one client, one call at a
 * time (a mutex: concurrent calls on one client would interleave their statements). Calls
 * check their arguments, and look up what could conflict, before their first write, so a
 * call refused for a bad argument, a duplicate name or a missing id changes nothing and the
 * transaction goes on, as in the SQLite store. A statement PostgreSQL itself rejects (lost
 * connection, a unique external id taken) aborts the whole transaction, which PostgreSQL
 * cannot continue: every later call and the commit then fail with MLMD_TRANSACTION_ABORTED,
 * and nothing is written. (Per-call savepoints would let it go on, at two more round trips
 * per call: a large push makes tens of thousands of calls.)
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { UsageError } from '../../errors/index.js';
import { Mutex } from '../async-store.js';
import { transactionAbortedError, translatePgError } from './errors.js';

/** Runs statements; the rows come back as plain objects. */
export interface Querier {
  /**
   * `planEach`: plan the statement for each call's values instead of reusing a prepared
   * plan. For lookups whose best plan depends on the tables' size: a prepared statement's
   * generic plan, made while a long merge transaction's tables were small (their
   * statistics are of before it), would scan them whole on every later call.
   */
  query<R>(sql: string, params?: unknown[], opts?: { planEach?: boolean }): Promise<R[]>;
  /** Now in integer milliseconds since the epoch (MLMD's timestamp unit). */
  now(): bigint;
}

/** First key of the advisory lock ("cmf"); the second is the hash of the schema name. */
const LOCK_CLASS = 0x636d66;
const LOCK_SQL = `SELECT pg_advisory_xact_lock(${LOCK_CLASS}, hashtext(current_schema()))`;

/**
 * Statements with parameters run as named prepared statements: each connection parses and
 * plans one once, then reuses it (a push makes thousands of identical calls; planning the
 * insert-with-checks statements costs more than running them). The name is derived from the
 * text, so equal texts share it and different texts never collide.
 */
const statementNames = new Map<string, string>();
function statementName(sql: string): string {
  let n = statementNames.get(sql);
  if (!n)
    statementNames.set(
      sql,
      (n = `cmf_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`),
    );
  return n;
}

export class Session {
  /** Pool session: one write transaction of this process at a time. Transaction: one call at a time. */
  private readonly mutex = new Mutex();
  private ended = false;
  /** The error of the statement that aborted this transaction. */
  private failed: unknown;

  private readonly pool: pg.Pool;
  /** The transaction's client, or undefined for the pool. */
  private readonly client: pg.PoolClient | undefined;
  readonly location: string;
  private readonly clock: () => number;

  private constructor(
    pool: pg.Pool,
    client: pg.PoolClient | undefined,
    location: string,
    clock: () => number,
  ) {
    this.pool = pool;
    this.client = client;
    this.location = location;
    this.clock = clock;
  }

  static forPool(pool: pg.Pool, location: string, clock: () => number): Session {
    return new Session(pool, undefined, location, clock);
  }

  get inTransaction(): boolean {
    return this.client !== undefined;
  }

  /** Runs a read. */
  async read<T>(fn: (q: Querier) => Promise<T>): Promise<T> {
    if (!this.client) return fn(this.querier(this.pool));
    const client = this.client;
    return this.mutex.run(() => {
      this.assertUsable();
      return fn(this.querier(client));
    });
  }

  /** Runs a write: its own locked transaction outside `transaction()`, part of it inside. */
  async write<T>(fn: (q: Querier) => Promise<T>): Promise<T> {
    if (!this.client) return this.transaction((s) => s.read(fn));
    return this.read(fn);
  }

  /**
   * Runs `fn` with a session on one client inside BEGIN … COMMIT holding the writers' lock;
   * ROLLBACK when `fn` throws. Inside a transaction, `fn` simply joins it.
   */
  async transaction<T>(fn: (tx: Session) => Promise<T>): Promise<T> {
    if (this.client) return fn(this);
    return this.mutex.run(() => this.runTransaction(fn));
  }

  private async runTransaction<T>(fn: (tx: Session) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw translatePgError(err, this.location);
    }
    const tx = new Session(this.pool, client, this.location, this.clock);
    const q = this.querier(client);
    let broken: Error | undefined;
    // A checked-out client whose connection drops emits 'error'; unheard, that would end the
    // process. The statement under way (or the next one) fails with the same error.
    const onError = (err: Error) => (broken = err);
    client.on('error', onError);
    try {
      await q.query('BEGIN');
      await q.query(LOCK_SQL);
      const result = await fn(tx);
      // Calls `fn` started but did not wait for finish before COMMIT, not after it.
      await tx.mutex.run(async () => {
        // PostgreSQL would answer COMMIT of an aborted transaction with a silent ROLLBACK.
        tx.assertUsable();
        tx.ended = true;
        await q.query('COMMIT');
      });
      return result;
    } catch (err) {
      await tx.mutex.run(async () => {
        tx.ended = true;
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          // The connection is gone (the server rolls back on its own): do not reuse it.
          broken = rollbackErr as Error;
        }
      });
      throw err;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  private assertUsable(): void {
    if (this.ended) {
      throw new UsageError(
        'MLMD_TRANSACTION_ENDED',
        'A store call was made on a transaction that has already ended.',
        { hint: 'Await every call inside the transaction function before it returns.' },
      );
    }
    if (this.failed !== undefined) throw transactionAbortedError(this.location, this.failed);
  }

  private querier(runner: pg.Pool | pg.PoolClient): Querier {
    const clock = this.clock;
    return {
      query: async <R>(
        sql: string,
        params: unknown[] = [],
        opts: { planEach?: boolean } = {},
      ): Promise<R[]> => {
        try {
          const name = params.length > 0 && !opts.planEach ? statementName(sql) : undefined;
          return (await runner.query({ text: sql, values: params, ...(name ? { name } : {}) }))
            .rows as R[];
        } catch (err) {
          const typed = translatePgError(err, this.location);
          // On the transaction's client, any failed statement has aborted the transaction.
          if (this.client && this.failed === undefined) this.failed = typed;
          throw typed;
        }
      },
      now: () => BigInt(Math.trunc(clock())),
    };
  }
}
