import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Environment for the spawned binary: no credentials or settings from this machine. */
export function isolatedEnv(home: string): Record<string, string> {
  return {
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_SESSION_TOKEN: '',
    AWS_PROFILE: '',
    CMF_SERVER_URL: '',
    CMF_SERVER_TOKEN: '',
    NEO4J_PASSWORD: '',
    BEARER_TOKEN_FILE: '',
    CONFIG_FILE: '',
  };
}

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const cmfBin = fileURLToPath(new URL('../../bin/cmf', import.meta.url));

export interface CmfRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Spawns the built `cmf` binary as a user would (stdin closed, not a terminal).
 * Needs `scripts/setup` (or `npm run build`) to have built dist/ and the manifest.
 */
export function runCmf(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CmfRun> {
  return runCmfUntil(args, opts).then(({ signalSent: _, ...run }) => run);
}

/**
 * {@link runCmf} for a call that hung before a fix (e.g. reading a FIFO): the process is
 * killed (SIGKILL, exit code null) if it is still running after `ms`, so that the test fails
 * rather than waits forever. Not a timing assertion: `ms` is far beyond a normal run.
 */
export async function runCmfOrKill(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> },
  ms = 30_000,
): Promise<CmfRun> {
  const deadline = Date.now() + ms;
  return runCmfUntil(args, opts, () => Date.now() > deadline, 'SIGKILL').then(
    ({ signalSent: _, ...run }) => run,
  );
}

/**
 * {@link runCmf}, sending `signal` to the process the first time `ready()` (polled every
 * few milliseconds) answers true. `signalSent` says whether that happened before it exited.
 */
export function runCmfUntil(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> },
  ready?: () => boolean | Promise<boolean>,
  signal: NodeJS.Signals = 'SIGINT',
): Promise<CmfRun & { signalSent: boolean }> {
  if (!existsSync(new URL('../../oclif.manifest.json', import.meta.url))) {
    throw new Error('cmf is not built: run scripts/setup (or npm run build) first');
  }
  return new Promise((resolve, reject) => {
    const child = spawn(cmfBin, args, {
      cwd: opts.cwd ?? repoRoot,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let signalSent = false;
    let polling = false;
    const timer =
      ready &&
      setInterval(() => {
        if (signalSent || polling) return;
        polling = true;
        void Promise.resolve(ready())
          .then((yes) => {
            if (yes && !signalSent && child.exitCode === null) {
              signalSent = true;
              child.kill(signal);
            }
          })
          .finally(() => (polling = false));
      }, 2);
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearInterval(timer);
      resolve({ code, stdout, stderr, signalSent });
    });
  });
}
