/** What `add` and `addMany` share: target checks and the next content of a `.dvc` file. */
import { statSync } from 'node:fs';
import { basename, isAbsolute, relative, sep } from 'node:path';
import { UsageError } from '../errors/index.js';
import { readRegularFileSync } from '../fs/regular-file.js';
import { isDirOid } from './cache.js';
import { checkIgnorableName } from './gitignore.js';
import { parseDvcFile, type DvcFile, type DvcOut } from './dvcfile.js';

/** The longest file name (in bytes) of Linux and macOS file systems. */
const NAME_MAX = 255;

export function checkTarget(path: string, repoRoot: string): void {
  const rel = relative(repoRoot, path);
  const parts = rel.split(sep);
  const fail = (why: string, hint: string): never => {
    throw new UsageError('ADD_BAD_PATH', `Cannot add ${path}: ${why}`, {
      hint,
      data: { path, repoRoot },
    });
  };
  const inside = 'Add the files or directories inside the project instead.';
  if (rel === '') fail('it is the repository root', inside);
  if (parts[0] === '..' || isAbsolute(rel)) {
    fail(`it is outside the repository ${repoRoot}`, `Move or copy it into ${repoRoot} first.`);
  }
  if (parts.some((p) => p === '.dvc' || p === '.git')) {
    fail('it is inside .dvc or .git', 'These folders belong to DVC and git; add your own files.');
  }
  if (path.endsWith('.dvc')) {
    fail('it is a .dvc file', 'Add the file it describes (the path without .dvc) instead.');
  }
  checkIgnorableName(rel, path);
  // `<name>.dvc` must fit the file system's limit on a name (255 bytes nearly everywhere);
  // found before anything is written rather than as a raw ENAMETOOLONG after the cache.
  if (Buffer.byteLength(basename(path)) + '.dvc'.length > NAME_MAX) {
    fail(
      `its name is ${Buffer.byteLength(basename(path))} bytes long, too long for its .dvc file (${NAME_MAX} bytes at most)`,
      `Rename it to a name of at most ${NAME_MAX - 4} bytes, then log it again.`,
    );
  }
}

/** The `.dvc` file content to write: the new out, keeping what the user added to `previous`. */
export function mergedDvcFile(previous: DvcFile | undefined, out: DvcOut): DvcFile {
  const old = previous?.outs.find((o) => o.path === out.path);
  const merged: DvcOut = old?.extra ? { ...out, extra: old.extra } : out;
  return previous?.extra ? { outs: [merged], extra: previous.extra } : { outs: [merged] };
}

/** A `.dvc` file as found: parsed, and its text (written over, not replaced, on a change). */
export interface PreviousDvcFile {
  file: DvcFile;
  text: string;
}

/**
 * The `.dvc` file now at `path`, parsed and as text; undefined when there is none.
 * Synchronous: these are a few hundred bytes, and most paths have none (one stat says so).
 */
export function readPrevious(path: string): PreviousDvcFile | undefined {
  if (!statSync(path, { throwIfNoEntry: false })) return undefined;
  let text: string;
  try {
    text = readRegularFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return { file: parseDvcFile(text, path), text };
}

/** An out entry of a legacy (DVC 2.x) `.dvc` file, with the md5-dos2unix id it records. */
export type LegacyOut = DvcOut & { md5: string; hashName: 'md5-dos2unix' };

/**
 * The legacy entry of `previous` for the output `name` (a directory when `dir`), if it
 * records an id. Adding that output again keeps it legacy while its content still hashes
 * to that id with md5-dos2unix: DVC switches a legacy output to `md5` only when its content
 * changed (spec/formats.md A2, `update_legacy_hash_name`).
 */
export function legacyOut(
  previous: DvcFile | undefined,
  name: string,
  dir: boolean,
): LegacyOut | undefined {
  const old = previous?.outs.find((o) => o.path === name);
  if (old?.hashName !== 'md5-dos2unix' || old.md5 === undefined) return undefined;
  return isDirOid(old.md5) === dir ? (old as LegacyOut) : undefined;
}
