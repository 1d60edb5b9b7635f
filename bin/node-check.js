// Refuses a Node.js older than package.json's engines range before anything else loads.
// On an older Node, cmf's native addon (better-sqlite3, built for the Node that installed
// it) can crash the process with SIGSEGV instead of failing with a message: measured with
// Node 20 against modules installed by Node 24. Plain JavaScript for any Node version.

/** The oldest supported Node.js, as in package.json "engines": ">=22.12". */
export const MIN_NODE = [22, 12];

/** True when `version` ("22.11.0", "v20.20.2") is older than MIN_NODE. */
export function nodeTooOld(version) {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  return major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1]);
}

/** The error cmf reports (exit 4, bad configuration), in the shape of CmfError.toJSON. */
export function nodeTooOldError(version, execPath) {
  return {
    name: 'ConfigError',
    code: 'NODE_TOO_OLD',
    exitCode: 4,
    message: `cmf needs Node.js ${MIN_NODE.join('.')} or newer; ${execPath} is Node.js ${version}`,
    hint: "Install Node.js 22 or 24, or run cmf through bin/cmf after 'scripts/setup' (it brings its own Node).",
    data: { node: version, required: `>=${MIN_NODE.join('.')}` },
  };
}

/** Writes the error (JSON with --json) and exits, when this Node is too old. */
export function exitIfNodeTooOld(argv) {
  const version = process.versions.node;
  if (!nodeTooOld(version)) return;
  const e = nodeTooOldError(version, process.execPath);
  process.stderr.write(
    argv.includes('--json')
      ? JSON.stringify({ status: 'error', error: e }, null, 2) + '\n'
      : `Error: ${e.message}\nHint: ${e.hint}\n`,
  );
  process.exit(e.exitCode);
}
