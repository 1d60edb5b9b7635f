import { rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { writeFileAtomic } from '../fs/atomic.js';
import type { AddResult } from './add.js';
import { removeFromGitignore } from './gitignore.js';

/**
 * Puts the work tree back as it was before {@link add} / `addMany` gave `results`: each
 * `.dvc` file written is restored to its previous text (or removed when it was new), and
 * each `.gitignore` line added is removed. For a caller whose next step failed (cmf: the
 * MLMD write), so that no `.dvc` file is left for an artifact that was never recorded.
 * Cache objects stay: they are content-addressed and harmless. Best effort: every result
 * is undone even when one fails; the first failure is thrown afterwards.
 */
export async function undoAdd(results: readonly AddResult[]): Promise<void> {
  let failure: unknown;
  for (const r of [...results].reverse()) {
    const c = r.changed;
    if (!c) continue;
    try {
      if (c.dvcFile) {
        if (c.previousDvcText === undefined) await rm(r.dvcFilePath, { force: true });
        else {
          const st = await stat(r.dvcFilePath).catch(() => undefined);
          const opts = st ? { mode: st.mode & 0o7777 } : {};
          await writeFileAtomic(r.dvcFilePath, c.previousDvcText, opts);
        }
      }
      if (c.gitignore && r.gitignorePath) {
        await removeFromGitignore(dirname(r.gitignorePath), basename(r.dvcFilePath.slice(0, -4)));
      }
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure !== undefined) throw failure;
}
