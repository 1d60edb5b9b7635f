/**
 * MlmdStore: one open MLMD v10 SQLite file and the typed API over it.
 *
 * Journal mode: we keep SQLite's default rollback journal (DELETE) and set no PRAGMA that
 * changes the file. Python ml-metadata sets no PRAGMAs either, and opens such files
 * read-write and read-only without trouble; WAL would leave `-wal`/`-shm` files beside the
 * store and makes read-only opens need write access to the directory (spec/formats.md B6
 * item 13). A file someone else switched to WAL is used as it is.
 *
 * Concurrency: a busy timeout lets writers queue; every write is one BEGIN IMMEDIATE
 * transaction (see Connection.write), and `transaction(fn)` groups several writes into one.
 */
import { closeSync, existsSync, openSync, rmSync, statSync, type Stats } from 'node:fs';
import { CmfError, isNoSpaceError } from '../errors/index.js';
import Database from 'better-sqlite3';
import { ArtifactStore } from './artifact-store.js';
import { Connection } from './connection.js';
import { ContextStore } from './context-store.js';
import {
  cantOpenError,
  diskFullError,
  emptyFileError,
  fileNotFoundError,
  invalidArgumentError,
  MlmdErrorCode,
  notRegularFileError,
  translateSqliteError,
} from './errors.js';
import { ExecutionStore } from './execution-store.js';
import { LinkStore } from './link-store.js';
import { ARTIFACT_KIND, CONTEXT_KIND, EXECUTION_KIND } from './node-kinds.js';
import { checkIntegrity, createSchema, insertSimpleTypes, inspect } from './open.js';
import { MLMD_SCHEMA_VERSION } from './schema.js';
import { TypeStore } from './type-store.js';

export interface MlmdOpenOptions {
  /**
   * Create the file (and the schema) when it does not exist, and initialise an empty
   * (0-byte or table-less) database. Default true; ignored for read-only opens.
   */
  create?: boolean;
  /** Open read-only: nothing is ever written, missing simple types are not added. */
  readonly?: boolean;
  /** How long to wait for another process's lock, in ms. Default 5000. */
  busyTimeoutMs?: number;
  /**
   * Integrity check on open. SQLite already detects a truncated file and damaged pages it
   * reads (MLMD_CORRUPT); 'quick' (PRAGMA quick_check) reads every page, which costs time in
   * proportion to the file size, so it is off by default. Default 'none'.
   */
  verify?: 'none' | 'quick' | 'full';
  /** Milliseconds since the epoch, for timestamps. Default Date.now. */
  clock?: () => number;
  /** Called with the text of every statement run (for debugging and tests). */
  trace?: (sql: string) => void;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * A valid busy timeout: SQLite takes a 32-bit int of milliseconds (better-sqlite3 would throw
 * a TypeError, taken for CANTOPEN, on anything else).
 */
export function isBusyTimeout(ms: unknown): ms is number {
  return Number.isSafeInteger(ms) && (ms as number) >= 0 && (ms as number) < 2 ** 31;
}

export class MlmdStore {
  readonly types: TypeStore;
  readonly artifacts: ArtifactStore;
  readonly executions: ExecutionStore;
  readonly contexts: ContextStore;
  /** Events, associations, attributions, parent contexts. */
  readonly links: LinkStore;
  private readonly conn: Connection;

  private constructor(conn: Connection) {
    this.conn = conn;
    this.types = new TypeStore(conn);
    this.artifacts = new ArtifactStore(conn, this.types, ARTIFACT_KIND);
    this.executions = new ExecutionStore(conn, this.types, EXECUTION_KIND);
    this.contexts = new ContextStore(conn, this.types, CONTEXT_KIND);
    this.links = new LinkStore(conn);
  }

  /**
   * Opens (or creates) an MLMD v10 store. A new file gets the whole schema in one
   * transaction, so a crash leaves either no schema or all of it (an empty file left
   * behind is initialised by the next open; one a full disk left is removed at once). An existing file is checked as MLMD checks it
   * before anything is written; a file that is not a complete v10 store is never modified.
   * `':memory:'` opens an in-memory store.
   */
  static open(path: string, opts: MlmdOpenOptions = {}): MlmdStore {
    try {
      return MlmdStore.openOnce(path, opts);
    } catch (err) {
      // A writer killed mid-transaction left a hot journal, which a read-only connection may
      // not roll back (every read then fails). Any SQLite reader allowed to write rolls it
      // back, as MLMD's own read-write readers do: the file gets its last committed state,
      // nothing more. Then open as asked.
      if (!(err instanceof CmfError && err.code === MlmdErrorCode.unfinishedWrite)) throw err;
      if (!rollBackUnfinishedWrite(path, opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS)) throw err;
      return MlmdStore.openOnce(path, opts);
    }
  }

