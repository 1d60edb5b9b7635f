import type Database from 'better-sqlite3';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { statMatches, type CachedTuple } from './hash-core.js';
import type { HashName } from './types.js';

/** The stat fields a state entry is keyed on (from `fs.stat(path, { bigint: true })`). */
export interface StatKey {
  ino: bigint;
  mtimeNs: bigint;
  size: number;
}

/** What a hash state entry is compared with (a plain `fs.Stats` is one): inode, mtime, size. */
export interface FileIdentity {
  ino: number;
  mtimeMs: number;
  size: number;
}

/** A cached hash as read back for comparison with a plain (non-bigint) `fs.Stats`. */
export interface CachedHash {
  /** As a JS number: exact below 2^53 (callers use `get` for larger inode numbers). */
  ino: number;
  /** `mtime_ns` converted exactly as Node computes `Stats.mtimeMs` from the same timespec. */
  mtimeMs: number;
  size: number;
  md5: string;
  /** The exact `mtime_ns` as decimal text (parsed only when needed). */
  mtimeNsText: string;
}

/**
 * Node's `Stats.mtimeMs` for a timestamp in ns: `sec * 1e3 + nsec / 1e6` in doubles, where
 * nsec is in [0, 1e9). Two stats of the same file give the same double, so a plain `statSync`
 * (much cheaper than a bigint one: no BigInt allocation) can be compared exactly.
 */
export function msFromNs(ns: bigint): number {
  let sec = ns / 1_000_000_000n;
  let nsec = ns % 1_000_000_000n;
  if (nsec < 0n) {
    nsec += 1_000_000_000n;
    sec -= 1n;
  }
  return Number(sec) * 1e3 + Number(nsec) / 1e6;
}

export interface StateEntry extends StatKey {
  /** Absolute path of the file. */
  path: string;
  hashName: HashName;
  md5: string;
}

/** The entry recording that the file `path`, as `st` describes it, hashes to `md5`. */
export function stateEntry(
  path: string,
  md5: string,
  st: { ino: bigint; mtimeNs: bigint; size: bigint },
  hashName: HashName = 'md5',
): StateEntry {
  return { path, hashName, ino: st.ino, mtimeNs: st.mtimeNs, size: Number(st.size), md5 };
}

/** Where cmf keeps its state: beside DVC's own tmp files, which DVC already git-ignores. */
export function stateDbPath(repoRoot: string): string {
  return join(resolve(repoRoot), '.dvc', 'tmp', 'cmf-state.db');
}

// Loaded on first open, not at import: the native addon costs ~25 ms of start-up, which a
// run without a state cache (or a CLI command that never hashes) should not pay.
let sqlite: typeof Database | undefined;
function loadSqlite(): typeof Database {
  sqlite ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  return sqlite;
}

const SCHEMA_VERSION = 1;
/** Below this many lookups, one indexed query each; above, read all rows into a Map once. */
const PRELOAD_MIN_LOOKUPS = 256;

type ExactRow = [ino: bigint, mtimeNs: bigint, size: bigint, md5: string];
type Row = CachedTuple;
type PathRow = [...CachedTuple, path: string];

/**
 * The state (hash) cache: remembers the md5 of a file for its (inode, mtime_ns, size), so an
 * unchanged file is not read again. It is only a cache: any SQLite error (corrupt file, read
 * only disk, lock timeout) makes it miss or skip saving, and a corrupt file is replaced by an
 * empty one. Two processes may share it (WAL + busy timeout).
 */
export class HashState {
  readonly dbPath: string;
  /** The last error the cache swallowed, for diagnostics. */
  lastError: unknown;
  private db: Database.Database | null = null;
  private getStmt: Database.Statement<unknown[], Row> | null = null;
  private getExactStmt: Database.Statement<unknown[], ExactRow> | null = null;
  private preloaded = new Map<HashName, { prefix: string; rows: Map<string, Row> }>();

  private constructor(dbPath: string) {
    this.dbPath = dbPath;
  }

