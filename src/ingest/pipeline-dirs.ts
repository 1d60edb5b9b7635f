/**
 * Where a project's pipelines are: every directory holding a dvc.yaml or a dvc.lock, as
 * DVC's index collects dvc.yaml files from the whole workspace (`dvc repro`, `dvc push` and
 * `dvc status` read them all). Skipped as DVC skips them: `.git`, `.hg` and `.dvc`
 * folders, sub-repositories (folders holding their own `.dvc/`), symlinked folders, and
 * what `.dvcignore` files (from the root down, each relative to its folder) ignore. (DVC
 * also skips what git ignores, and output directories: ingest.ts leaves those out, as it
 * asks git about the files found here and reads the pipelines top-down.)
 */
import { readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { DVCIGNORE, isIgnored, loadDvcignore, type Rules } from '../hashing/walk.js';

const SKIPPED = new Set(['.git', '.hg', '.dvc']);

export interface PipelineDir {
  /** POSIX path relative to the project root; '' for the root itself. */
  dir: string;
  hasYaml: boolean;
  hasLock: boolean;
}

/** The pipeline directories under `root`, the root first, then in path order. */
export function findPipelineDirs(root: string, yamlName: string, lockName: string): PipelineDir[] {
  const found: PipelineDir[] = [];
  const visit = (abs: string, rel: string, rules: Rules[]): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch {
      return; // unreadable: DVC cannot collect it either
    }
    const names = new Set(entries.map((e) => e.name));
    // A sub-repository is a project of its own.
    if (rel !== '' && names.has('.dvc')) return;
    if (names.has(DVCIGNORE)) {
      const ig = loadDvcignore(join(abs, DVCIGNORE));
      if (ig) rules = [...rules, { base: abs, ig }];
    }
    const ignored = (name: string, isDir: boolean) => isIgnored(rules, join(abs, name), isDir);
    const hasYaml = names.has(yamlName) && !ignored(yamlName, false);
    const hasLock = names.has(lockName) && !ignored(lockName, false);
    if (hasYaml || hasLock) found.push({ dir: rel, hasYaml, hasLock });
    const dirs = entries
      .filter((e) => e.isDirectory() && !SKIPPED.has(e.name) && !ignored(e.name, true))
      .map((e) => e.name)
      .sort();
    for (const d of dirs) visit(join(abs, d), rel === '' ? d : `${rel}/${d}`, rules);
  };
  visit(root, '', []);
  return found;
}
