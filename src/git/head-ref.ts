/**
 * Reading what HEAD points at and moving it after a commit, as git does with loose refs:
 * the new value is written to `<ref>.lock` and renamed over the ref, so a killed process
 * leaves the old value or the new one. `undefined` from {@link readHead} means a layout this
 * does not handle (a symbolic ref to a symbolic ref, a malformed HEAD); the caller then
 * leaves the commit to isomorphic-git.
 */
import { appendFileSync, readFileSync, renameSync, rmSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { OperationError } from '../errors/index.js';
import { createLockFile } from '../fs/lock-file.js';
import { refFile, refLogFile, type GitLayout } from './git-dir.js';

const OID = /^[0-9a-f]{40}$/;

export interface HeadState {
  /** The branch ref HEAD names (`refs/heads/…`), or undefined when HEAD is detached. */
  ref?: string;
  /** The commit it points at; undefined before the first commit. */
  oid?: string;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** The value of `ref`: its loose file, else its line in `packed-refs`; null when it has none. */
function readRef(layout: GitLayout, ref: string): string | null | undefined {
  const loose = readOrUndefined(refFile(layout, ref))?.trim();
  if (loose !== undefined) return OID.test(loose) ? loose : undefined;
  const packed = readOrUndefined(join(layout.commondir, 'packed-refs')) ?? '';
  for (const line of packed.split('\n')) {
    if (line.startsWith('#') || line.startsWith('^')) continue;
    const [oid, name] = line.trim().split(' ');
    if (name === ref && oid && OID.test(oid)) return oid;
  }
  return null;
}

export function readHead(layout: GitLayout): HeadState | undefined {
  const head = readOrUndefined(join(layout.gitdir, 'HEAD'))?.trim();
  if (head === undefined) return undefined;
  if (OID.test(head)) return { oid: head };
  const m = /^ref: (refs\/\S+)$/.exec(head);
  if (!m || m[1]!.split('/').some((p) => p === '..' || p === '')) return undefined;
  const value = readRef(layout, m[1]!);
  if (value === undefined) return undefined;
  return value === null ? { ref: m[1]! } : { ref: m[1]!, oid: value };
}

/**
 * Points `ref` (or a detached HEAD) at `oid`, if it still holds `expected` (none: absent).
 * Another writer in between is an error rather than a lost commit.
 */
export function updateRef(
  layout: GitLayout,
  ref: string,
  oid: string,
  expected?: string,
  reflog?: { who: string; message: string },
): void {
  const path = refFile(layout, ref);
  const lock = `${path}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  // A lock we created but could not write (a full disk) is removed: left behind, it would stop
  // every later commit, git's too, until deleted by hand.
  if (!createLockFile(lock, `${oid}\n`)) {
    throw new OperationError('GIT_REF_LOCKED', `${lock} is held by another process`, {
      hint: 'Wait for the other git process to finish; if none is running, delete the lock file.',
    });
  }
  try {
    const now = ref === 'HEAD' ? readHead(layout)?.oid : (readRef(layout, ref) ?? undefined);
    if (now !== expected) {
      throw new OperationError('GIT_REF_MOVED', `${ref} moved while committing`, {
        hint: 'Another process committed at the same time; run finalize() again.',
        data: { ref, expected, now },
      });
    }
    renameSync(lock, path);
  } catch (err) {
    rmSync(lock, { force: true });
    throw err;
  }
  if (reflog) appendReflogs(layout, ref, expected, oid, reflog);
}

/**
 * Records the move in the reflogs git keeps (core.logAllRefUpdates, on by default in a work
 * tree): the ref's and, as HEAD named it, HEAD's. `git reflog` then lists cmf's commits, and
 * one a `git reset --hard` left behind can be found again. Best effort: the commit is made.
 */
function appendReflogs(
  layout: GitLayout,
  ref: string,
  old: string | undefined,
  oid: string,
  { who, message }: { who: string; message: string },
): void {
  const subject = message.replace(/\r/g, '').trim().split('\n')[0] ?? '';
  const line = `${old ?? '0'.repeat(40)} ${oid} ${who}\t${old ? 'commit' : 'commit (initial)'}: ${subject}\n`;
  for (const r of ref === 'HEAD' ? [ref] : [ref, 'HEAD']) {
    const log = refLogFile(layout, r);
    try {
      mkdirSync(dirname(log), { recursive: true });
      appendFileSync(log, line);
    } catch {
      // a reflog that cannot be written loses history, not the commit
    }
  }
}

/** `Name <email> <seconds> <±hhmm>`, as git and isomorphic-git write identities. */
export function signature(name: string, email: string, when: Date): string {
  const seconds = Math.floor(when.getTime() / 1000);
  const offset = new Date(seconds * 1000).getTimezoneOffset(); // minutes west of UTC
  const abs = Math.abs(offset);
  const hhmm = `${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
  return `${name} <${email}> ${seconds} ${offset > 0 ? '-' : '+'}${hhmm}`;
}

/** A commit object's text; the message normalized as isomorphic-git does (no CR, one final newline). */
export function commitText(opts: {
  tree: string;
  parents: readonly string[];
  author: string;
  committer: string;
  message: string;
}): string {
  const message = `${opts.message.replace(/\r/g, '').replace(/^\n+/, '').replace(/\n+$/, '')}\n`;
  return (
    `tree ${opts.tree}\n` +
    opts.parents.map((p) => `parent ${p}\n`).join('') +
    `author ${opts.author}\ncommitter ${opts.committer}\n\n${message}`
  );
}
