/** `cmf server start` stopped during start-up, and the hints of a store it cannot open. */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCmf } from '../helpers/cli.js';
import { freePort } from '../servers/common.js';

const cmfBin = fileURLToPath(new URL('../../bin/cmf', import.meta.url));

/**
 * Starts the server and sends SIGTERM once `when` says so (bytes seen on stdout/stderr);
 * resolves with the exit code (or the signal that ended it), or 'hung' when it had to be killed.
 */
function stopDuringStart(dataDir: string, port: number, when: (out: string) => boolean) {
  return new Promise<number | string | null>((resolve) => {
    const child = spawn(
      cmfBin,
      ['server', 'start', '--port', String(port), '--data-dir', dataDir],
      {
        env: { ...process.env, NO_COLOR: '1', CMF_SERVER_TOKEN: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let sent = false;
    let hung: NodeJS.Timeout | undefined;
    const check = () => {
      if (sent || !when(out)) return;
      sent = true;
      child.kill('SIGTERM');
      // Not a timing assertion: a server that ignored the signal is stopped for good.
      hung = setTimeout(() => {
        child.kill('SIGKILL');
        resolve('hung');
      }, 20_000);
    };
    child.stdout.on('data', (d: Buffer) => ((out += d.toString()), check()));
    child.stderr.on('data', (d: Buffer) => ((out += d.toString()), check()));
    child.on('spawn', check);
    child.on('exit', (code, signal) => {
      clearTimeout(hung);
      // Before Node has set up its handlers, the signal's default action ends it.
      resolve(code ?? signal);
    });
  });
}

describe('cmf server start', () => {
  it('a SIGTERM at any point of start-up stops it (143 before it listens, 0 after)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cmf-e2e-server-start-'));
    try {
      const points: [string, (out: string) => boolean][] = [
        ['at spawn', () => true],
        ['on the URL', (out) => /http:\/\//.test(out)],
        ['on the first output', (out) => out.length > 0],
      ];
      for (let round = 0; round < 3; round++) {
        for (const [name, when] of points) {
          const code = await stopDuringStart(dataDir, await freePort(), when);
          expect([0, 143, 'SIGTERM'], `${name} (round ${round})`).toContain(code);
        }
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('a --database that is not an MLMD store gets a hint about --database, not -f', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cmf-e2e-server-corrupt-'));
    try {
      await writeFile(join(dataDir, 'corrupt.db'), 'this is not sqlite '.repeat(100));
      const r = await runCmf(
        [
          'server',
          'start',
          '--port',
          String(await freePort()),
          '--data-dir',
          dataDir,
          '--database',
          'corrupt.db',
        ],
        { cwd: dataDir },
      );
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/not a SQLite database/);
      expect(r.stderr).toMatch(/Hint: Check --database \(a path relative to --data-dir\)/);
      expect(r.stderr).not.toMatch(/-f\/--file_name|cmf metadata pull/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
