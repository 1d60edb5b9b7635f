import { execFile, spawnSync } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { promisify } from 'node:util';

export const run = promisify(execFile);

/**
 * Installs the Debian packages that are missing (one dpkg-query when all are there). apt runs
 * under a file lock so test files starting servers in parallel do not collide on dpkg's lock.
 */
export function ensurePackages(packages: string[]): void {
  const q = spawnSync('dpkg-query', ['-W', '-f', '${Package} ${db:Status-Status}\n', ...packages], {
    encoding: 'utf8',
  });
  const installed = new Set(
    q.stdout
      .split('\n')
      .filter((l) => l.endsWith(' installed'))
      .map((l) => l.split(' ')[0]),
  );
  const missing = packages.filter((p) => !installed.has(p));
  if (missing.length === 0) return;
  const script =
    'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ' +
    missing.join(' ');
  const r = spawnSync('flock', ['/tmp/cmf-test-apt.lock', 'sh', '-c', script], {
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    throw new Error(`Could not install ${missing.join(' ')}: ${r.stderr || r.stdout}`);
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`Nothing listens on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends SIGTERM, then SIGKILL if the process is still there after `graceMs`. */
export async function stopPid(pid: number | undefined, graceMs = 10_000): Promise<void> {
  if (!pid) return;
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive()) process.kill(pid, 'SIGKILL');
}

const live = new Set<() => number | undefined>();
let hooked = false;

/**
 * Remembers a server process so that it is killed when the test process exits without
 * having stopped it (a crash, a timeout). Returns the function that forgets it again.
 */
export function killOnExit(pid: () => number | undefined): () => void {
  live.add(pid);
  if (!hooked) {
    hooked = true;
    process.on('exit', killLive);
    // Interrupted (Ctrl-C, a CI timeout, a benchmark stopped with kill): 'exit' does not run
    // on a signal, so kill the servers here, then die of the same signal as before.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        killLive();
        process.kill(process.pid, signal);
      });
    }
  }
  return () => live.delete(pid);
}

function killLive(): void {
  for (const p of live) {
    const n = p();
    if (n)
      try {
        process.kill(n, 'SIGKILL');
      } catch {
        // already gone
      }
  }
  live.clear();
}

/**
 * A self-signed certificate for 127.0.0.1 (EC P-256, valid a day), written as `cert.pem` and
 * `key.pem` in `dir`: the certificate is its own CA, for clients given it as their bundle.
 */
export async function selfSignedCert(dir: string): Promise<{ certPath: string; keyPath: string }> {
  const certPath = `${dir}/cert.pem`;
  const keyPath = `${dir}/key.pem`;
  await run('openssl', [
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
    ...['-keyout', keyPath, '-out', certPath, '-days', '1'],
    ...['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
  ]);
  return { certPath, keyPath };
}
