import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';

/**
 * A ProxyCommand as OpenSSH runs it: `sh -c <command>`, whose stdout and stdin carry the SSH
 * connection (ssh2's `sock`). Its stderr is kept (the end of it) to explain a failure.
 */
export interface ProxyProcess {
  sock: Duplex;
  /** The command's exit status and the end of its stderr, once it has exited. */
  exited: Promise<{ status: number | null; stderr: string }>;
  /** Ends the command if the connection's end did not already. */
  stop(): void;
}

const STDERR_KEEP = 2000;

export function startProxyCommand(command: string): ProxyProcess {
  const child = spawn('/bin/sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-STDERR_KEEP);
  });
  const exited = new Promise<{ status: number | null; stderr: string }>((resolve) => {
    child.on('error', (err) => resolve({ status: null, stderr: err.message }));
    child.on('close', (status) => resolve({ status, stderr: stderr.trim() }));
  });
  // A write after the command died must fail the connection, not the process.
  child.stdin.on('error', () => undefined);
  const sock = Duplex.from({ readable: child.stdout, writable: child.stdin });
  sock.on('error', () => undefined);
  return {
    sock,
    exited,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    },
  };
}
