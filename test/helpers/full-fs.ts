import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Whether this process may mount file systems (tests that need one skip otherwise). */
export const canMount = process.getuid?.() === 0;

/**
 * Mounts a 1 MiB tmpfs (or one with these mount `options`) at `dir` (created if missing) and returns the function that unmounts
 * it (call it in a `finally`, before the temp dir holding `dir` is removed); undefined when
 * it cannot be mounted (not root, no CAP_SYS_ADMIN in a container): the test skips then.
 */
export function mountSmallTmpfs(dir: string, options = 'size=1m'): (() => void) | undefined {
  if (!canMount) return undefined;
  mkdirSync(dir, { recursive: true });
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]).status !== 0) {
    return undefined;
  }
  // Lazy: a handle a failed test left open must not keep the mount busy.
  return () => void spawnSync('umount', ['-l', dir]);
}

/** Fills the file system of `dir` with a file `name` until no byte is left (ENOSPC). */
export function fill(dir: string, name = 'filler'): void {
  const fd = openSync(join(dir, name), 'w');
  const block = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

/** Gives back the space {@link fill} took. */
export function unfill(dir: string, name = 'filler'): void {
  rmSync(join(dir, name), { force: true });
}

/** Uses up the inodes of `dir`'s file system with empty files (its blocks stay free). */
export function fillInodes(dir: string): void {
  const sub = join(dir, 'inodes');
  mkdirSync(sub, { recursive: true });
  try {
    for (let i = 0; ; i++) closeSync(openSync(join(sub, String(i)), 'w'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
}

/** After {@link fill}: gives `pages` 4 KiB pages of the filler back (tmpfs allocates whole pages). */
export function leave(dir: string, pages: number, name = 'filler'): void {
  const filler = join(dir, name);
  truncateSync(filler, Math.max(0, statSync(filler).size - pages * 4096));
}

/**
 * Runs `step` on the file system of `dir` filled up but for 0 pages, `triesPerSize` times,
 * then 1 page, 2, … until it succeeds (giving the space back after each try); `check` judges
 * each failure. For steps whose failed tries may leave what later ones need not write again
 * (content-addressed objects), several tries per size let each get one step further.
 */
export async function withGrowingSpace<T>(
  dir: string,
  step: () => Promise<T>,
  check: (err: unknown) => void,
  triesPerSize = 1,
): Promise<{ result: T; failures: unknown[] }> {
  const failures: unknown[] = [];
  for (let i = 0; i < 40 * triesPerSize; i++) {
    fill(dir);
    leave(dir, Math.floor(i / triesPerSize));
    try {
      return { result: await step(), failures };
    } catch (err) {
      check(err);
      failures.push(err);
    } finally {
      unfill(dir);
    }
  }
  throw new Error('the step never succeeded');
}
