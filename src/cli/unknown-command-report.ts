import type { Interfaces } from '@oclif/core';
import { UsageError } from '../errors/index.js';
import { renderError } from './render-error.js';
import { describeUnknownCommand } from './unknown-command.js';

/**
 * Prints the usage error for a command id oclif could not find (`pipeline:lst`) to stderr,
 * as JSON when `--json` (or a prefix of it down to `--js`) was typed, and returns the exit
 * code. Shared by the command_not_found hook and the help class (`cmf help x`, `x --help`).
 */
export function reportUnknownCommand(
  config: Interfaces.Config,
  id: string,
  argv: readonly string[],
): number {
  const index = {
    commands: config.commands.filter((c) => !c.hidden).map((c) => c.id),
    topics: config.topics.filter((t) => !t.hidden).map((t) => t.name),
  };
  const { message, hint } = describeUnknownCommand(id, index, config.bin);
  const end = argv.indexOf('--');
  const json = (end < 0 ? argv : argv.slice(0, end)).some(isJsonFlag);
  const err = new UsageError('COMMAND_NOT_FOUND', message, { hint });
  process.stderr.write(renderError(err, json));
  return err.exitCode;
}

/** `--json` or an abbreviation no other flag shares (`--j` could be `--jobs`). */
function isJsonFlag(arg: string): boolean {
  return arg.length >= 4 && '--json'.startsWith(arg);
}
