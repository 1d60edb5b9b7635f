import { Errors, Help } from '@oclif/core';
import { reportUnknownCommand } from './unknown-command-report.js';

/** The message oclif's Help throws when the subject of `--help` / `help` is no command. */
const NOT_FOUND = /^Command (\S+) not found\.$/;

/**
 * oclif's help, except that help for a command that does not exist (`cmf init minios3
 * --help`, `cmf help nosuch`) is the same usage error as running it: exit 2, "Did you
 * mean …", JSON with --json, instead of oclif's bare "Command init:minios3 not found."
 */
export default class CmfHelp extends Help {
  override async showHelp(argv: string[]): Promise<void> {
    try {
      await super.showHelp(argv);
    } catch (err) {
      const id = err instanceof Error ? NOT_FOUND.exec(err.message)?.[1] : undefined;
      if (id === undefined) throw err;
      throw new Errors.ExitError(reportUnknownCommand(this.config, id, argv));
    }
  }
}
