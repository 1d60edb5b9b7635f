import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';

/**
 * A ProxyCommand as OpenSSH runs it: `sh -c <command>`, whose stdout and stdin carry the SSH
 * connection (ssh2's `sock`). Its stderr is kept (the end of it) to explain a failure.
 */
export interface ProxyProcess {
  sock: Duplex;
  /** The command's exit status (null: killed by a signal, or it could not start). */
  exited: Promise<number | null>;
  /** The end of what the command wrote to stderr so far. */
  stderr(): string;
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
  const exited = new Promise<number | null>((resolve) => {
    child.on('error', (err) => {
      stderr += err.message;
      resolve(null);
    });
    child.on('close', (status) => resolve(status));
  });
  // A write after the command died must fail the connection, not the process.
  child.stdin.on('error', () => undefined);
  const sock = Duplex.from({ readable: child.stdout, writable: child.stdin });
  sock.on('error', () => undefined);
  return {
    sock,
    exited,
    stderr: () => stderr.trim(),
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
    },
  };
}
