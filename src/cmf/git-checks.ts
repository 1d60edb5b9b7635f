/**
 * The checks `dvc add` makes against git before it writes anything (the DVC-only ones,
 * symlinked directories and overlapping outputs, are in hashing/add-checks.ts):
 * - a path git tracks (a file in the index, or a directory holding one) is refused, as DVC
 *   refuses it (OutputAlreadyTrackedError): it would get a `.dvc` file and a `.gitignore`
 *   line while git still tracks it, so both would version it;
 * - a path whose `.dvc` file `.gitignore` rules exclude is refused, as DVC refuses such a
 *   `.dvc` file (FileIsGitIgnoredError) on every later load: `git add` would skip it, and
 *   the finalize commit would hold no trace of the file.
 */
import { UsageError } from '../errors/index.js';
import type { GitRepo } from '../git/index.js';

/**
 * Throws a UsageError for the first absolute path of `paths` that `dvc add` would refuse.
 * The index and the ignore rules are the repository's own (its git dir, or a linked
 * worktree's index and the common dir's `info/exclude`), read as GitRepo keeps them.
 */
export function checkGitRefusals(git: GitRepo, paths: readonly string[]): void {
  const rels = paths.map((p) => git.relativePath(p));
  // An index only git reads (version 4, split, …) answers undefined: git add stages such
  // paths all the same, so the check is left out.
  const tracked = rels.find((rel) => git.tracks(rel) === true);
  if (tracked !== undefined) {
    throw new UsageError(
      'CMF_PATH_TRACKED_BY_GIT',
      `Cannot log ${tracked}: git tracks it already, and DVC refuses an output that git tracks`,
      {
        hint: `Stop tracking it in git (git rm -r --cached ${quote(tracked)}, then commit), and log it again.`,
        data: { path: tracked },
      },
    );
  }
  const dvcFiles = rels.map((r) => `${r}.dvc`);
  const ignored = git.ignored(dvcFiles);
  const first = dvcFiles.find((f) => ignored?.has(f));
  if (first !== undefined) {
    throw new UsageError(
      'CMF_DVC_FILE_IGNORED',
      `Cannot log ${first.slice(0, -4)}: its .dvc file ${first} is git-ignored, so git would not version it and DVC refuses it`,
      {
        hint: `Change the .gitignore rule that matches ${first} (git check-ignore -v ${quote(first)} shows it); for an ignored directory 'data/', write 'data/*' and '!data/*.dvc' instead.`,
        data: { path: first.slice(0, -4), dvcFile: first },
      },
    );
  }
}

/** A path as a shell argument, quoted when it needs it. */
function quote(path: string): string {
  return /^[\w./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}
