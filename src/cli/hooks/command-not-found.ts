import type { Hook } from '@oclif/core';
import { UsageError } from '../../errors/index.js';
import { renderError } from '../render-error.js';
import { describeUnknownCommand } from '../unknown-command.js';

/**
 * oclif's `command_not_found` hook: an unknown command is a usage error (exit 2) rendered
 * as every other cmf error, JSON on stderr with --json, instead of oclif's own line.
 */
const hook: Hook.CommandNotFound = async function (opts) {
  const index = {
    commands: opts.config.commands.filter((c) => !c.hidden).map((c) => c.id),
    topics: opts.config.topics.filter((t) => !t.hidden).map((t) => t.name),
  };
  const { message, hint } = describeUnknownCommand(opts.id, index, opts.config.bin);
  const argv = opts.argv ?? [];
  const end = argv.indexOf('--');
  const json = (end < 0 ? argv : argv.slice(0, end)).includes('--json');
  const err = new UsageError('COMMAND_NOT_FOUND', message, { hint });
  process.stderr.write(renderError(err, json));
  this.exit(err.exitCode);
};

export default hook;
