#!/usr/bin/env node
// Production entry point: runs plain `artifact push` / `pull` lines through the fast path
// (dist/cli/fast-path.js), everything else through oclif and its manifest.
import module from 'node:module';
import { readFileSync, statSync } from 'node:fs';
import { exitIfNodeTooOld } from './node-check.js';

// The reader of our output went away (`cmf artifact list | head`): stop quietly with the
// status a process killed by SIGPIPE has, as git and coreutils do, instead of failing later
// with a confusing warning. Whatever we were writing is atomic, so nothing is left half done.
// Any other failure of a stream (output to files and devices goes through dist/cli/output.js
// and is reported by the command) is said in one line, never as a stack trace, and is never
// exit 0: what was written is incomplete.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(141);
    const which = stream === process.stdout ? 'standard output' : 'standard error';
    const reason = String(err.message).replace(/^[A-Z0-9]+: /, '');
    try {
      if (stream !== process.stderr) {
        process.stderr.write(
          `Error: Cannot write to ${which}: ${reason} (${err.code ?? 'unknown error'}). The output is incomplete.\n`,
        );
      }
    } finally {
      process.exit(1);
    }
  });
}

const argv = process.argv.slice(2);
exitIfNodeTooOld(argv);
// `cmf --version` / `-v`, with or without --json: answered without loading oclif (about
// 100 ms of module loading), in the same text and JSON as `cmf version`; anything more
// after it is refused there too.
const version = argv.some((a) => a === '--version' || a === '-v')
  ? (await import('../dist/cli/version-info.js')).versionReply(argv, packageVersion())
  : undefined;
if (version !== undefined) {
  process[version.stream].write(version.text);
  process.exitCode = version.exitCode;
} else {
  // The compile cache (Node >= 22.1) saves parsing time on every run after the first.
  module.enableCompileCache?.();
  // oclif checks its own Node engine range with semver at import (~20 ms of loading);
  // scripts/node-env.sh and bin/cmf already guarantee a supported Node.
  process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1';
  // `cmf artifact push` / `pull` in their plain forms run without oclif (about 100 ms of
  // loading, a third of a no-op push); anything else on their command lines goes to oclif.
  const { fastCommand } = await import('../dist/cli/fast-path.js');
  const fast = fastCommand(argv, process.env);
  if (fast !== undefined) {
    const { runFastCommand } = await import(fastRunModule());
    process.exitCode = await runFastCommand(fast);
  } else {
    const { execute } = await import('@oclif/core');
    await execute({ dir: import.meta.url });
  }
}

/**
 * The fast path's code: its bundle (rolldown.config.mjs), unless a later tsc build made it stale
 * (tsc rewrites every file of dist/, the bundle is built after it), then the modules themselves.
 */
function fastRunModule() {
  const mtime = (path) =>
    statSync(new URL(path, import.meta.url), { throwIfNoEntry: false })?.mtimeMs;
  const bundled = mtime('../dist/fast/fast-run.js');
  return bundled !== undefined && bundled >= mtime('../dist/cli/fast-run.js')
    ? '../dist/fast/fast-run.js'
    : '../dist/cli/fast-run.js';
}

function packageVersion() {
  return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
}
