import { loadHelpClass, type Interfaces } from '@oclif/core';
import { UsageError } from '../errors/index.js';
import { wantsJson } from './json-flag.js';
import { renderError } from './render-error.js';
import {
  describeMissingCommand,
  describeUnknownCommand,
  type CommandIndex,
} from './unknown-command.js';

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
  const { message, hint } = describeUnknownCommand(id, commandIndex(config), config.bin);
  const err = new UsageError('COMMAND_NOT_FOUND', message, { hint });
  process.stderr.write(renderError(err, wantsJson(argv)));
  return err.exitCode;
}

/**
 * For a topic typed without a command (`cmf artifact`, or `cmf` alone): the topic's help on
 * stderr, then the usage error (only the JSON error with --json). Returns the exit code, 2,
 * as argparse gives when a sub-command is missing; `cmf artifact --help` stays exit 0.
 */
export async function reportMissingCommand(
  config: Interfaces.Config,
  topic: string,
  argv: readonly string[],
): Promise<number> {
  const json = wantsJson(argv);
  if (!json) {
    const opts = { ...config.pjson.oclif.helpOptions, sendToStderr: true };
    await new (await loadHelpClass(config))(config, opts).showHelp(topic === '' ? [] : [topic]);
  }
  const { message, hint } = describeMissingCommand(topic, commandIndex(config), config.bin);
  const err = new UsageError('MISSING_COMMAND', message, { hint });
  process.stderr.write(renderError(err, json));
  return err.exitCode;
}

function commandIndex(config: Interfaces.Config): CommandIndex {
  return {
    commands: config.commands.filter((c) => !c.hidden).map((c) => c.id),
    topics: config.topics.filter((t) => !t.hidden).map((t) => t.name),
  };
}
