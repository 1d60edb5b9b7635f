import { existsSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../fs/atomic.js';
import { readRegularFile } from '../fs/regular-file.js';

/**
 * What `cmf init` is about to change, recorded before each change, so that a step failing
 * part-way (a disk full, a path that turns out to be a directory) puts the project back as it
 * was: a failed init changes nothing. Checks that can be made before writing are made first
 * (see initProject); this covers what no check foresees.
 */
export class InitUndo {
  private readonly steps: { path: string; undo: () => Promise<void> }[] = [];

  /** Before writing `path`: its bytes and mode now, or its absence, come back on undo. */
  async keepFile(path: string): Promise<void> {
    let before: { data: Buffer; mode: number } | undefined;
    try {
      const { mode } = await stat(path);
      before = { data: await readRegularFile(path), mode: mode & 0o7777 };
    } catch (err) {
      // Absent: removed on undo. Unreadable: the write will fail the same way, so there is
      // nothing of ours to undo.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return;
    }
    this.steps.push({
      path,
      undo: before
        ? async () => {
            // Already as it was (a later step moved it back): rewriting it would need space
            // that a full disk, the likely reason for the undo, does not have.
            if (await unchanged(path, before)) return;
            await writeFileAtomic(path, before.data, { mode: before.mode });
          }
        : () => rm(path, { force: true }),
    });
  }

  /** Before renaming `from` to `to` (absent): on undo it is renamed back, needing no space. */
  keepMove(from: string, to: string): void {
    this.steps.push({ path: to, undo: () => rename(to, from) });
  }

  /** Before creating directory `dir`: if it does not exist yet, it goes, with its content, on undo. */
  keepAbsentDir(dir: string): void {
    if (existsSync(dir)) return;
    this.steps.push({ path: dir, undo: () => rm(dir, { recursive: true, force: true }) });
  }

  /** Undoes every recorded change, latest first; returns the paths it could not restore. */
  async undo(): Promise<string[]> {
    const failed: string[] = [];
    for (const step of this.steps.reverse()) {
      try {
        await step.undo();
      } catch {
        failed.push(step.path);
      }
    }
    this.steps.length = 0;
    return failed;
  }
}

async function unchanged(path: string, before: { data: Buffer; mode: number }): Promise<boolean> {
  try {
    const { mode } = await stat(path);
    return (mode & 0o7777) === before.mode && (await readRegularFile(path)).equals(before.data);
  } catch {
    return false;
  }
}
