/**
 * The runtime environment snapshot logged as an `Environment` artifact with every execution
 * (cmflib writes `pip freeze` / a conda YAML). Ours is YAML — one of the two extensions the
 * cmf-server accepts for environment files — holding the Node version, platform and the
 * project's dependency lock file (its md5, and for npm lock files every locked package).
 * The file name carries the md5 of its text, so an unchanged environment is one artifact.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import YAML from 'yaml';
import { writeFileAtomic } from '../fs/atomic.js';
import { md5Hex } from '../hashing/index.js';
import { CMF_ARTIFACTS_DIR } from './conventions.js';
import { readRegularFile } from '../fs/regular-file.js';

const LOCK_FILES = [
  'package-lock.json',
  'npm-shrinkwrap.json',
  'pnpm-lock.yaml',
  'yarn.lock',
  'bun.lock',
];

/** The first lock file from `start` up to `stop` (inclusive). */
export function findLockFile(start: string, stop: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    for (const name of LOCK_FILES) if (existsSync(join(dir, name))) return join(dir, name);
    if (dir === stop || dirname(dir) === dir) return undefined;
  }
}

/** `name@version` of every package an npm lock file (v2/v3) pins, sorted. */
function npmPackages(text: string): string[] {
  try {
    const lock = JSON.parse(text) as {
      packages?: Record<string, { version?: string; name?: string }>;
    };
    const out = new Set<string>();
    for (const [key, pkg] of Object.entries(lock.packages ?? {})) {
      if (key === '' || !pkg.version) continue;
      const name = pkg.name ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
      out.add(`${name}@${pkg.version}`);
    }
    return [...out].sort();
  } catch {
    return [];
  }
}

export interface EnvironmentSnapshot {
  /** Absolute path of the written file. */
  path: string;
  /** The file's path relative to the MLMD directory (the `Python_Env` value). */
  relativePath: string;
}

/** Writes the snapshot under `<baseDir>/cmf_artifacts/` (once per content) and returns its path. */
export async function writeEnvironment(
  baseDir: string,
  mlmdName: string,
  lockSearch: { start: string; stop: string },
): Promise<EnvironmentSnapshot> {
  const doc: Record<string, unknown> = {
    name: mlmdName,
    runtime: 'node',
    node: process.version,
    platform: process.platform,
    arch: process.arch,
  };
  const lockPath = findLockFile(lockSearch.start, lockSearch.stop);
  if (lockPath) {
    const text = await readRegularFile(lockPath, 'utf8');
    doc.lockfile = {
      path: relative(lockSearch.stop, lockPath).split(sep).join('/'),
      md5: md5Hex(text),
    };
    if (lockPath.endsWith('.json')) doc.dependencies = npmPackages(text);
  }
  const text = YAML.stringify(doc);
  const rel = `${CMF_ARTIFACTS_DIR}/node_env_${md5Hex(text)}.yaml`;
  const path = join(baseDir, ...rel.split('/'));
  if (!existsSync(path)) {
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, text);
  }
  return { path, relativePath: rel };
}
