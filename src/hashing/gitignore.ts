import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OperationError } from '../errors/index.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { withLockFile } from '../fs/lock-file.js';

/**
 * `.gitignore` entries for tracked outputs, written the way DVC (scmrepo `Git.ignore`) writes
 * them, so that a repo touched by both tools keeps one line per output and small git diffs.
 */

/** Gitignore metacharacters that pathspec's `GitWildMatchPattern.escape` backslash-escapes. */
const META = new Set(['[', ']', '!', '*', '#', '?']);

/**
 * The line DVC writes for an output named `name` (a basename): `/` plus the name with
 * `[ ] ! * # ?` escaped. Directories get no trailing slash, as in DVC.
 */
export function gitignoreEntry(name: string): string {
  if (name === '' || name.includes('/')) {
    throw new TypeError(`gitignoreEntry expects a basename, got ${JSON.stringify(name)}`);
  }
  let escaped = '';
  for (const ch of name) escaped += META.has(ch) ? `\\${ch}` : ch;
  return `/${escaped}`;
}

export interface GitignoreChange {
  /** The `.gitignore` file that was (or would have been) changed. */
  path: string;
  /** The entry line, without newline. */
  entry: string;
  /** False when nothing had to be written. */
  changed: boolean;
  /** Set by {@link removeFromGitignore} when the file became empty and was deleted. */
  removedFile?: boolean;
}

async function readIfExists(path: string): Promise<{ text: string; mode: number } | undefined> {
  try {
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { text, mode: st.mode & 0o7777 };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** How long a writer waits for another one's `.gitignore.lock`, and when that lock is stale. */
const LOCK_TIMEOUT_MS = 30_000;
const LOCK_STALE_MS = 10_000;

/**
 * Runs a read-modify-write of the `.gitignore` at `path` holding `<path>.lock` (created
 * exclusively, as git locks its own files): processes logging files of one directory at
 * the same time would otherwise each rename their own version over the others', losing
 * lines, and the data files those lines hid would show up untracked. The lock is held for
 * a read and a rename; one left by a killed process is removed after 10 s.
 */
function withGitignoreLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  return withLockFile(
    lock,
    {
      timeoutMs: LOCK_TIMEOUT_MS,
      staleMs: LOCK_STALE_MS,
      busy: () =>
        new OperationError(
          'GITIGNORE_LOCKED',
          `${lock} was held by another process for ${LOCK_TIMEOUT_MS / 1000} s`,
          {
            hint: 'Another cmf process is updating this .gitignore; retry when it is done. If none is running, delete the lock file.',
            data: { lock },
          },
        ),
    },
    fn,
  );
}

/** Lines of a text file, without their `\n` (and a `\r` before it, for CRLF files). */
function lines(text: string): string[] {
  return text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/**
 * Adds `/<name>` to `<dir>/.gitignore` unless that exact line is already there. A newline is
 * inserted first when the file does not end with one. The file is replaced atomically and
 * keeps its mode; concurrent writers (other processes too) take turns, so none loses a line.
 * Unlike DVC we do not ask git whether another rule already ignores the path.
 */
export async function addToGitignore(dir: string, name: string): Promise<GitignoreChange> {
  return (await addManyToGitignore(dir, [name]))[0]!;
}

/**
 * {@link addToGitignore} for several names in one directory: the file is read once and, if
 * anything is missing, written once, with the same result as adding the names one by one
 * in order (a repeated name is added once).
 */
export async function addManyToGitignore(
  dir: string,
  names: readonly string[],
): Promise<GitignoreChange[]> {
  const path = join(dir, '.gitignore');
  const entries = names.map(gitignoreEntry);
  return withGitignoreLock(path, () => addEntries(path, entries));
}

async function addEntries(path: string, entries: readonly string[]): Promise<GitignoreChange[]> {
  const existing = await readIfExists(path);
  const present = new Set(existing ? lines(existing.text) : []);
  let added = '';
  const changes = entries.map((entry) => {
    if (present.has(entry)) return { path, entry, changed: false };
    present.add(entry);
    added += `${entry}\n`;
    return { path, entry, changed: true };
  });
  if (added === '') return changes;
  const before = existing?.text ?? '';
  const prefix = before === '' || before.endsWith('\n') ? '' : '\n';
  await writeFileAtomic(
    path,
    `${before}${prefix}${added}`,
    existing ? { mode: existing.mode } : {},
  );
  return changes;
}

/**
 * Removes every `/<name>` line (compared without surrounding whitespace, as DVC does) from
 * `<dir>/.gitignore`, and deletes the file when no line is left.
 */
export async function removeFromGitignore(dir: string, name: string): Promise<GitignoreChange> {
  const path = join(dir, '.gitignore');
  const entry = gitignoreEntry(name);
  return withGitignoreLock(path, () => removeEntry(path, entry));
}

async function removeEntry(path: string, entry: string): Promise<GitignoreChange> {
  const existing = await readIfExists(path);
  if (!existing) return { path, entry, changed: false };
  // Keep each line with its own terminator so untouched lines stay byte-identical.
  const kept = (existing.text.match(/[^\n]*\n|[^\n]+$/g) ?? []).filter((l) => l.trim() !== entry);
  const after = kept.join('');
  if (after === existing.text) return { path, entry, changed: false };
  if (kept.length === 0) {
    await rm(path, { force: true });
    return { path, entry, changed: true, removedFile: true };
  }
  await writeFileAtomic(path, after, { mode: existing.mode });
  return { path, entry, changed: true };
}

/** What `dvc init` writes into `.dvcignore`. */
export const DVCIGNORE_HEADER =
  '# Add patterns of files dvc should ignore, which could improve\n' +
  '# the performance. Learn more at\n' +
  '# https://dvc.org/doc/user-guide/dvcignore\n';

/**
 * Creates what `dvc init` creates and is missing (spec/formats.md A8): `.dvc/config` (empty),
 * `.dvc/.gitignore` with `/config.local`, `/tmp`, `/cache`, and `.dvcignore`. Existing files
 * are kept; missing `.dvc/.gitignore` lines are appended. Returns the files written.
 */
export async function ensureDvcSkeleton(repoRoot: string): Promise<string[]> {
  const dvcDir = join(repoRoot, '.dvc');
  await mkdir(dvcDir, { recursive: true });
  const written: string[] = [];
  const createIfMissing = async (path: string, text: string): Promise<void> => {
    try {
      await writeFile(path, text, { flag: 'wx' });
      written.push(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  };
  await createIfMissing(join(dvcDir, 'config'), '');
  for (const name of ['config.local', 'tmp', 'cache']) {
    const change = await addToGitignore(dvcDir, name);
    if (change.changed && !written.includes(change.path)) written.push(change.path);
  }
  await createIfMissing(join(repoRoot, '.dvcignore'), DVCIGNORE_HEADER);
  return written;
}
