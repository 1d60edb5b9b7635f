import { format } from 'node:util';
import { RawJson, jsonText } from '../cmf/raw-json.js';
import { toCmfError, type CmfError } from '../errors/index.js';
import { forDefaultMlmdFile } from './open-mlmd.js';
import { writeOutput } from './output.js';
import { visibleLines } from '../util/visible-text.js';

/**
 * What runs around a command's work, shared by the oclif commands (CmfCommand) and the fast
 * path (fast-run.ts), so that both print and fail alike. Nothing here loads oclif.
 */

/** Where a command's run writes its lines: an oclif command, or the fast path's stand-in. */
export interface CommandLog {
  /** A line on stdout, not with --json. */
  log(message?: string, ...args: unknown[]): void;
  /** A line on stderr, not with --json. */
  logToStderr(message?: string, ...args: unknown[]): void;
  jsonEnabled(): boolean;
}

/**
 * A line of text, as console.log formats it, with its control characters escaped: values in
 * it may come from files a cloned repository brings (a remote's url, a pipeline's name), and
 * must not drive the terminal. Tabs and line breaks stay.
 */
export function lineOf(message: string, args: unknown[]): string {
  return visibleLines(format(message, ...args)) + '\n';
}

/**
 * A command's JSON result on stdout, pretty-printed but not colourised (oclif's colouriser
 * tokenises the text with regexes and takes seconds on a large listing). Integers beyond 2^53
 * (bigints) are written as exact JSON numbers. RawJson, already serialised, is written piece by
 * piece.
 */
export function writeJsonResult(json: unknown): void {
  if (json instanceof RawJson) {
    for (const chunk of json.chunks) writeOutput(chunk);
    writeOutput('\n');
    return;
  }
  writeOutput(jsonText(json) + '\n');
}

/**
 * The cmf error a command failed with. `mlmdFileDefaulted`: the command takes -f/--file_name
 * and was run without it, so the MLMD file was cmf's choice and its hints must not speak of a
 * -f given.
 */
export function commandFailure(err: unknown, mlmdFileDefaulted: boolean): CmfError {
  const cmfError = toCmfError(err);
  return mlmdFileDefaulted ? forDefaultMlmdFile(cmfError) : cmfError;
}
