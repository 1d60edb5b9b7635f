import type ignore from 'ignore';
import type { Ignore } from 'ignore';
import { createRequire } from 'node:module';
import { readdirSync, statSync, type BigIntStats, type Dirent } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { NotFoundError, UsageError } from '../errors/index.js';
import { readRegularFileSync } from '../fs/regular-file.js';
import { brokenSymlink, statFollowing, unsupportedFile } from './odd-paths.js';
import { orReadDenied } from './file-hash.js';
import type { StatKey } from './state.js';

export const DVCIGNORE = '.dvcignore';

/** One file found by `walkDirectory`. */
export interface WalkedFile {
  /** Path relative to the walked directory, parts joined with `/`. */
  relpath: string;
  /** Absolute path. */
  path: string;
  /** Stat of the file (through a symlink, of its target); absent with `stat: false`. */
  stat?: StatKey & { isexec: boolean };
}

export interface WalkOptions {
  /**
   * The repository root, whose `.dvcignore` files from the root down to the walked
   * directory apply. Default: the nearest ancestor of the directory holding a `.dvc/` folder.
   */
  repoRoot?: string;
  /** Take each file's stat (default true); hashing can stat lazily instead. */
  stat?: boolean;
  /**
   * What a `.dvcignore` inside the walked directory means: `error` (default, as `dvc add`)
   * or `apply` (its rules apply below its folder, as when walking a whole workspace).
   */
  nestedDvcignore?: 'error' | 'apply';
}

export interface Rules {
  /** Absolute directory the patterns are relative to. */
  base: string;
  ig: Ignore;
}

// Loaded when a .dvcignore is first found, keeping ~10 ms off the start-up of other runs.
let makeIgnore: typeof ignore | undefined;
function newIgnore(): Ignore {
  makeIgnore ??= createRequire(import.meta.url)('ignore') as typeof ignore;
  return makeIgnore({ allowRelativePaths: true });
}

/** DVC strips every line and skips comments and blanks; trailing spaces never matter. */
export function loadDvcignore(file: string): Ignore | undefined {
  let text: string;
  try {
    text = readRegularFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  return lines.length > 0 ? newIgnore().add(lines) : undefined;
}

/** Applies every rule set from the root down; a deeper match overrides a shallower one. */
export function isIgnored(chain: readonly Rules[], abs: string, isDir: boolean): boolean {
  let ignored = false;
  for (const { base, ig } of chain) {
    const rel = relative(base, abs).split(sep).join('/');
    if (rel === '' || rel.startsWith('..')) continue;
    const r = ig.test(isDir ? `${rel}/` : rel);
    if (r.ignored) ignored = true;
    else if (r.unignored) ignored = false;
  }
  return ignored;
}

/** The nearest directory at or above `dir` that holds a `.dvc/` folder. */
export function findRepoRoot(dir: string): string | undefined {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (isDirectory(join(d, '.dvc'))) return d;
    if (dirname(d) === d) return undefined;
  }
}

