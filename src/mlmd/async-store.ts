/**
 * The MLMD API in asynchronous form, so that code which must run against more than one
 * backend (the merge of pushed metadata, the export of a pipeline, the metadata server's
 * reads) is written once. Each method has exactly the signature of its MlmdStore
 * counterpart with the result wrapped in a Promise; MlmdStore is the reference semantics.
 *
 * Backends: `SqliteAsyncStore` below (an MlmdStore file) and the PostgreSQL store under
 * `src/mlmd/postgres/`.
 *
 * Transactions: `transaction(fn)` hands `fn` a store whose calls all run inside one
 * transaction, committed when `fn` resolves and rolled back when it throws. Calls made on
 * the outer store while a transaction is open never join it: on SQLite they wait until it
 * ends; on PostgreSQL writes wait (one writer at a time, across processes too) and reads go
 * on, seeing what was committed. So an `await` inside `fn` never lets another request's
 * statements into the transaction.
 */
import type { ArtifactStore } from './artifact-store.js';
import type { ContextStore } from './context-store.js';
import type { ExecutionStore } from './execution-store.js';
import type { LinkStore } from './link-store.js';
import type { MlmdStore } from './store.js';
import type { TypeStore } from './type-store.js';

/** The same methods, each returning a Promise of what the synchronous one returns. */
export type Promisified<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<R> : never;
};

/** The methods each part offers; the async types and the SQLite wrapper both come from these. */
const NODE_METHODS = [
  'create',
  'createMany',
  'getOrCreate',
  'update',
  'get',
  'require',
  'getMany',
  'getByName',
  'getByNames',
  'listByType',
  'listByTypeName',
  'list',
  'getProperties',
] as const;
const TYPE_METHODS = ['get', 'getById', 'list', 'put'] as const;
const ARTIFACT_METHODS = [
  ...NODE_METHODS,
  'getByUri',
  'getByUris',
  'byContext',
  'byExecution',
] as const;
const EXECUTION_METHODS = [...NODE_METHODS, 'byContext', 'byArtifact'] as const;
const CONTEXT_METHODS = [
  ...NODE_METHODS,
  'children',
  'parents',
  'ofExecution',
  'ofArtifact',
] as const;
const LINK_METHODS = [
  'putEvent',
  'addEvents',
  'associateMany',
  'attributeMany',
  'eventsOfExecutions',
  'eventsOfArtifacts',
  'associate',
  'attribute',
  'addParentContext',
  'associationsOf',
  'attributionsOf',
] as const;

export type AsyncTypeStore = Promisified<Pick<TypeStore, (typeof TYPE_METHODS)[number]>>;
export type AsyncArtifactStore = Promisified<
  Pick<ArtifactStore, (typeof ARTIFACT_METHODS)[number]>
>;
export type AsyncExecutionStore = Promisified<
  Pick<ExecutionStore, (typeof EXECUTION_METHODS)[number]>
>;
export type AsyncContextStore = Promisified<Pick<ContextStore, (typeof CONTEXT_METHODS)[number]>>;
export type AsyncLinkStore = Promisified<Pick<LinkStore, (typeof LINK_METHODS)[number]>>;

export interface AsyncMlmdStore {
  /** Where the store lives, for messages (a file path or a database URL without password). */
  readonly location: string;
  readonly types: AsyncTypeStore;
  readonly artifacts: AsyncArtifactStore;
  readonly executions: AsyncExecutionStore;
  readonly contexts: AsyncContextStore;
  readonly links: AsyncLinkStore;
  /** Runs `fn` in one write transaction (see the module comment). */
  transaction<T>(fn: (tx: AsyncMlmdStore) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A promise chain that lets one holder at a time through. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/** Wraps each method of `target` so it runs through `gate` and resolves to its result. */
function promisify<T extends object, K extends keyof T>(
  target: T,
  methods: readonly K[],
  gate: <R>(fn: () => R) => Promise<R>,
): Promisified<Pick<T, K>> {
  const out = {} as Record<K, unknown>;
  for (const m of methods) {
    const fn = target[m] as unknown as (...args: unknown[]) => unknown;
    out[m] = (...args: unknown[]) => gate(() => fn.apply(target, args));
  }
  return out as Promisified<Pick<T, K>>;
}

/** An MlmdStore (one SQLite file) behind the asynchronous API. */
export class SqliteAsyncStore implements AsyncMlmdStore {
  readonly types: AsyncTypeStore;
  readonly artifacts: AsyncArtifactStore;
  readonly executions: AsyncExecutionStore;
  readonly contexts: AsyncContextStore;
  readonly links: AsyncLinkStore;
  readonly store: MlmdStore;
  private readonly mutex: Mutex;
  private readonly inTransaction: boolean;

  /**
   * `gate` runs a synchronous store call: through the mutex on the outer store, directly on
   * the handle given to a transaction (which already holds the mutex).
   */
  private constructor(store: MlmdStore, mutex: Mutex, inTransaction: boolean) {
    this.store = store;
    this.mutex = mutex;
    this.inTransaction = inTransaction;
    const gate = <R>(fn: () => R): Promise<R> =>
      inTransaction ? Promise.resolve().then(fn) : mutex.run(async () => fn());
    this.types = promisify(store.types, TYPE_METHODS, gate);
    this.artifacts = promisify(store.artifacts, ARTIFACT_METHODS, gate);
    this.executions = promisify(store.executions, EXECUTION_METHODS, gate);
    this.contexts = promisify(store.contexts, CONTEXT_METHODS, gate);
    this.links = promisify(store.links, LINK_METHODS, gate);
  }

  static wrap(store: MlmdStore): SqliteAsyncStore {
    return new SqliteAsyncStore(store, new Mutex(), false);
  }

  get location(): string {
    return this.store.path;
  }

  async transaction<T>(fn: (tx: AsyncMlmdStore) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    return this.mutex.run(async () => {
      const db = this.store.database;
      // better-sqlite3's own transaction() cannot span an await: open it by hand. The store's
      // calls inside become savepoints, as they do inside MlmdStore.transaction.
      this.store.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(new SqliteAsyncStore(this.store, this.mutex, true));
        this.store.exec('COMMIT');
        return result;
      } catch (err) {
        if (db.inTransaction) this.store.exec('ROLLBACK');
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    await this.mutex.run(async () => this.store.close());
  }
}
