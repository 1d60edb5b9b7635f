import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors/index.js';

/** Name of cmf's project file; Python cmf lets `CONFIG_FILE` rename it, and so do we. */
export function cmfConfigFileName(env: NodeJS.ProcessEnv = process.env): string {
  return env.CONFIG_FILE || '.cmfconfig';
}

/**
 * The nearest directory at or above `start` that holds the cmf project file, like git
 * finds `.git`; undefined outside a cmf project.
 */
export function findProjectRoot(
  start: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const name = cmfConfigFileName(env);
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, name))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Like `findProjectRoot`, but a missing project is a ConfigError telling how to make one. */
export function requireProjectRoot(start: string, env: NodeJS.ProcessEnv = process.env): string {
  const root = findProjectRoot(start, env);
  if (root === undefined) {
    throw new ConfigError(
      'CMF_NOT_CONFIGURED',
      `cmf is not configured: no ${cmfConfigFileName(env)} in ${resolve(start)} or any parent directory`,
      {
        hint: "Run 'cmf init local --path <remote dir> --git-remote-url <url>' (or another 'cmf init' type) in the project root.",
      },
    );
  }
  return root;
}

/**
 * The MLMD file a command works on: `-f` as given (relative to `cwd`); else `mlmd` in
 * `cwd` when it exists there (what Python cmf opens); else `mlmd` in the project root
 * found by walking up, so commands work from any sub-directory; else `cwd/mlmd`.
 */
export function resolveMlmdPath(
  flag: string | undefined,
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (flag !== undefined) return resolve(cwd, flag);
  const here = resolve(cwd, 'mlmd');
  if (existsSync(here)) return here;
  const root = findProjectRoot(cwd, env);
  if (root !== undefined) {
    const inRoot = join(root, 'mlmd');
    if (existsSync(inRoot) && statSync(inRoot).isFile()) return inRoot;
  }
  return here;
}
