/** The metadata server with its store in PostgreSQL (a throwaway cluster on 127.0.0.1). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCmf } from '../helpers/cli.js';
import { freePort } from '../servers/common.js';
import { startPostgres, type PostgresServer } from '../servers/postgres.js';
import { serverSuite } from './server-suite.js';

let postgres: PostgresServer | undefined;

serverSuite('postgres', async () => {
  postgres ??= await startPostgres();
  return ['--database', await postgres.createDatabase()];
});

describe('cmf server start --database postgres://', { timeout: 120_000 }, () => {
  it('sslmode against a server without SSL: no raw driver warning, an sslmode hint', async () => {
    postgres ??= await startPostgres();
    const dataDir = await mkdtemp(join(tmpdir(), 'cmf-e2e-server-pgssl-'));
    try {
      const database = `${await postgres.createDatabase()}?sslmode=require`;
      const port = String(await freePort());
      const r = await runCmf(
        ['server', 'start', '--port', port, '--data-dir', dataDir, '--database', database],
        { cwd: dataDir, env: { CMF_SERVER_TOKEN: '' } },
      );
      expect(r.code).toBe(1);
      expect(r.stderr).not.toMatch(/SECURITY WARNING|\(node:\d+\)/);
      expect(r.stderr).toMatch(/does not support SSL/);
      expect(r.stderr).toMatch(
        /Hint: The PostgreSQL server does not accept SSL connections, but --database asks for sslmode=require/,
      );
      expect(r.stderr).not.toContain(postgres.password);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

afterAll(() => postgres?.stop());
