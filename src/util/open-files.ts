import { codeInChain } from '../errors/index.js';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Open files one transfer job may hold at once: a connection and a file, and a spare for a
 * multipart upload's extra connections or a checkout's source and destination.
 */
const FILES_PER_JOB = 3;
/** Kept free for what else the process opens meanwhile (databases, listings, the SDK). */
const RESERVE = 32;

/** The soft limit on open files (`ulimit -n`), where the system tells it (Linux: /proc). */
export function openFileLimit(): number | undefined {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(
      readFileSync('/proc/self/limits', 'utf8'),
    );
    return line && line[1] !== 'unlimited' ? Number(line[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Files this process has open now, where the system tells it (Linux: /proc). */
function openFileCount(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

/**
 * `jobs`, lowered so that that many transfers in parallel stay within the open-file limit:
 * `-j 256` under `ulimit -n 256` would otherwise fail every transfer past the limit with
 * EMFILE. Node cannot ask getrlimit; without /proc (not Linux) `jobs` is kept, and running
 * out of files stops the transfer with one error instead (see {@link tooManyOpenFiles}).
 */
export function jobsWithinOpenFileLimit(jobs: number): number {
  const limit = openFileLimit();
  if (limit === undefined) return jobs;
  const room = Math.floor((limit - openFileCount() - RESERVE) / FILES_PER_JOB);
  return Math.max(1, Math.min(jobs, room));
}

/** Whether `err` or an error in its cause chain is the process (or system) out of files. */
export function isOutOfFiles(err: unknown): boolean {
  return codeInChain(err, (code) => code === 'EMFILE' || code === 'ENFILE') !== undefined;
}
