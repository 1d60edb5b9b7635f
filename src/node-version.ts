/**
 * The oldest Node.js cmf runs on: package.json "engines" says ">=22.14". On an older Node a
 * dependency fails at import with a confusing TypeError, and the native SQLite addon, built
 * for the Node that installed it, can crash the process with SIGSEGV (measured with Node 20
 * against modules installed by Node 24; better-sqlite3's prebuilt addon needs N-API 10,
 * which Node 22 has from 22.14: on 22.12 and 22.13 loading it is a segmentation fault).
 * Both entry points check first: bin/run.js and the library's index (through
 * node-guard.ts). Imports nothing but node:fs and the error hierarchy, so it loads on any Node.
 */
import { existsSync } from 'node:fs';
import { ConfigError } from './errors/index.js';

export const MIN_NODE: readonly [number, number] = [22, 14];

/** True when `version` ("22.11.0", "v20.20.2") is older than MIN_NODE. */
export function nodeTooOld(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1]);
}

/**
 * Whether cmf runs from a checkout of its repository, which has `scripts/setup` (and may
 * have its own Node in `.tools/`), rather than from an installed package, which has neither.
 * This module is src/node-version.ts or dist/node-version.js: one level below the root.
 */
function inCheckout(): boolean {
  return existsSync(new URL('../scripts/setup', import.meta.url));
}

/** The error for running on `version` (default: this process's Node). */
export function nodeTooOldError(
  version = process.versions.node,
  execPath = process.execPath,
  checkout = inCheckout(),
): ConfigError {
  const required = MIN_NODE.join('.');
  return new ConfigError(
    'NODE_TOO_OLD',
    `cmf needs Node.js ${required} or newer; ${execPath} is Node.js ${version}`,
    {
      hint:
        `Install Node.js ${required} or newer (24 recommended).` +
        (checkout
          ? " In this cmf checkout, 'scripts/setup' brings its own Node 24: run cmf with " +
            "bin/cmf, and scripts that use the library with 'scripts/with-node node <script>'."
          : ''),
      data: { node: version, required: `>=${required}` },
    },
  );
}
