import { Args, loadHelpClass } from '@oclif/core';
import { CmfCommand } from '../cli/base-command.js';

/**
 * `cmf help [COMMAND…]`: the same help as `--help`, as a command that shares the error
 * handling of every other one (an unknown command is exit 2 with a hint; --json gives a
 * JSON error). Replaces @oclif/plugin-help's command, whose own flag errors printed stacks.
 */
export default class Help extends CmfCommand<void> {
  static override summary = 'Show help for cmf or for one of its commands.';
  static override strict = false;
  static override args = {
    command: Args.string({ description: 'Command to show help for, e.g. `artifact push`.' }),
  };
  static override examples = ['<%= config.bin %> help', '<%= config.bin %> help artifact push'];

  async run(): Promise<void> {
    const { argv } = await this.parse(Help);
    const HelpClass = await loadHelpClass(this.config);
    // --json was parsed out of argv; an unknown subject's error should still be JSON.
    const words = [...(argv as string[]), ...(this.jsonEnabled() ? ['--json'] : [])];
    await new HelpClass(this.config, this.config.pjson.oclif.helpOptions).showHelp(words);
  }
}
