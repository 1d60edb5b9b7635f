/**
 * Refusals of `dvc add` that keep a repository usable by DVC, checked for a whole batch
 * before anything is written (cache, `.dvc` file, `.gitignore`):
 * - a path inside a symlinked directory, or a symlink to a directory (DVC: "Cannot add files
 *   inside symlinked directories"): the `.dvc` file and the `.gitignore` line would land where
 *   the link points, perhaps outside the repository;
 * - overlapping outputs (DVC raises OverlappingOutputPathsError on every later status, push
 *   or pull): a path inside a directory that `<dir>.dvc` tracks, a directory holding `.dvc`
 *   files, or two paths of one batch, one inside the other.
 *
 * Outputs of `dvc.yaml` stages and `.dvc` files with unusual names (an out that is not the
 * file's own name) elsewhere in the repository are not looked for: DVC finds them by reading
 * every stage of the repository, which costs more than a logging call should.
 */
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { UsageError } from '../errors/index.js';
import { readRegularFileSync } from '../fs/regular-file.js';
import { parseDvcFile } from './dvcfile.js';

/** `path` relative to the repository root, `/`-separated, for messages. */
function shown(repoRoot: string, path: string): string {
  return relative(repoRoot, path).split(sep).join('/');
}

/** The directories from `dirname(path)` up to, not including, `repoRoot`. */
function ancestors(path: string, repoRoot: string): string[] {
  const out: string[] = [];
  for (let dir = dirname(path); dir !== repoRoot && dir !== dirname(dir); dir = dirname(dir)) {
    out.push(dir);
  }
  return out;
}

/** True when the `.dvc` file at `dvcFile` has an out that is `dir` (an unreadable one counts). */
function tracks(dvcFile: string, dir: string): boolean {
  let text: string;
  try {
    text = readRegularFileSync(dvcFile, 'utf8');
  } catch {
    return false; // not a readable regular file (a directory or FIFO named x.dvc, or gone)
  }
  try {
    const base = dirname(dvcFile);
    return parseDvcFile(text, dvcFile).outs.some((o) => resolve(base, o.path) === dir);
  } catch {
    return true; // DVC would fail on it too; do not add beside it
  }
}

/** The first `.dvc` file below `dir` (not in `.git` or `.dvc`), if any. */
function dvcFileBelow(dir: string): string | undefined {
  const pending = [dir];
  for (let d = pending.pop(); d !== undefined; d = pending.pop()) {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      const path = join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== '.git' && e.name !== '.dvc') pending.push(path);
      } else if (e.name.endsWith('.dvc') && e.isFile()) return path;
    }
  }
  return undefined;
}

function overlapping(
  repoRoot: string,
  path: string,
  other: string,
  why: string,
  hint: string,
): UsageError {
  return new UsageError(
    'ADD_OVERLAPPING_OUTPUTS',
    `Cannot add ${shown(repoRoot, path)}: ${why}; DVC refuses outputs that overlap`,
    { hint, data: { path, overlapsWith: other } },
  );
}

/**
 * Throws a UsageError (`ADD_SYMLINKED_DIRECTORY`, `ADD_OVERLAPPING_OUTPUTS`) for the first
 * absolute path of `paths` that `dvc add` would refuse for one of the reasons above.
 */
export function checkOutputs(paths: readonly string[], repoRoot: string): void {
  const root = resolve(repoRoot);
  const batch = new Set(paths.map((p) => resolve(p)));
  const plainDirs = new Set<string>(); // checked: not a symlink, not tracked as a whole
  for (const path of batch) {
    for (const dir of ancestors(path, root)) {
      if (plainDirs.has(dir)) break; // and so are the ones above it
      if (lstatSync(dir, { throwIfNoEntry: false })?.isSymbolicLink()) {
        throw symlinked(root, path, dir);
      }
      if (tracks(`${dir}.dvc`, dir)) {
        const d = shown(root, dir);
        throw overlapping(
          root,
          path,
          `${dir}.dvc`,
          `it is inside ${d}, which ${d}.dvc tracks as a whole`,
          `Log the directory ${d} itself (it records every file in it), or, to track its files one by one, delete ${d}.dvc and the /${d.split('/').pop()} line of the .gitignore beside it first.`,
        );
      }
      if (batch.has(dir)) {
        const d = shown(root, dir);
        throw overlapping(
          root,
          path,
          dir,
          `it is inside ${d}, which is logged in the same call`,
          `Log either the directory ${d} or the files in it, not both.`,
        );
      }
      plainDirs.add(dir);
    }
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (st?.isSymbolicLink() && statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
      throw symlinked(root, path, path);
    }
    if (st?.isDirectory()) {
      const inner = dvcFileBelow(path);
      if (inner) {
        const p = shown(root, path);
        const f = shown(root, inner);
        throw overlapping(
          root,
          path,
          inner,
          `${f} inside it tracks part of it`,
          `Log the files of ${p} one by one (logDatasets), or, to track ${p} as a whole, delete ${f} (and its line in the .gitignore beside it) first.`,
        );
      }
    }
  }
}

function symlinked(repoRoot: string, path: string, link: string): UsageError {
  const l = shown(repoRoot, link);
  return new UsageError(
    'ADD_SYMLINKED_DIRECTORY',
    `Cannot add ${shown(repoRoot, path)}: ${l} is a symbolic link to a directory, and DVC cannot track files inside symlinked directories`,
    {
      hint: `Log the path the link points to, if it is inside the repository, or move the data into the repository and replace the link ${l} by the directory itself.`,
      data: { path, link },
    },
  );
}
