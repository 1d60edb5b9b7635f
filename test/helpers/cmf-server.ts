import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../servers/common.js';

const cmfBin = fileURLToPath(new URL('../../bin/cmf', import.meta.url));

export interface CmfServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the server wrote on stderr so far (its request log). */
  log: () => string;
  /** Everything the server wrote on stdout so far. */
  out: () => string;
  /** SIGTERM, then the exit code (SIGKILL after 15 s). */
  stop: () => Promise<number | null>;
}

/** Spawns `cmf server start` (the built binary) on a free port and waits for its URL on stdout. */
export async function startCmfServer(
  args: string[],
  env: Record<string, string> = {},
): Promise<CmfServerProcess> {
  const port = await freePort();
  const child = spawn(cmfBin, ['server', 'start', '--port', String(port), ...args], {
    env: { ...process.env, NO_COLOR: '1', CMF_SERVER_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`cmf server did not start: ${stderr}`)),
      30_000,
    );
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /(http:\/\/[^\s"]+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`cmf server exited with ${code}: ${stderr}`));
    });
  });
  return {
    url,
    child,
    log: () => stderr,
    out: () => stdout,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        const code = await exited;
        clearTimeout(timer);
        return code;
      }
      return child.exitCode;
    },
  };
}
