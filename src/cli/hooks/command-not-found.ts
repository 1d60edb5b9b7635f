import type { Hook } from '@oclif/core';
import { reportUnknownCommand } from '../unknown-command-report.js';

/**
 * oclif's `command_not_found` hook: an unknown command is a usage error (exit 2) rendered
 * as every other cmf error, JSON on stderr with --json, instead of oclif's own line.
 */
const hook: Hook.CommandNotFound = async function (opts) {
  this.exit(reportUnknownCommand(opts.config, opts.id, opts.argv ?? []));
};

export default hook;
