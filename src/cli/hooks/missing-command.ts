import { type Hook } from '@oclif/core';
import { reportMissingCommand } from '../unknown-command-report.js';

/**
 * oclif's `init` hook, run before oclif looks the command up: a topic without a command
 * (`cmf artifact`, `cmf` alone) is a usage error, exit 2, with the topic's help on stderr,
 * where oclif would print the help on stdout and exit 0. With --help / -h it stays help.
 */
const hook: Hook.Init = async function (opts) {
  const argv = opts.argv ?? [];
  const end = argv.indexOf('--');
  const asksHelp = (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
  if (asksHelp) return;
  const topic = opts.id ?? '';
  if (topic !== '' && (opts.config.findCommand(topic) || !opts.config.findTopic(topic))) return;
  if (topic === '' && argv.length > 0) return;
  this.exit(await reportMissingCommand(opts.config, topic, argv));
};

export default hook;
