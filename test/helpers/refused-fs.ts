import { spawnSync } from 'node:child_process';
import { mountSmallTmpfs } from './full-fs.js';

/**
 * Directories that refuse writes even to root (tests run as root ignore file modes): a
 * read-only mount, or the immutable flag. Each returns the function that undoes it (call it
 * in a `finally`), or undefined when this process cannot make one (not root, no mount
 * permission in a container, a file system without the flag): the test skips then.
 */

/**
 * Mounts a small tmpfs at `dir`, runs `prepare` on it while writable, then remounts it
 * read-only.
 */
export function mountReadOnly(dir: string, prepare?: () => void): (() => void) | undefined {
  const unmount = mountSmallTmpfs(dir);
  if (!unmount) return undefined;
  try {
    prepare?.();
    if (spawnSync('mount', ['-o', 'remount,ro', dir]).status !== 0) {
      unmount();
      return undefined;
    }
  } catch (err) {
    unmount();
    throw err;
  }
  return unmount;
}

/** Sets the immutable flag on `path` (`chattr +i`): nothing in it can be created or removed. */
export function makeImmutable(path: string): (() => void) | undefined {
  if (process.getuid?.() !== 0) return undefined;
  if (spawnSync('chattr', ['+i', path]).status !== 0) return undefined;
  return () => void spawnSync('chattr', ['-i', path]);
}