  /**
   * Opens (creating if needed) the state of a repository — given its root directory — or
   * the SQLite file at `target` when it is not an existing directory.
   */
  static open(target: string): HashState {
    let isDir = false;
    try {
      isDir = statSync(target).isDirectory();
    } catch {
      // not there yet: a database path
    }
    const state = new HashState(isDir ? stateDbPath(target) : resolve(target));
    state.connect();
    return state;
  }

  /** True while the cache is usable (false after an error it could not recover from). */
  get enabled(): boolean {
    return this.db !== null;
  }

  private connect(): void {
    try {
      this.openDb();
    } catch (err) {
      this.lastError = err;
      this.reset();
    }
  }

  private openDb(): void {
    mkdirSync(dirname(this.dbPath), { recursive: true });
    const Sqlite = loadSqlite();
    const db = new Sqlite(this.dbPath, { timeout: 5000 });
    try {
      // WAL: readers never block the writer, so two cmf processes can hash at once. This
      // file is ours alone (not MLMD), so WAL's -wal/-shm side files are harmless here.
      // No fsync (synchronous OFF): the files the state describes are not fsynced either, so
      // syncing the cache would promise nothing after a power cut, and an fsync right after a
      // pull or add waits for the disk to write out everything the command wrote (measured:
      // +0.1 s after a 100 MB pull). A process crash loses nothing committed (WAL).
      db.pragma('synchronous = OFF');
      db.pragma('journal_mode = WAL');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version !== SCHEMA_VERSION) {
        db.exec('DROP TABLE IF EXISTS state');
        db.exec(`CREATE TABLE state (
          path TEXT NOT NULL,
          hash_name TEXT NOT NULL,
          ino INTEGER NOT NULL,
          mtime_ns INTEGER NOT NULL,
          mtime_ms REAL NOT NULL,
          size INTEGER NOT NULL,
          md5 TEXT NOT NULL,
          PRIMARY KEY (path, hash_name)
        ) WITHOUT ROWID`);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      }
      this.getStmt = db
        .prepare<unknown[], Row>(
          'SELECT ino, mtime_ms, size, md5, CAST(mtime_ns AS TEXT) FROM state WHERE path = ? AND hash_name = ?',
        )
        .raw();
      this.getExactStmt = db
        .prepare<unknown[], ExactRow>(
          'SELECT ino, mtime_ns, size, md5 FROM state WHERE path = ? AND hash_name = ?',
        )
        .raw()
        .safeIntegers();
      this.db = db;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Replaces the database with an empty one; disables the cache if even that fails. */
  private reset(): void {
    this.closeDb();
    try {
      for (const suffix of ['', '-wal', '-shm', '-journal']) {
        rmSync(this.dbPath + suffix, { force: true });
      }
      this.openDb();
    } catch (err) {
      this.lastError = err;
      this.closeDb();
    }
  }

  private fail(err: unknown): void {
    this.lastError = err;
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') this.reset();
  }

  /**
   * Prepares for `count` lookups of `hashName`: many lookups read every row once (one
   * query beats thousands of point queries), few use the indexed query. With `under` (an
   * absolute directory), only the rows of paths below it are read; lookups elsewhere still
   * use the indexed query.
   */
  prepare(hashName: HashName, count: number, under?: string): void {
    if (!this.db || count < PRELOAD_MIN_LOOKUPS) return;
    const prefix = under === undefined ? '' : under.endsWith(sep) ? under : under + sep;
    const have = this.preloaded.get(hashName);
    if (have && prefix.startsWith(have.prefix)) return;
    try {
      // Path last, so each row is a CachedTuple as it comes (no copy per row). The range
      // [prefix, prefix with its last character raised) holds exactly the paths below it
      // (SQLite compares text bytewise), read through the primary key.
      const sql =
        'SELECT ino, mtime_ms, size, md5, CAST(mtime_ns AS TEXT), path FROM state WHERE hash_name = ?';
      const end = prefix.slice(0, -1) + String.fromCharCode(sep.charCodeAt(0) + 1);
      const rows =
        prefix === ''
          ? this.db.prepare<[string], PathRow>(sql).raw().all(hashName)
          : this.db
              .prepare<[string, string, string], PathRow>(`${sql} AND path >= ? AND path < ?`)
              .raw()
              .all(hashName, prefix, end);
      const map = new Map<string, Row>();
      for (const r of rows) map.set(r[5], r as unknown as Row); // the extra path is harmless
      this.preloaded.set(hashName, { prefix, rows: map });
    } catch (err) {
      this.fail(err);
    }
  }

  private row(path: string, hashName: HashName): Row | undefined {
    const pre = this.preloaded.get(hashName);
    if (pre && path.startsWith(pre.prefix)) return pre.rows.get(path);
    if (!this.getStmt) return undefined;
    try {
      return this.getStmt.get(path, hashName);
    } catch (err) {
      this.fail(err);
      return undefined;
    }
  }

  /** Whether any entry exists for `path` (so a stat is worth taking). */
  has(path: string, hashName: HashName): boolean {
    return this.row(path, hashName) !== undefined;
  }

  /** The cached entry as a tuple (as hash workers take it); cheap after `prepare`. */
  lookupRow(path: string, hashName: HashName): CachedTuple | undefined {
    return this.row(path, hashName);
  }

  /** The cached entry for `path`, to compare with `HashState.matches`; cheap after `prepare`. */
  lookup(path: string, hashName: HashName): CachedHash | undefined {
    const row = this.row(path, hashName);
    return row && { ino: row[0], mtimeMs: row[1], size: row[2], md5: row[3], mtimeNsText: row[4] };
  }

  /**
   * Whether `cached` still describes a file with this plain `fs.Stats`: inode, mtime and
   * size all equal. False (a miss) for inode numbers above 2^53; use `get` for those.
   */
  static matches(cached: CachedHash, st: FileIdentity): boolean {
    return statMatches([cached.ino, cached.mtimeMs, cached.size], 0, st);
  }

  /**
   * The remembered md5 when inode, mtime_ns and size all match `stat` (from
   * `fs.stat(path, { bigint: true })`) exactly, else undefined.
   */
  get(path: string, stat: StatKey, hashName: HashName): string | undefined {
    if (!this.getExactStmt) return undefined;
    let row: ExactRow | undefined;
    try {
      row = this.getExactStmt.get(path, hashName);
    } catch (err) {
      this.fail(err);
    }
    if (!row) return undefined;
    const [ino, mtimeNs, size, md5] = row;
    const same =
      ino === BigInt.asIntN(64, stat.ino) && mtimeNs === stat.mtimeNs && size === BigInt(stat.size);
    return same ? md5 : undefined;
  }

  /** Records many entries in one transaction. */
  setMany(entries: Iterable<StateEntry>): void {
    if (!this.db) return;
    try {
      const insert = this.db.prepare(
        'INSERT OR REPLACE INTO state (path, hash_name, ino, mtime_ns, mtime_ms, size, md5) VALUES (?, ?, ?, ?, ?, ?, ?)',
      );
      this.db.transaction(() => {
        for (const e of entries) {
          // SQLite integers are signed 64-bit; inode numbers may use the top bit.
          const ino = BigInt.asIntN(64, e.ino);
          const mtimeMs = msFromNs(e.mtimeNs);
          insert.run(e.path, e.hashName, ino, e.mtimeNs, mtimeMs, e.size, e.md5);
          const row: Row = [Number(ino), mtimeMs, e.size, e.md5, String(e.mtimeNs)];
          const pre = this.preloaded.get(e.hashName);
          if (pre && e.path.startsWith(pre.prefix)) pre.rows.set(e.path, row);
        }
      })();
    } catch (err) {
      this.fail(err);
    }
  }

  private closeDb(): void {
    this.getStmt = null;
    this.getExactStmt = null;
    this.preloaded.clear();
    try {
      this.db?.close();
    } catch {
      // closing a broken handle: nothing left to do
    }
    this.db = null;
  }

  close(): void {
    this.closeDb();
  }
}
