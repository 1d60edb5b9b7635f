/** The metadata server with its store in PostgreSQL (a throwaway cluster on 127.0.0.1). */
import { afterAll } from 'vitest';
import { startPostgres, type PostgresServer } from '../servers/postgres.js';
import { serverSuite } from './server-suite.js';

let postgres: PostgresServer | undefined;

serverSuite('postgres', async () => {
  postgres = await startPostgres();
  return ['--database', await postgres.createDatabase()];
});

afterAll(() => postgres?.stop());
