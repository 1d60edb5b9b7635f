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
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors/index.js';
import type { GitRepo } from '../git/index.js';
import { gitLayout } from '../git/git-dir.js';
import { ignoredPaths } from '../git/ignored.js';
import { isIndexProblem, parseIndex } from '../git/index-file.js';

/** The paths of the git index and their directories, re-read when the index changes. */
export class GitChecks {
  private readonly git: GitRepo;
  private readonly gitdir: string;
  private tracked?: { stamp: string; files: Set<string>; dirs: Set<string> };

  constructor(git: GitRepo) {
    this.git = git;
    // A linked worktree or a submodule has its own index in the directory `.git` names.
    this.gitdir = gitLayout(git.dir)?.gitdir ?? join(git.dir, '.git');
  }

  /** Throws a UsageError for the first absolute path of `paths` that `dvc add` would refuse. */
  check(paths: readonly string[]): void {
    const rels = paths.map((p) => this.git.relativePath(p));
    const index = this.index();
    for (const rel of rels) {
      if (index && (index.files.has(rel) || index.dirs.has(rel))) {
        throw new UsageError(
          'CMF_PATH_TRACKED_BY_GIT',
          `Cannot log ${rel}: git tracks it already, and DVC refuses an output that git tracks`,
          {
            hint: `Stop tracking it in git (git rm -r --cached ${quote(rel)}, then commit), and log it again.`,
            data: { path: rel },
          },
        );
      }
    }
    const dvcFiles = rels.map((r) => `${r}.dvc`);
    const ignored = ignoredPaths(this.git.dir, this.gitdir, dvcFiles);
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

  /** The index's files and directories; undefined when it cannot be read here (git decides then). */
  private index(): { files: Set<string>; dirs: Set<string> } | undefined {
    const path = join(this.gitdir, 'index');
    const st = statSync(path, { bigint: true, throwIfNoEntry: false });
    if (!st) return { files: new Set(), dirs: new Set() };
    const stamp = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    if (this.tracked?.stamp === stamp) return this.tracked;
    const parsed = parseIndex(readFileSync(path));
    // An index only git reads (version 4, split, …): git add stages such paths all the same.
    if (isIndexProblem(parsed)) return undefined;
    const files = new Set<string>();
    const dirs = new Set<string>();
    for (const e of parsed.entries) {
      files.add(e.path);
      for (let i = e.path.lastIndexOf('/'); i > 0; i = e.path.lastIndexOf('/', i - 1)) {
        const dir = e.path.slice(0, i);
        if (dirs.has(dir)) break;
        dirs.add(dir);
      }
    }
    this.tracked = { stamp, files, dirs };
    return this.tracked;
  }
}

/** A path as a shell argument, quoted when it needs it. */
function quote(path: string): string {
  return /^[\w./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}
