import { spawnSync } from 'node:child_process';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { ensurePackages, freePort, killOnExit, run, stopPid, waitForPort } from './common.js';

/**
 * A throwaway PostgreSQL 15 on 127.0.0.1 (test-servers.md §4): its own cluster in a temp dir
 * (initdb as the postgres user when we are root), socket in that dir, fsync off, password
 * authentication (scram) for the superuser, and a first database `mlmd`.
 */
export interface PostgresServer {
  host: string;
  port: number;
  user: string;
  password: string;
  /** URL of the `mlmd` database. */
  url: string;
  /** URL of database `name` (which may not exist), with other credentials if given. */
  urlOf(name: string, auth?: { user: string; password: string }): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Runs one statement on database `db` as the superuser. */
  query(db: string, sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  stop(): Promise<void>;
}

const PG_BIN = '/usr/lib/postgresql/15/bin';
const PASSWORD = 'cmf-test-pw';
let databases = 0;

export async function startPostgres(): Promise<PostgresServer> {
  if (spawnSync(`${PG_BIN}/initdb`, ['--version']).status !== 0) ensurePackages(['postgresql']);
  const dir = await mkdtemp(join(tmpdir(), 'cmf-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  // initdb refuses to run as root; the cluster belongs to the postgres user then.
  const as = (cmd: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  let pid: number | undefined;
  const forget = killOnExit(() => pid);
  const stop = async (): Promise<void> => {
    if (pid) {
      // pg_ctl stop -m fast ends the sessions and waits for the postmaster; SIGTERM is
      // the fallback when pg_ctl itself fails.
      const [cmd, args] = as(`${PG_BIN}/pg_ctl`, ['-D', data, '-m', 'fast', '-w', 'stop']);
      const r = spawnSync(cmd, args, { stdio: 'ignore' });
      if (r.status !== 0) await stopPid(pid);
      pid = undefined;
    }
    forget();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await chmod(dir, 0o755);
    if (asRoot) {
      const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
      const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
      await chown(dir, uid, gid);
    }
    const pwfile = join(dir, 'pwfile');
    await writeFile(pwfile, `${PASSWORD}\n`, { mode: 0o644 });
    const port = await freePort();
    await run(
      ...as(`${PG_BIN}/initdb`, [
        '-D',
        data,
        '-U',
        'postgres',
        `--pwfile=${pwfile}`,
        '-A',
        'scram-sha-256',
        '--no-sync',
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
      ]),
    );
    const options = [
      '-c listen_addresses=127.0.0.1',
      `-p ${port}`,
      `-k ${dir}`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
    ].join(' ');
    await run(
      ...as(`${PG_BIN}/pg_ctl`, [
        '-D',
        data,
        '-l',
        join(dir, 'pg.log'),
        '-w',
        '-t',
        '60',
        '-o',
        options,
        'start',
      ]),
    );
    // pg_ctl -w returns once the server accepts connections; the postmaster's pid is the
    // first line of postmaster.pid.
    const [cmd, args] = as('head', ['-1', join(data, 'postmaster.pid')]);
    pid = Number((await run(cmd, args)).stdout.trim());
    await waitForPort(port);

    const host = '127.0.0.1';
    const user = 'postgres';
    const urlOf = (name: string, auth = { user, password: PASSWORD }): string =>
      `postgres://${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.password)}@${host}:${port}/${name}`;
    const query = async (db: string, sql: string, params?: unknown[]) => {
      const client = new pg.Client({ connectionString: urlOf(db) });
      await client.connect();
      try {
        return await client.query(sql, params);
      } finally {
        await client.end();
      }
    };
    const createDatabase = async (name = `mlmd_t${process.pid}_${++databases}`) => {
      await query('postgres', `CREATE DATABASE ${name}`);
      return urlOf(name);
    };
    await createDatabase('mlmd');
    return {
      host,
      port,
      user,
      password: PASSWORD,
      url: urlOf('mlmd'),
      urlOf,
      createDatabase,
      query,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
