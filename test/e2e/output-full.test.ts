/**
 * Command output sent to a file or device that refuses part of it: the command must fail
 * (DISK_FULL, exit 1) with a cmf error, never exit 0 after a short write nor print a stack.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fill, mountSmallTmpfs } from '../helpers/full-fs.js';
import { buildSmallFixture } from '../helpers/mlmd-fixture.js';
import { tempDir } from '../helpers/tmp.js';

const cmfBin = fileURLToPath(new URL('../../bin/cmf', import.meta.url));

/** Runs cmf with its stdout on the file `out` (opened for writing); resolves code and stderr. */
function runTo(
  out: string,
  args: string[],
  cwd: string,
): Promise<{ code: number | null; stderr: string }> {
  const fd = openSync(out, 'w');
  return new Promise((resolve, reject) => {
    const child = spawn(cmfBin, args, {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', fd, 'pipe'],
    });
    closeSync(fd);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('output to a full device (/dev/full)', () => {
  const commands = [
    ['pipeline', 'list'],
    ['execution', 'list', '-p', 'Test-env'],
    ['artifact', 'list', '-p', 'Test-env'],
    ['metadata', 'export', '-p', 'Test-env', '-j', '-'],
  ];
  it.each(commands)('%s %s … is DISK_FULL, exit 1, no stack trace', async (...args) => {
    const cwd = await tempDir('cmf-out-');
    buildSmallFixture(cwd);
    const r = await runTo('/dev/full', args, cwd);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: Cannot write \/dev\/full: no space left .*\(ENOSPC\)/);
    expect(r.stderr).toMatch(/^Hint: /m);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it.each([['execution'], ['artifact']])(
    '%s list --json reports it as a JSON error',
    async (kind) => {
      const cwd = await tempDir('cmf-out-');
      buildSmallFixture(cwd);
      const r = await runTo('/dev/full', [kind, 'list', '-p', 'Test-env', '--json'], cwd);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stderr)).toMatchObject({
        status: 'error',
        error: { code: 'DISK_FULL', exitCode: 1, data: { stream: 'stdout', path: '/dev/full' } },
      });
    },
  );
});

describe('output to a file system with less room than the output', () => {
  it('a short write is DISK_FULL (exit 1), not a cut-off file and exit 0', async (ctx) => {
    const cwd = await tempDir('cmf-out-');
    buildSmallFixture(cwd);
    const tiny = join(cwd, 'tiny');
    const unmount = mountSmallTmpfs(tiny);
    if (!unmount) return ctx.skip();
    try {
      // Room for one page (4 KiB) of the 7.8 KB export: the first write(2) is short.
      fill(tiny);
      const filler = join(tiny, 'filler');
      truncateSync(filler, statSync(filler).size - 4096);
      const out = join(tiny, 'out.json');
      const r = await runTo(out, ['metadata', 'export', '-p', 'Test-env', '-j', '-'], cwd);
      expect(readFileSync(out).length).toBeLessThan(7780);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`Error: Cannot write ${out}: no space left on its file system`);
      expect(r.stderr).toContain('The output there is incomplete.');
    } finally {
      unmount();
    }
  });
});