function isDirectory(p: string): boolean {
  try {
    // No exception for the common "not there" (a throw costs more than the stat).
    return statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}

function toStat(st: BigIntStats): StatKey & { isexec: boolean } {
  return {
    ino: st.ino,
    mtimeNs: st.mtimeNs,
    size: Number(st.size),
    isexec: (st.mode & 0o111n) !== 0n,
  };
}

/**
 * Lists the files of a directory as DVC's `os.walk` does for `dvc add`: symlinked files are
 * followed, symlinked directories are not entered, empty directories leave no trace, and
 * `.git`, `.hg`, `.dvc` and sub-repositories (folders holding `.dvc/`) are always skipped.
 * `.dvcignore` rules from the repository root down apply, each relative to its folder.
 * Uses synchronous directory reads: for many small directories they are much faster.
 */
export async function walkDirectory(dir: string, opts: WalkOptions = {}): Promise<WalkedFile[]> {
  const files: WalkedFile[] = [];
  await walkFiles(dir, opts, (batch) => {
    for (const f of batch) files.push(f);
  });
  return files;
}

/**
 * `walkDirectory`, handing over the files of each directory as soon as it is read (so
 * hashing can start before the walk ends); a promise returned by `onFiles` is awaited
 * before the next directory is read.
 */
export async function walkFiles(
  dir: string,
  opts: WalkOptions,
  onFiles: (files: WalkedFile[]) => void | Promise<void>,
): Promise<void> {
  const root = resolve(dir);
  if (!isDirectory(root)) {
    throw new NotFoundError('DIR_NOT_FOUND', `No such directory: ${dir}`, { data: { path: dir } });
  }
  const wantStat = opts.stat ?? true;
  const nested = opts.nestedDvcignore ?? 'error';

  // Rules from the repo root down to (not including) the walked directory.
  const chain: Rules[] = [];
  const repoRoot = opts.repoRoot ? resolve(opts.repoRoot) : findRepoRoot(dirname(root));
  if (repoRoot && (root + sep).startsWith(repoRoot + sep)) {
    const parts = relative(repoRoot, dirname(root)).split(sep).filter(Boolean);
    for (let i = 0, d = repoRoot; i <= parts.length; d = join(d, parts[i] ?? ''), i++) {
      const ig = loadDvcignore(join(d, DVCIGNORE));
      if (ig) chain.push({ base: d, ig });
    }
  }

  const visit = async (abs: string, rel: string, rules: Rules[]): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch (err) {
      throw orReadDenied(err, abs);
    }
    if (entries.some((e) => e.name === DVCIGNORE)) {
      const file = join(abs, DVCIGNORE);
      if (nested === 'error') {
        throw new UsageError('DVCIGNORE_IN_DIR', `A .dvcignore file is inside ${dir}: ${file}`, {
          data: { path: file },
          hint: `Move its rules to a .dvcignore above ${dir} (paths relative to that folder) and delete it.`,
        });
      }
      const ig = loadDvcignore(file);
      if (ig) rules = [...rules, { base: abs, ig }];
    }
    // `abs` is resolved (normalised, no trailing separator but at the root) and names hold
    // no separator, so plain concatenation is `join` without its cost per entry.
    const prefix = abs.endsWith(sep) ? abs : abs + sep;
    const relPrefix = rel === '' ? '' : `${rel}/`;
    const files: WalkedFile[] = [];
    const subdirs: Array<[abs: string, rel: string]> = [];
    for (const e of entries) {
      const name = e.name;
      if (name === '' || name === '.git') continue;
      const childAbs = prefix + name;
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      let st: BigIntStats | undefined;
      if (e.isSymbolicLink()) {
        st = statFollowing(childAbs);
        if (!st) throw brokenSymlink(childAbs); // gone since it was listed
        // os.walk does not enter symlinked directories, and DVC lists nothing for them.
        if (st.isDirectory()) continue;
        isDir = false;
        isFile = st.isFile();
      }
      if (name.includes('\uFFFD') && !(rules.length > 0 && isIgnored(rules, childAbs, isDir))) {
        refuseNonUtf8Name(abs, name);
      }
      if (isDir) {
        if (name === '.hg' || name === '.dvc') continue;
        if (rules.length > 0 && isIgnored(rules, childAbs, true)) continue;
        if (isDirectory(join(childAbs, '.dvc'))) continue; // a sub-repository
        subdirs.push([childAbs, relPrefix + name]);
        continue;
      }
      if (rules.length > 0 && isIgnored(rules, childAbs, false)) continue;
      if (!isFile) {
        throw unsupportedFile(childAbs);
      }
      if (wantStat) {
        try {
          st ??= statSync(childAbs, { bigint: true });
        } catch (err) {
          throw orReadDenied(err, childAbs);
        }
      }
      const file: WalkedFile = { relpath: relPrefix + name, path: childAbs };
      if (st && wantStat) file.stat = toStat(st);
      files.push(file);
    }
    if (files.length > 0) await onFiles(files);
    for (const [childAbs, childRel] of subdirs) await visit(childAbs, childRel, rules);
  };
  await visit(root, '', chain);
}

/**
 * A name that is not UTF-8 reads back with U+FFFD in place of its bytes, a name no file
 * has: it would fail later as a confusing "No such file". cmf records paths as UTF-8 text
 * (MLMD names, `.dir` manifests), so such a name (`lossy`, as readdir decoded it) is
 * refused, shown byte by byte. A name that holds U+FFFD itself, as valid UTF-8, passes.
 * (DVC keeps such names through Python's surrogate escapes, which cmf does not reproduce.)
 */
function refuseNonUtf8Name(dir: string, lossy: string): void {
  const strict = new TextDecoder('utf-8', { fatal: true });
  for (const raw of readdirSync(dir, { encoding: 'buffer' })) {
    if (raw.toString('utf8') !== lossy) continue;
    try {
      strict.decode(raw);
      return;
    } catch {
      const shown = [...raw]
        .map((b) =>
          b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`,
        )
        .join('');
      throw new UsageError('FILE_NAME_NOT_UTF8', `A file name in ${dir} is not UTF-8: ${shown}`, {
        data: { path: dir, name: shown },
        hint: 'Rename it to a UTF-8 name (e.g. with convmv), or list it in .dvcignore.',
      });
    }
  }
}
