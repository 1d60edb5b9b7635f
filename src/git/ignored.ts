/**
 * Which of many paths `.gitignore` rules exclude, decided as isomorphic-git's `add` decides
 * it (GitIgnoreManager.isIgnored: `.git/info/exclude`, then each `.gitignore` from the work
 * tree root down, a parent directory match being final), but reading each rules file once
 * per batch instead of once per path and level. `add` then stages the rest with
 * `force: true`, skipping its own per-path check.
 */
import { createRequire } from 'node:module';
import { basename, join, posix } from 'node:path';
import { readRegularFileSync } from '../fs/regular-file.js';

interface Ignore {
  add(patterns: string): Ignore;
  ignores(path: string): boolean;
  test(path: string): { ignored: boolean; unignored: boolean };
}
type IgnoreFactory = () => Ignore;

let factory: IgnoreFactory | null | undefined;

/**
 * The `ignore` package isomorphic-git itself resolves (it depends on another major version
 * than ours; the matching rules must be the same), or null when it cannot be found.
 */
function ignoreFactory(): IgnoreFactory | null {
  if (factory === undefined) {
    try {
      const require = createRequire(import.meta.url);
      const gitMain = require.resolve('isomorphic-git');
      const path = createRequire(gitMain).resolve('ignore');
      const mod = createRequire(gitMain)(path) as IgnoreFactory | { default: IgnoreFactory };
      factory = typeof mod === 'function' ? mod : mod.default;
    } catch {
      factory = null;
    }
  }
  return factory;
}

function readOrEmpty(path: string): string {
  try {
    return readRegularFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The subset of `filepaths` (posix, relative to `dir`) that isomorphic-git would leave out
 * as ignored, or undefined when its matcher is not available (then let `add` decide).
 */
export function ignoredPaths(
  dir: string,
  gitdir: string,
  filepaths: readonly string[],
): Set<string> | undefined {
  const make = ignoreFactory();
  if (!make) return undefined;
  const excludes = readOrEmpty(join(gitdir, 'info', 'exclude'));
  const rules = new Map<string, Ignore>();
  const rulesAt = (folder: string, first: boolean): Ignore => {
    const key = `${first ? '0' : '1'}${folder}`;
    let ign = rules.get(key);
    if (!ign) {
      ign = make();
      if (first) ign.add(excludes);
      ign.add(readOrEmpty(join(dir, folder, '.gitignore')));
      rules.set(key, ign);
    }
    return ign;
  };
  const ignored = new Set<string>();
  for (const filepath of filepaths) {
    if (isIgnored(filepath, rulesAt)) ignored.add(filepath);
  }
  return ignored;
}

function isIgnored(filepath: string, rulesAt: (folder: string, first: boolean) => Ignore): boolean {
  if (basename(filepath) === '.git') return true;
  if (filepath === '.') return false;
  const pieces = filepath.split('/').filter(Boolean);
  let status = false;
  for (let i = 0; i < pieces.length; i++) {
    const folder = pieces.slice(0, i).join('/');
    const file = i === 0 ? filepath : pieces.slice(i).join('/');
    const ign = rulesAt(folder, i === 0);
    const parent = posix.dirname(file);
    if (parent !== '.' && ign.ignores(parent)) return true;
    status = status ? !ign.test(file).unignored : ign.test(file).ignored;
  }
  return status;
}
