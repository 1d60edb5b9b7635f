import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { orAccessError } from '../errors/access.js';
import { OperationError, UsageError } from '../errors/index.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { withLockFile } from '../fs/lock-file.js';
import { readRegularFile } from '../fs/regular-file.js';
import { BOM, lineEnding } from '../util/line-ends.js';
import { orReadDenied } from './file-hash.js';

/**
 * `.gitignore` entries for tracked outputs, written the way DVC (scmrepo `Git.ignore`) writes
 * them, so that a repo touched by both tools keeps one line per output and small git diffs.
 */

/** Gitignore metacharacters that pathspec's `GitWildMatchPattern.escape` backslash-escapes. */
const META = new Set(['[', ']', '!', '*', '#', '?']);

/**
 * The line DVC writes for an output named `name` (a basename): `/` plus the name with
 * `[ ] ! * # ?` escaped, as DVC does, and also what DVC leaves unescaped and git reads
 * otherwise (gitignore(5)): a backslash (git's escape character) as `\\`, and trailing
 * spaces (which git drops) as `\ `. Directories get no trailing slash, as in DVC. A name with
 * a line break cannot be one line: see {@link checkIgnorableName}.
 */
export function gitignoreEntry(name: string): string {
  if (name === '' || name.includes('/')) {
    throw new TypeError(`gitignoreEntry expects a basename, got ${JSON.stringify(name)}`);
  }
  checkIgnorableName(name, name);
  const trailing = / *$/.exec(name)![0].length; // git trims spaces only, not tabs
  let escaped = '';
  [...name].forEach((ch, i, all) => {
    if (META.has(ch) || ch === '\\' || (ch === ' ' && i >= all.length - trailing)) {
      escaped += `\\${ch}`;
    } else escaped += ch;
  });
  return `/${escaped}`;
}

/**
 * Refuses (UsageError `PATH_HAS_LINE_BREAK`) a path with a newline or carriage return in
 * `name`: its `.gitignore` line would be split in two (git has no escape for a line break),
 * leaving the data unignored and the second half ignoring unrelated files. `shown` is the
 * path as the user gave it.
 */
export function checkIgnorableName(name: string, shown: string): void {
  if (!/[\r\n]/.test(name)) return;
  throw new UsageError(
    'PATH_HAS_LINE_BREAK',
    `Cannot version ${JSON.stringify(shown)}: its name holds a line break, which a .gitignore line cannot hold`,
    {
      hint: 'Rename the file or directory without newline or carriage-return characters, then log it again.',
      data: { path: shown },
    },
  );
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
    const [text, st] = await Promise.all([readRegularFile(path, 'utf8'), stat(path)]);
    return { text, mode: st.mode & 0o7777 };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw orReadDenied(err, path);
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
 * a read and a rename; one left by a killed process is removed after 10 s. A refused write
 * (of the lock, or of the temp file renamed over the `.gitignore`) names the `.gitignore`, not
 * the lock or temp file it was.
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
  ).catch((err: unknown) => {
    throw orAccessError(err, path);
  });
}

/**
 * Lines of a `.gitignore`, without their `\n` (and a `\r` before it, for CRLF files), and
 * without a UTF-8 byte order mark before the first (git skips one too; kept in the file).
 */
function lines(text: string): string[] {
  return (text.startsWith(BOM) ? text.slice(BOM.length) : text)
    .split('\n')
    .map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/**
 * Whether a line (with its terminator) is `entry`: the same text, or, as DVC compares, the
 * same once stripped of surrounding whitespace (our entries may end in an escaped space or
 * a tab, which stripping would cut).
 */
function isEntry(line: string, entry: string): boolean {
  return line.replace(/\r?\n$/, '') === entry || line.trim() === entry;
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
  const before = existing?.text ?? '';
  const eol = lineEnding(before); // kept for appended lines
  let added = '';
  const changes = entries.map((entry) => {
    if (present.has(entry)) return { path, entry, changed: false };
    present.add(entry);
    added += `${entry}${eol}`;
    return { path, entry, changed: true };
  });
  if (added === '') return changes;
  const prefix = before === '' || before.endsWith('\n') ? '' : eol;
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
  // Keep each line with its own terminator so untouched lines stay byte-identical, and a
  // byte order mark at the start.
  const bom = existing.text.startsWith(BOM) ? BOM : '';
  const text = existing.text.slice(bom.length);
  const kept = (text.match(/[^\n]*\n|[^\n]+$/g) ?? []).filter((l) => !isEntry(l, entry));
  const after = kept.length === 0 ? '' : bom + kept.join('');
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
