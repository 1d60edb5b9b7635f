import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Who wrote a file that outlives its writer (a lock's owner record, a staging journal), and
 * whether that writer still runs: pids only mean something on the kernel that gave them out.
 */

/**
 * A left-over file must be at least this old (since last written) before its writer is taken
 * for dead: a pid that looks dead may live in another pid namespace of the same kernel (a
 * container sharing the repository).
 */
export const ORPHAN_MIN_AGE_MS = 5_000;

let host: string | undefined;

/** This kernel's instance: host name and boot id (pids are per boot). Read once a process. */
export function thisHost(): string {
  if (host !== undefined) return host;
  let boot = '';
  try {
    boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    // Not Linux: the host name alone.
  }
  return (host = `${hostname()} ${boot}`);
}

/** Whether `pid` is a usable process id: kill() reads 0 and negatives as process groups. */
export function isPid(pid: unknown): pid is number {
  return typeof pid === 'number' && Number.isSafeInteger(pid) && pid > 0;
}

/** Whether process `pid` of this host runs (one of another user counts as running). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Whether a file written by process `pid` of `writerHost`, last modified at `mtimeMs`, was
 * left by a process that has ended (never true for this process or another host's).
 */
export function leftByEndedProcess(writerHost: string, pid: number, mtimeMs: number): boolean {
  if (pid === process.pid || writerHost !== thisHost()) return false;
  return Date.now() - mtimeMs >= ORPHAN_MIN_AGE_MS && !isRunning(pid);
}