  private static openOnce(path: string, opts: MlmdOpenOptions): MlmdStore {
    const readonly = opts.readonly ?? false;
    const mayInit = !readonly && (opts.create ?? true);
    const busyTimeoutMs = opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    if (!isBusyTimeout(busyTimeoutMs)) {
      throw invalidArgumentError(
        `busyTimeoutMs must be a whole number of milliseconds, 0 or more, not ${String(busyTimeoutMs)}.`,
        { busyTimeoutMs: String(busyTimeoutMs) },
        `Pass busyTimeoutMs as a whole number of milliseconds (default ${DEFAULT_BUSY_TIMEOUT_MS}).`,
      );
    }
    const stats = path === ':memory:' ? undefined : statIfReachable(path);
    if (stats && !stats.isFile()) throw notRegularFileError(path, stats);
    const exists = path === ':memory:' || stats !== undefined;
    if (!exists && !mayInit) throw fileNotFoundError(path);
    const created = !exists && mayInit && createExclusively(path);

    let db: Database.Database;
    try {
      db = new Database(path, {
        readonly,
        fileMustExist: exists,
        timeout: busyTimeoutMs,
        ...(opts.trace ? { verbose: (sql: unknown) => opts.trace?.(String(sql)) } : {}),
      });
    } catch (err) {
      // better-sqlite3 throws a plain TypeError when the directory does not exist.
      const typed = translateSqliteError(err, path, busyTimeoutMs);
      if (created) removeIfEmpty(path);
      throw typed === err ? cantOpenError(path, err) : typed;
    }
    // Statement journals and savepoint sub-journals (every nested write is a savepoint) go
    // to temp files by default: tens of KiB written per logged artifact. They are never part
    // of crash recovery (the rollback journal is), so memory is as safe; the file is unchanged.
    db.pragma('temp_store = MEMORY');
    const conn = new Connection(db, path, readonly, busyTimeoutMs, opts.clock ?? Date.now);
    try {
      let found = conn.read(() => inspect(conn));
      if (found.kind === 'empty') {
        if (!mayInit) {
          throw emptyFileError(path, readonly ? 'it was opened read-only' : 'create is false');
        }
        // Another process may initialise it at the same time: decide again under the lock.
        conn.write(() => {
          if (inspect(conn).kind === 'empty') createSchema(conn);
        });
        found = conn.read(() => inspect(conn));
      }
      if (found.kind === 'mlmd' && found.missingSimpleTypes.length > 0 && !readonly) {
        conn.write(() => {
          const again = inspect(conn);
          if (again.kind === 'mlmd') insertSimpleTypes(conn, again.missingSimpleTypes);
        });
      }
      if (opts.verify && opts.verify !== 'none') {
        const kind = opts.verify;
        conn.read(() => checkIntegrity(conn, kind));
      }
    } catch (err) {
      db.close();
      // Not on other failures: a busy timeout can mean another process is initialising it.
      if (created && (err as { code?: unknown }).code === MlmdErrorCode.diskFull) {
        removeIfEmpty(path);
      }
      throw err;
    }
    return new MlmdStore(conn);
  }

  get path(): string {
    return this.conn.path;
  }

  get readonly(): boolean {
    return this.conn.readonly;
  }

  /** The underlying better-sqlite3 handle, for queries this API does not offer. */
  get database(): Database.Database {
    return this.conn.db;
  }

  /** The schema version in MLMDEnv (always MLMD_SCHEMA_VERSION for an open store). */
  schemaVersion(): number {
    return this.conn.read(() => {
      const row = this.conn.stmt('SELECT schema_version FROM MLMDEnv').get() as
        { schema_version: number } | undefined;
      return Number(row?.schema_version ?? MLMD_SCHEMA_VERSION);
    });
  }

  /**
   * Runs `fn` as one write transaction (BEGIN IMMEDIATE): all its writes land together or
   * not at all. The store's own calls inside it become savepoints. `fn` must be synchronous.
   */
  transaction<T>(fn: () => T): T {
    return this.conn.write(fn);
  }

  /**
   * Runs one SQL statement outside the typed API (e.g. the BEGIN/COMMIT of a transaction that
   * spans awaits), with SQLite errors turned into the store's typed errors (busy, corrupt…).
   */
  exec(sql: string): void {
    this.conn.guard(() => this.conn.stmt(sql).run());
  }

  /** Runs `fn` with one consistent read snapshot. */
  read<T>(fn: () => T): T {
    return this.conn.read(fn);
  }

  /** Runs PRAGMA quick_check ('quick') or integrity_check ('full'); throws MLMD_CORRUPT. */
  checkIntegrity(kind: 'quick' | 'full' = 'quick'): void {
    this.conn.read(() => checkIntegrity(this.conn, kind));
  }

  close(): void {
    if (this.conn.db.open) this.conn.db.close();
  }
}

/** `path`'s stats; undefined when it does not exist or cannot be reached (SQLite then says why). */
/**
 * Creates the missing store file exclusively (mode 0644, as SQLite would), so that a failed
 * first open knows the file is its own to remove: a full disk would otherwise leave a 0-byte
 * store behind. False when another process created it first, or when SQLite should report
 * why it cannot (missing directory, permissions).
 */
function createExclusively(path: string): boolean {
  try {
    closeSync(openSync(path, 'wx', 0o644));
    return true;
  } catch (err) {
    if (isNoSpaceError(err)) throw diskFullError(path, err);
    return false;
  }
}

/**
 * Removes the store file this open created, if it is still empty. A journal beside it means
 * another process opened the file and is writing it: then it is left alone.
 */
function removeIfEmpty(path: string): void {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st?.isFile() || st.size !== 0 || existsSync(`${path}-journal`)) return;
  rmSync(path, { force: true });
}

/**
 * Rolls back the hot journal a killed writer left beside `path` by reading the file through a
 * connection allowed to write (SQLite does it when it takes the first shared lock). False when
 * this process may not write it (permissions, a read-only file system) or another process
 * holds the lock past the busy timeout.
 */
function rollBackUnfinishedWrite(path: string, busyTimeoutMs: number): boolean {
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { fileMustExist: true, timeout: busyTimeoutMs });
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return true;
  } catch {
    return false;
  } finally {
    db?.close();
  }
}

function statIfReachable(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
