#!/usr/bin/env node
// Production entry point: runs plain `artifact push` / `pull` and `pipeline` / `execution` /
// `artifact list` lines through the fast path (dist/cli/fast-path.js), everything else
// through oclif and its manifest.
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
  // DEBUG prints stacks: in a checkout, name the modules the bundle was made of
  // (rolldown.config.mjs), and src/ for the rest (the package ships no maps: its stacks name
  // dist/). Source maps cost loading time, so only then.
  if (process.env.DEBUG) process.setSourceMapsEnabled(true);
  // oclif checks its own Node engine range with semver at import (~20 ms of loading);
  // scripts/node-env.sh and bin/cmf already guarantee a supported Node.
  process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1';
  // `cmf artifact push` / `pull` and the three listings in their plain forms run without
  // oclif (about 100 ms of loading, a third of a no-op push, half of a listing); anything else
  // on their command lines goes to oclif.
  const fast =
    argv[0] === 'artifact' || argv[0] === 'pipeline' || argv[0] === 'execution'
      ? (await import('../dist/cli/fast-path.js')).fastCommand(argv, process.env)
      : undefined;
  if (fast !== undefined) {
    const { runFastCommand } = await import(fastRunModule());
    const code = await runFastCommand(fast);
    // A failure ends the process at once with its code, as oclif ends one: a stderr that
    // cannot take the message must not turn it into 1 or 141 (the handlers above).
    if (code !== 0) process.exit(code);
  } else {
    const { execute } = await import('@oclif/core');
    await execute({ dir: import.meta.url });
  }
}

/**
 * The fast path's code: its bundle, unless one of the modules it was made of changed after
 * it was built (`tsc -w`, a tsc-only build) or it is missing; then those modules themselves.
 * About 100 stats, well under a millisecond.
 */
function fastRunModule() {
  const dir = new URL('../dist/fast/', import.meta.url);
  try {
    const built = statSync(new URL('fast-run.js', dir)).mtimeMs;
    const inputs = JSON.parse(readFileSync(new URL('inputs.json', dir), 'utf8'));
    if (inputs.every((input) => statSync(new URL(input, dir)).mtimeMs <= built)) {
      return '../dist/fast/fast-run.js';
    }
  } catch {
    // No bundle, or an input gone: the modules themselves.
  }
  return '../dist/cli/fast-run.js';
}

function packageVersion() {
  return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
}
