import { readFileSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { isPid, leftByEndedProcess, thisHost } from '../util/process-owner.js';

/**
 * cmf holds git's `.git/index.lock` in-process while it stages and commits (a few hundred
 * milliseconds in a large repository). A cmf killed meanwhile (SIGKILL, the OOM killer, a CI
 * timeout) left it behind, and every later git command and cmf call failed until someone
 * deleted it; cmflib's git child processes outlive a killed Python. So while cmf holds the
 * lock, `index.lock.cmf-owner` beside it names the holder: this host and boot, the process id,
 * and which file the lock is (device, inode, birth time). A later cmf removes a lock that this
 * record names when that process no longer runs. A lock without such a record (git's own)
 * is never removed.
 */

interface Owner {
  host: string;
  pid: number;
  dev: number;
  ino: number;
  birthtimeMs: number;
}

const ownerFileOf = (lock: string) => `${lock}.cmf-owner`;

/**
 * Records this process as the holder of `lock`, which it has just created. Best effort: the
 * record only helps a later cmf, so failing to write it (a full disk) fails nothing.
 */
export function recordLockOwner(lock: string): void {
  const file = ownerFileOf(lock);
  const tmp = `${file}.${process.pid}`;
  try {
    const st = statSync(lock);
    const owner: Owner = {
      host: thisHost(),
      pid: process.pid,
      dev: st.dev,
      ino: st.ino,
      birthtimeMs: st.birthtimeMs,
    };
    writeFileSync(tmp, JSON.stringify(owner));
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
  }
}

/** Removes this process's record for `lock` (the lock was renamed over the index or removed). */
export function forgetLockOwner(lock: string): void {
  const file = ownerFileOf(lock);
  if (readOwner(file)?.pid === process.pid) rmSync(file, { force: true });
}

/** Whether `st`, the lock in the way, is one a cmf process of this host left when it died. */
export function leftByDeadCmf(lock: string, st: Stats): boolean {
  const owner = readOwner(ownerFileOf(lock));
  if (!owner) return false;
  const sameFile =
    owner.dev === st.dev && owner.ino === st.ino && owner.birthtimeMs === st.birthtimeMs;
  return sameFile && leftByEndedProcess(owner.host, owner.pid, st.mtimeMs);
}

function readOwner(file: string): Owner | undefined {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as Partial<Owner>;
    const numbers = [o.dev, o.ino, o.birthtimeMs].every((n) => typeof n === 'number');
    return numbers && isPid(o.pid) && typeof o.host === 'string' ? (o as Owner) : undefined;
  } catch {
    return undefined;
  }
}
