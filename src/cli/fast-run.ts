import { commandFailure, lineOf, writeJsonResult, type CommandLog } from './command-frame.js';
import type { FastCommand } from './fast-path.js';
import { stopCleanlyOnSignals } from './interrupt.js';
import { writeOutput } from './output.js';
import { renderError } from './render-error.js';

/**
 * Runs a command line the fast path took (fast-path.ts) as CmfCommand runs it under oclif:
 * stop signals handled, lines on stdout and stderr unless --json, the result as JSON with it,
 * a failure rendered on stderr. Returns the exit code.
 */
export async function runFastCommand(cmd: FastCommand): Promise<number> {
  const out: CommandLog = {
    jsonEnabled: () => cmd.json,
    log: (message = '', ...args) => {
      if (!cmd.json) writeOutput(lineOf(message, args));
    },
    logToStderr: (message = '', ...args) => {
      if (!cmd.json) process.stderr.write(lineOf(message, args));
    },
  };
  const release = stopCleanlyOnSignals(`cmf ${cmd.id}`, () => cmd.json);
  try {
    const result = await run(cmd, out);
    if (cmd.json) writeJsonResult(result);
    return 0;
  } catch (err) {
    const failure = commandFailure(err, cmd.flags.file_name === undefined);
    process.stderr.write(renderError(failure, cmd.json));
    return failure.exitCode;
  } finally {
    release();
  }
}

/**
 * The command's body. Each family is loaded when it runs: a listing does not load the
 * transfer code (remotes, hashing, checkout), nor a transfer the table renderer.
 */
async function run(cmd: FastCommand, out: CommandLog): Promise<unknown> {
  switch (cmd.id) {
    case 'artifact push':
      return (await import('./artifact-transfers.js')).runArtifactPush(cmd.flags, out);
    case 'artifact pull':
      return (await import('./artifact-transfers.js')).runArtifactPull(cmd.flags, out);
    case 'pipeline list':
      return (await import('./list-commands.js')).runPipelineList(cmd.flags, out);
    case 'execution list':
      return (await import('./list-commands.js')).runExecutionList(cmd.flags, out);
    case 'artifact list':
      return (await import('./list-commands.js')).runArtifactList(cmd.flags, out);
  }
}
