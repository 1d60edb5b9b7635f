// Refuses a Node.js older than package.json's engines range before anything else loads (see
// src/node-version.ts, compiled to dist/, which holds the range and the error). Plain
// JavaScript for any Node version.
import { nodeTooOld, nodeTooOldError } from '../dist/node-version.js';

export { MIN_NODE, nodeTooOld } from '../dist/node-version.js';

/** Writes the error (JSON with --json) and exits, when this Node is too old. */
export function exitIfNodeTooOld(argv) {
  if (!nodeTooOld(process.versions.node)) return;
  const e = nodeTooOldError();
  process.stderr.write(
    argv.includes('--json')
      ? JSON.stringify({ status: 'error', error: e.toJSON() }, null, 2) + '\n'
      : `Error: ${e.message}\nHint: ${e.hint}\n`,
  );
  process.exit(e.exitCode);
}
