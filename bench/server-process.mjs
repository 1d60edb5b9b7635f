// A real `cmf server start` process for the benchmarks (bench/server-load.mjs,
// bench/merge-memory.mjs), on a free port of 127.0.0.1, without tokens.
import { spawn } from 'node:child_process';

/**
 * Starts `cmf server start` (the checkout's `bin`) with `dataDir` and, when given, the
 * PostgreSQL `database`; resolves to its URL, pid and a `stop()` (SIGTERM, resolves on exit).
 */
export function startServer(bin, dataDir, database) {
  const child = spawn(
    process.execPath,
    [
      bin,
      'server',
      'start',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      ...(database ? ['--database', database] : []),
    ],
    { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, CMF_SERVER_TOKEN: '' } },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /http:\/\/\S+/.exec(out);
      if (m)
        resolve({
          url: m[0],
          pid: child.pid,
          stop: () =>
            new Promise((r) => {
              child.once('exit', r);
              child.kill('SIGTERM');
            }),
        });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}
