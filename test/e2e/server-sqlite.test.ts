/** The metadata server with its default store: an MLMD SQLite file in the data directory. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCmf } from '../helpers/cli.js';
import { startCmfServer } from '../helpers/cmf-server.js';
import { mountSmallTmpfs } from '../helpers/full-fs.js';
import { freePort } from '../servers/common.js';
import { serverSuite } from './server-suite.js';

serverSuite('sqlite', async () => []);

describe('cmf server start', () => {
  it('a --data-dir that cannot be created is a configuration error with a hint (exit 4)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cmf-e2e-server-datadir-'));
    try {
      await writeFile(join(root, 'a-file'), 'x');
      for (const [dataDir, why] of [
        ['/dev/null/x', /a part of the path is a file, not a directory \(ENOTDIR\)/],
        [join(root, 'a-file'), /a file of that name is in the way \(EEXIST\)/],
      ] as const) {
        const port = String(await freePort());
        const r = await runCmf(['server', 'start', '--port', port, '--data-dir', dataDir], {
          cwd: root,
        });
        expect(r.code).toBe(4);
        expect(r.stderr).toContain(`Cannot create the data directory ${dataDir}`);
        expect(r.stderr).toMatch(why);
        expect(r.stderr).toMatch(/Hint: Give --data-dir a directory/);
        expect(r.stderr).not.toMatch(/bug in cmf/);
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a --data-dir on a read-only file system or under /proc: the true reason, no hang (exit 4)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cmf-e2e-server-datadir-ro-'));
    const ro = join(root, 'ro');
    const unmount = mountSmallTmpfs(ro);
    try {
      const cases: [string, RegExp][] = [
        ['/proc/cmf-no-such-dir/data', /does not allow a directory there \(ENOENT\)/],
      ];
      if (unmount && spawnSync('mount', ['-o', 'remount,ro', ro]).status === 0) {
        cases.push([join(ro, 'a', 'b'), /the file system is read-only \(EROFS\)/]);
      }
      for (const [dataDir, why] of cases) {
        const port = String(await freePort());
        const r = await runCmf(['server', 'start', '--port', port, '--data-dir', dataDir], {
          cwd: root,
        });
        expect(r.code, r.stderr).toBe(4);
        expect(r.stderr).toContain(`Cannot create the data directory ${dataDir}`);
        expect(r.stderr).toMatch(why);
      }
    } finally {
      unmount?.();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a port in use: exit 1, and the data directory or store it made is gone again', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cmf-e2e-server-port-'));
    const busy = createNetServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    try {
      const port = String((busy.address() as { port: number }).port);
      mkdirSync(join(root, 'existing'));
      for (const dataDir of [join(root, 'new', 'data'), join(root, 'existing')]) {
        const r = await runCmf(['server', 'start', '--port', port, '--data-dir', dataDir], {
          cwd: root,
          env: { CMF_SERVER_TOKEN: '' },
        });
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toContain(`127.0.0.1:${port} is already in use`);
      }
      expect(existsSync(join(root, 'new'))).toBe(false);
      expect(readdirSync(join(root, 'existing'))).toEqual([]);
    } finally {
      await new Promise<void>((r) => busy.close(() => r()));
      await rm(root, { recursive: true, force: true });
    }
  });

  it('prints {url} with --json and exits 0 on SIGTERM, closing the store', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cmf-e2e-server-stop-'));
    try {
      const server = await startCmfServer(['--data-dir', dataDir, '--json']);
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(JSON.parse(server.out())).toMatchObject({ url: server.url, authentication: 'none' });
      expect((await fetch(`${server.url}/api/pipelines`)).status).toBe(200);
      expect(await server.stop()).toBe(0);
      expect(server.log()).toMatch(/GET \/api\/pipelines 200/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('says whether authentication is on; refuses a blank token or a body limit under one byte before creating anything (exit 2)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cmf-e2e-server-auth-'));
    try {
      const open = await startCmfServer(['--data-dir', join(root, 'open')]);
      const locked = await startCmfServer(['--data-dir', join(root, 'locked')], {
        CMF_SERVER_TOKEN: 's3cret',
      });
      await open.stop();
      await locked.stop();
      expect(open.log()).toContain(
        `Warning: authentication is off: anyone who can reach ${open.url} can read and change its metadata`,
      );
      expect(locked.log()).toContain('Authentication: on');
      for (const [args, env] of [
        [['--token', ''], { CMF_SERVER_TOKEN: '' }],
        [['--token', 't1', '--token', ' '], { CMF_SERVER_TOKEN: '' }],
        [[], { CMF_SERVER_TOKEN: ',,' }],
        [['--body-limit', '0.5'], { CMF_SERVER_TOKEN: '' }],
      ] as const) {
        const dataDir = join(root, 'never');
        const r = await runCmf(
          ['server', 'start', '--port', String(await freePort()), '--data-dir', dataDir, ...args],
          { cwd: root, env },
        );
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toMatch(/it would turn authentication off|Invalid size "0\.5"/);
        expect(r.stderr).not.toMatch(/bug in cmf/);
        expect(existsSync(dataDir)).toBe(false);
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('finishes a request in flight at SIGTERM, then exits 0', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cmf-e2e-server-drain-'));
    try {
      const server = await startCmfServer(['--data-dir', dataDir]);
      const body = JSON.stringify({
        pipeline_name: 'P',
        exec_uuid: null,
        json_payload: '{"Pipeline": [{"name": "P", "stages": []}]}',
      });
      const half = Math.floor(body.length / 2);
      const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(`${server.url}/api/mlmd_push`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        });
        req.on('error', reject);
        req.write(body.slice(0, half));
        // The rest goes once the server has taken the signal.
        const timer = setInterval(() => {
          if (!/SIGTERM/.test(server.log())) return;
          clearInterval(timer);
          req.end(body.slice(half));
        }, 50);
      });
      await new Promise((r) => setTimeout(r, 200));
      const exited = server.stop();
      const res = await answer;
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toMatchObject({ status: 'exists' });
      expect(await exited).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
