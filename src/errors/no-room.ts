import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * What a file system that refused a write (ENOSPC) ran out of. A file system with free
 * blocks but no free inodes (many small files: a cache, a tmpfs with nr_inodes) also says
 * ENOSPC, and there `df -h` shows plenty of room: only `df -i` shows why.
 */
export type Shortage = 'inodes' | 'space';

/** The shortage of the file system holding `path` (or its nearest existing parent). */
export function shortageAt(path: string): Shortage {
  for (let p = path, i = 0; i < 16; i++) {
    try {
      const s = statfsSync(p);
      // Some file systems (btrfs) make inodes as needed and report none: never short of them.
      return s.files > 0 && s.ffree === 0 && s.bavail > 0 ? 'inodes' : 'space';
    } catch {
      const up = dirname(p);
      if (up === p) break;
      p = up;
    }
  }
  return 'space';
}

/** `df` showing the shortage of `dir`'s file system: `df -i` for inodes, else `df -h`. */
export function dfCommand(dir: string, shortage: Shortage = shortageAt(dir)): string {
  return `df ${shortage === 'inodes' ? '-i' : '-h'} ${dir}`;
}

/** What the file system of a refused write is out of, for a message. */
export function shortageText(shortage: Shortage): string {
  return shortage === 'inodes'
    ? 'no free inodes left on its file system'
    : 'no space left on its file system';
}
