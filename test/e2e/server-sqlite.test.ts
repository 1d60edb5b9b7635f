/** The metadata server with its default store: an MLMD SQLite file in the data directory. */
import { describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCmfServer } from '../helpers/cmf-server.js';
import { serverSuite } from './server-suite.js';

serverSuite('sqlite', async () => []);

describe('cmf server start', () => {
  it('prints {url} with --json and exits 0 on SIGTERM, closing the store', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cmf-e2e-server-stop-'));
    try {
      const server = await startCmfServer(['--data-dir', dataDir, '--json']);
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${server.url}/api/pipelines`)).status).toBe(200);
      expect(await server.stop()).toBe(0);
      expect(server.log()).toMatch(/GET \/api\/pipelines 200/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
