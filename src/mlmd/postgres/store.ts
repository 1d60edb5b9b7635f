/**
 * PostgresMlmdStore: an MLMD v10 store in a PostgreSQL database, behind the asynchronous
 * MLMD API (../async-store.ts), for a metadata server that many users share. MlmdStore is
 * the reference semantics; session.ts explains how statements, transactions and the
 * writers' lock work.
 */
import pg from 'pg';
import type { AsyncMlmdStore } from '../async-store.js';
import { ARTIFACT_KIND, CONTEXT_KIND, EXECUTION_KIND } from '../node-kinds.js';
import { badUrlError, pgEmptyDatabaseError } from './errors.js';
import { PgLinkStore } from './link-store.js';
import { PgArtifactStore, PgContextStore, PgExecutionStore } from './node-store.js';
import { type PgInspection, createSchema, insertSimpleTypes, inspect } from './open.js';
import { Session } from './session.js';
import { PgTypeStore, TypeCache } from './type-store.js';
import { stripUrlSecrets } from '../../util/url-secrets.js';

export interface PostgresOpenOptions {
  /** Create the MLMD tables when the schema holds no tables at all. Default true. */
  create?: boolean;
  /** Connections in the pool. Default 10. */
  poolSize?: number;
  /** How long to wait for a connection, in ms. Default 10000. */
  connectTimeoutMs?: number;
  /** Milliseconds since the epoch, for timestamps. Default Date.now. */
  clock?: () => number;
}

export class PostgresMlmdStore implements AsyncMlmdStore {
  readonly types: PgTypeStore;
  readonly artifacts: PgArtifactStore;
  readonly executions: PgExecutionStore;
  readonly contexts: PgContextStore;
  readonly links: PgLinkStore;
  private readonly pool: pg.Pool;
  private readonly session: Session;
  private readonly cache: TypeCache;
  private readonly stepOrder: 'seq' | 'ctid';

  private constructor(
    pool: pg.Pool,
    session: Session,
    cache: TypeCache,
    stepOrder: 'seq' | 'ctid',
  ) {
    this.pool = pool;
    this.session = session;
    this.cache = cache;
    this.stepOrder = stepOrder;
    this.types = new PgTypeStore(session, cache);
    this.artifacts = new PgArtifactStore(session, this.types, ARTIFACT_KIND);
    this.executions = new PgExecutionStore(session, this.types, EXECUTION_KIND);
    this.contexts = new PgContextStore(session, this.types, CONTEXT_KIND);
    this.links = new PgLinkStore(session, stepOrder);
  }

  /**
   * Connects to `url` (postgres://USER:PASSWORD@HOST:PORT/DATABASE; add
   * `?options=-c%20search_path%3DNAME` to use another schema than `public`) and opens the
   * MLMD store in it. An empty schema gets the v10 tables, indexes, schema version and
   * simple types in one transaction, under the writers' lock so that two servers starting
   * at once do not both create them. A schema holding anything else is checked and never
   * modified: another schema version, tables that are not MLMD's, a half-created store each
   * give a typed error.
   */
  static async open(url: string, opts: PostgresOpenOptions = {}): Promise<PostgresMlmdStore> {
    const location = redactUrl(url);
    let pool: pg.Pool;
    try {
      pool = new pg.Pool({
        connectionString: url,
        max: opts.poolSize ?? 10,
        connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
        application_name: 'cmf',
      });
    } catch {
      throw badUrlError();
    }
    // An idle client whose connection drops (server restart) emits 'error' on the pool;
    // unhandled it would end the process. The next query reports the problem instead.
    pool.on('error', () => undefined);
    const session = Session.forPool(pool, location, opts.clock ?? Date.now);
    let found: PgInspection;
    try {
      found = await session.read((q) => inspect(q, location));
      if (found.kind === 'empty') {
        if (opts.create === false) throw pgEmptyDatabaseError(location);
        await session.write(async (q) => {
          if ((await inspect(q, location)).kind === 'empty') await createSchema(q);
        });
        found = await session.read((q) => inspect(q, location));
      }
      if (found.kind === 'mlmd' && found.missingSimpleTypes.length > 0) {
        await session.write(async (q) => {
          const again = await inspect(q, location);
          if (again.kind === 'mlmd') await insertSimpleTypes(q, again.missingSimpleTypes);
        });
      }
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    const stepOrder = found.kind === 'mlmd' && !found.eventPathSeq ? 'ctid' : 'seq';
    return new PostgresMlmdStore(pool, session, new TypeCache(), stepOrder);
  }

  /** The database URL without its password. */
  get location(): string {
    return this.session.location;
  }

  /**
   * Runs `fn` in one transaction on one connection, holding the writers' lock from its
   * start: committed when `fn` resolves, rolled back when it throws. Calls on the outer
   * store meanwhile use other connections; its writes wait for the lock.
   */
  async transaction<T>(fn: (tx: AsyncMlmdStore) => Promise<T>): Promise<T> {
    if (this.session.inTransaction) return fn(this);
    const cache = this.cache.fork();
    const result = await this.session.transaction((tx) =>
      fn(new PostgresMlmdStore(this.pool, tx, cache, this.stepOrder)),
    );
    this.cache.merge(cache);
    return result;
  }

  /** Closes the pool (after the queries under way); the transaction handle's close is a no-op. */
  async close(): Promise<void> {
    if (this.session.inTransaction || this.pool.ended || this.pool.ending) return;
    await this.pool.end();
  }
}

/** The URL without its secrets (the user part's password, credential query parameters), for messages. */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw badUrlError();
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw badUrlError();
  return stripUrlSecrets(url);
}
