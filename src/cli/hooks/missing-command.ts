import { type Hook } from '@oclif/core';
import { flagWords } from '../json-flag.js';

/**
 * oclif's `init` hook, run before oclif looks the command up: a topic without a command
 * (`cmf artifact`, `cmf` alone) is a usage error, exit 2, with the topic's help on stderr,
 * where oclif would print the help on stdout and exit 0. With --help / -h it stays help.
 */
const hook: Hook.Init = async function (opts) {
  const argv = opts.argv ?? [];
  const asksHelp = flagWords(argv).some((a) => a === '--help' || a === '-h');
  if (asksHelp) return;
  // `cmf --json` alone: oclif takes the flag for a command id; it is `cmf` without a command.
  const onlyJson = opts.id === '--json' && argv.length === 0;
  const topic = onlyJson ? '' : (opts.id ?? '');
  if (topic !== '' && (opts.config.findCommand(topic) || !opts.config.findTopic(topic))) return;
  if (topic === '' && argv.length > 0) return;
  // Loaded only here: this hook runs before every command, and start-up time counts.
  const { reportMissingCommand } = await import('../unknown-command-report.js');
  this.exit(await reportMissingCommand(opts.config, topic, onlyJson ? ['--json'] : argv));
};

export default hook;
