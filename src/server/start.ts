/**
 * `cmf server start`: opens the store (an MLMD SQLite file in the data directory by
 * default, or PostgreSQL), builds the app and listens. Closing stops accepting
 * connections, lets requests in flight finish, then closes the store.
 */
import { accessSync, constants, existsSync, lstatSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { firstMissingDir, mkdirp } from '../fs/mkdirp.js';
import { CmfError, ConfigError, OperationError, UsageError } from '../errors/index.js';
import { SqliteAsyncStore, type AsyncMlmdStore } from '../mlmd/async-store.js';
import { MlmdStore, mlmdFileProblem, type MlmdFileProblem } from '../mlmd/index.js';
import { notWritableError } from '../mlmd/errors.js';
import { createServer } from './app.js';
import { openPostgresStore } from './postgres-open.js';
import { TokenSet } from './tokens.js';

export interface StartServerOptions {
  host: string;
  port: number;
  /** An MLMD SQLite path (relative to the data directory) or a `postgres://` URL. */
  database?: string;
  dataDir: string;
  tokens?: readonly string[];
  bodyLimit?: number;
  logger?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  /** Where the metadata lives (file path, or database URL without password). */
  storeLocation: string;
  /** Whether requests need a bearer token (false: anyone who reaches the URL may push and pull). */
  authenticated: boolean;
  close(): Promise<void>;
}

export const DEFAULT_SQLITE_NAME = 'mlmd';

function isPostgresUrl(s: string): boolean {
  return /^postgres(ql)?:\/\//i.test(s);
}

/** The SQLite file the server keeps its store in; undefined for PostgreSQL. */
function sqliteStorePath(database: string | undefined, dataDir: string): string | undefined {
  if (database !== undefined && isPostgresUrl(database)) return undefined;
  return database === undefined ? join(dataDir, DEFAULT_SQLITE_NAME) : resolve(dataDir, database);
}

export async function openServerStore(
  database: string | undefined,
  dataDir: string,
): Promise<AsyncMlmdStore> {
  const path = sqliteStorePath(database, dataDir);
  if (path === undefined) return openPostgresStore(database!);
  try {
    // A new store is created in the directory; an existing one is checked once open, so that
    // a directory or device in its place keeps its own message.
    if (!existsSync(path) && existsSync(dirname(path))) checkWritable(path, [dirname(path)]);
    const store = MlmdStore.open(path, { create: true });
    try {
      checkWritable(path, [path, dirname(path)]);
    } catch (err) {
      store.close();
      throw err;
    }
    return SqliteAsyncStore.wrap(store);
  } catch (err) {
    throw withServerHint(err, database);
  }
}

/**
 * Opening an existing store only reads it, so a file the server's user may not write (or one
 * on a read-only mount) would open fine and fail every push later with HTTP 500. SQLite
 * writes a journal beside the file, so the directory must be writable too.
 */
function checkWritable(path: string, targets: string[]): void {
  for (const target of targets) {
    try {
      accessSync(target, constants.W_OK);
    } catch (err) {
      throw notWritableError(path, err);
    }
  }
}

/**
 * The store's file errors speak to users of `-f/--file_name` (and say to re-pull into a new
 * file); the server takes its file from --database (or its default in --data-dir), and a
 * damaged server store is not re-pulled. Which advice fits is read from the problem the
 * error carries, not from its hint's text.
 */
function withServerHint(err: unknown, database: string | undefined): unknown {
  const problem = mlmdFileProblem(err);
  if (!(err instanceof CmfError) || problem === undefined) return err;
  const hint = serverStoreHint(problem, database, String(err.data?.path ?? ''));
  if (hint === undefined) return err;
  return new CmfError(err.code, err.exitCode, err.message, {
    hint,
    data: err.data,
    cause: err,
  });
}

function serverStoreHint(
  problem: MlmdFileProblem,
  database: string | undefined,
  path: string,
): string | undefined {
  const given = database !== undefined;
  switch (problem) {
    case 'not-mlmd':
      return given
        ? "Check --database (a path relative to --data-dir): give an MLMD SQLite file, or a path where none exists yet. If it is the server's store, it is damaged: restore it from a backup, or move it aside to start with a new one."
        : DEFAULT_STORE_HINT;
    case 'damaged':
      return given
        ? "It is the server's store given with --database: restore it from a backup, or move it aside to start with a new one; or give another file with --database (a path relative to --data-dir)."
        : DEFAULT_STORE_HINT;
    case 'directory':
      return given
        ? `--database names a directory: give the path of an MLMD SQLite file (relative to --data-dir), e.g. --database ${join(database, DEFAULT_SQLITE_NAME)}.`
        : "The server's default store in --data-dir is a directory: move it aside (a new store is then created), or give a file with --database.";
    case 'not-regular':
      return given
        ? '--database names a device, FIFO or socket: give the path of an MLMD SQLite file (relative to --data-dir).'
        : "The server's default store in --data-dir is not a regular file: move it aside (a new store is then created), or give a file with --database.";
    case 'not-writable':
      return `Check that the server's user may write ${path} and its directory ${dirname(path)} (SQLite writes a journal file beside it), and that the file system is not mounted read-only; or give another file with --database${given ? '' : ' or another --data-dir'}.`;
    case 'disk-full':
      return `Free space on the file system holding ${dirname(path)} (SQLite also needs room for a journal file beside ${path}); or give a file on another file system with --database${given ? '' : ' or another --data-dir'}.`;
    default:
      // 'missing' and 'empty' cannot arise: the server creates its store.
      return undefined;
  }
}

const DEFAULT_STORE_HINT =
  "It is the server's default store in --data-dir: if it is damaged, restore it from a backup or move it aside (a new one is then created); or give another file with --database.";

/**
 * Creates the data directory and returns the topmost directory it made, if any; a path that
 * cannot be one is bad configuration, not a bug.
 * The first missing directory is made with a plain mkdir: Node's recursive mkdir never
 * returns under /proc or /sys (their mkdir answers ENOENT, which it takes for a missing
 * parent, finds the parent there and tries again, forever). Below a directory just made,
 * mkdirp is safe and names the true errno of any failure.
 */
async function makeDataDir(dataDir: string): Promise<string | undefined> {
  try {
    const first = firstMissingDir(dataDir);
    if (first === undefined) return await mkdirp(dataDir);
    await mkdir(first).catch(existingDirectoryIsFine);
    await mkdirp(dataDir);
    return first;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why: Record<string, string> = {
      ENOTDIR: 'a part of the path is a file, not a directory',
      EEXIST: 'a file of that name is in the way',
      EACCES: 'permission denied',
      EPERM: 'permission denied',
      EROFS: 'the file system is read-only',
      ENOENT: 'the file system does not allow a directory there',
    };
    throw new ConfigError(
      'SERVER_DATA_DIR_UNUSABLE',
      `Cannot create the data directory ${dataDir}: ${(code && why[code]) ?? (err as Error).message}${code ? ` (${code})` : ''}`,
      {
        hint: 'Give --data-dir a directory this user can create and write to (default: ./cmf-server-data).',
        data: { dataDir, code: code ?? null },
        cause: err,
      },
    );
  }
}

/** Another process made the directory meanwhile: fine; anything else (a file) is not. */
function existingDirectoryIsFine(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
}

export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const dataDir = resolve(opts.dataDir);
  const madeDir = await makeDataDir(dataDir);
  const storePath = sqliteStorePath(opts.database, dataDir);
  // lstat: a dangling symlink in the store's place is the user's, not something start made.
  const madeStore =
    storePath !== undefined && lstatSync(storePath, { throwIfNoEntry: false }) === undefined
      ? storePath
      : undefined;
  try {
    return await serve(opts, dataDir, await openServerStore(opts.database, dataDir));
  } catch (err) {
    // A start that failed (port in use, store refused) leaves nothing behind that it made.
    if (madeDir !== undefined) await rm(madeDir, { recursive: true, force: true });
    else if (madeStore !== undefined) {
      for (const suffix of ['', '-journal', '-wal', '-shm'])
        await rm(madeStore + suffix, { force: true });
    }
    throw err;
  }
}

