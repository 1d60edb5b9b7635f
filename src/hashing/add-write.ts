/**
 * The work-tree half of `add` and `addMany`, run once every object is in the cache: the
 * `.gitignore` lines first, then the `.dvc` files. In this order a process killed in between
 * leaves at worst an ignored data file without its `.dvc` file (the next add writes it),
 * never a `.dvc` file whose data git lists as untracked, for a `git add -A` to commit.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { accessError, isAccessError } from '../errors/access.js';
import { dfCommand } from '../errors/no-room.js';
import {
  CmfError,
  isNoSpaceError,
  orNoSpace,
  toCmfError,
  withHint,
  writtenPath,
} from '../errors/index.js';
import { tempPathBeside } from '../fs/atomic.js';
import { mapLimit } from '../util/map-limit.js';
import type { AddResult } from './add.js';
import { undoAdd } from './add-undo.js';
import type { LocalCache } from './cache.js';
import { serializeDvcFile, writeDvcFile, type DvcFile } from './dvcfile.js';
import { addManyToGitignore } from './gitignore.js';

/** An output whose objects are cached, and whose `.gitignore` line and `.dvc` file are not written yet. */
export interface PendingAdd {
  /** Absolute path of the output. */
  abs: string;
  /** Its result so far (`changed` all false); completed by {@link writeAdded}. */
  result: AddResult;
  /**
   * The `.dvc` file to write and the text it replaces (undefined: there is none). Absent for
   * a legacy `.dvc` file that is kept as it is.
   */
  dvcFile?: { file: DvcFile; previousText?: string };
}

/** `.gitignore` files rewritten at once. */
const CONCURRENCY = 16;

/**
 * Writes the `.gitignore` lines (unless `gitignore` is false; each directory's file once)
 * and then the `.dvc` files of `pending`, completing their results. When a write fails, what
 * was written is undone (best effort) before the error is thrown.
 */
export async function writeAdded(
  pending: readonly PendingAdd[],
  gitignore: boolean,
): Promise<void> {
  try {
    if (gitignore) await ignoreAll(pending);
    for (const p of pending) await writeDvc(p);
  } catch (err) {
    // The write's error is the one to report; an undo that fails too leaves lines or files
    // that the next add of the same paths writes again anyway.
    await undoAdd(pending.map((p) => p.result)).catch(() => undefined);
    throw err;
  }
}

async function ignoreAll(pending: readonly PendingAdd[]): Promise<void> {
  const byDir = new Map<string, PendingAdd[]>();
  for (const p of pending) {
    const dir = dirname(p.abs);
    const list = byDir.get(dir);
    if (list) list.push(p);
    else byDir.set(dir, [p]);
  }
  await mapLimit([...byDir], CONCURRENCY, async ([dir, list]) => {
    const changes = await addManyToGitignore(
      dir,
      list.map((p) => basename(p.abs)),
    );
    list.forEach((p, j) => {
      p.result.gitignorePath = changes[j]!.path;
      p.result.changed!.gitignore = changes[j]!.changed;
    });
  });
}

async function writeDvc({ result, dvcFile }: PendingAdd): Promise<void> {
  if (!dvcFile) return;
  const { file, previousText } = dvcFile;
  const changed = result.changed!;
  if (previousText === undefined) {
    writeNewDvcFile(result.dvcFilePath, serializeDvcFile(file));
    changed.dvcFile = true;
  } else if (await writeDvcFile(result.dvcFilePath, file, previousText)) {
    // Written over (keeping comments), and not at all when its entry did not change.
    changed.dvcFile = true;
    changed.previousDvcText = previousText;
  }
}

/**
 * Writes a new `.dvc` file (temp + rename). These are a few hundred bytes: synchronous
 * writes cost a third of three thread-pool round trips (open, write, close) each.
 */
function writeNewDvcFile(path: string, text: string): void {
  const tmp = tempPathBeside(path);
  try {
    writeFileSync(tmp, text, { flag: 'wx' });
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw orNoSpace(err, path);
  }
}

/**
 * An add's error as one a user can act on: a write refused (no permission, a read-only file
 * system) or a full disk names what could not be written; when that is in the DVC cache, the
 * hint tells how to move the cache too. Other errors are returned unchanged.
 */
export function addError(err: unknown, cache: LocalCache): unknown {
  const root = resolve(cache.root);
  const inCache = (path: unknown): boolean =>
    typeof path === 'string' && `${resolve(path)}/`.startsWith(`${root}/`);
  const moveCache = (where: string): string =>
    `move the cache to ${where} (set \`cache.dir\` in .dvc/config, as \`dvc cache dir <dir>\` does)`;
  if (isAccessError(err)) {
    const path = writtenPath(err);
    return accessError(
      path,
      err,
      inCache(path) ? moveCache('a directory you may write') : undefined,
    );
  }
  const typed = isNoSpaceError(err) ? toCmfError(err) : err;
  if (!(typed instanceof CmfError) || typed.code !== 'DISK_FULL') return err;
  if (!inCache(typed.data?.path)) return typed;
  return withHint(
    typed,
    `Free space on the file system of the DVC cache ${root} (\`${dfCommand(root)}\` shows how full it is), or ${moveCache('a file system with room')}, then run the call again.`,
  );
}