async function serve(
  opts: StartServerOptions,
  dataDir: string,
  store: AsyncMlmdStore,
): Promise<RunningServer> {
  const app = await createServer({
    store,
    dataDir,
    tokens: opts.tokens,
    bodyLimit: opts.bodyLimit,
    logger: opts.logger,
  }).catch(async (err) => {
    await store.close();
    throw err;
  });
  try {
    await app.listen({ host: opts.host, port: opts.port });
  } catch (err) {
    await app.close();
    await store.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new OperationError(
        'SERVER_PORT_IN_USE',
        `${opts.host}:${opts.port} is already in use`,
        {
          hint: 'Stop what listens there, or choose another port with --port.',
          cause: err,
        },
      );
    }
    throw new OperationError(
      'SERVER_LISTEN_FAILED',
      `Cannot listen on ${opts.host}:${opts.port}: ${(err as Error).message}`,
      {
        hint: 'Check --host and --port.',
        cause: err,
      },
    );
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    storeLocation: store.location,
    authenticated: new TokenSet(opts.tokens ?? []).enabled,
    close: () =>
      (closing ??= (async () => {
        try {
          await app.close();
        } finally {
          await store.close();
        }
      })()),
  };
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/** `--body-limit` text (`1048576`, `64k`, `100MB`, `1GiB`; binary units) in bytes. */
export function parseByteSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  // The whole bytes are what must be positive: `0.5` (half a byte) is no limit at all.
  const bytes = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new UsageError('INVALID_SIZE', `Invalid size "${text}"`, {
      hint: 'Give at least one byte: bytes, or a number with k, M or G (binary units), e.g. --body-limit 512M.',
    });
  }
  return bytes;
}
