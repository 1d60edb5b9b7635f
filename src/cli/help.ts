import { Errors, Help } from '@oclif/core';
import { UsageError } from '../errors/index.js';
import { wantsJson } from './json-flag.js';
import { renderError } from './render-error.js';
import { reportUnknownCommand } from './unknown-command-report.js';

/** The message oclif's Help throws when the subject of `--help` / `help` is no command. */
const NOT_FOUND = /^Command (\S+) not found\.$/;

/**
 * oclif's help, except that help for a command that does not exist (`cmf init minios3
 * --help`, `cmf help nosuch`) is the same usage error as running it: exit 2, "Did you
 * mean …", JSON with --json, instead of oclif's bare "Command init:minios3 not found."
 * Help is text only: asked for with --json, it is a usage error (JSON on stderr), so that a
 * script expecting JSON never parses help text.
 */
export default class CmfHelp extends Help {
  private quiet = false;

  override async showHelp(argv: string[]): Promise<void> {
    const json = wantsJson(argv);
    // With --json the subject is still looked up (quietly): an unknown one is that error.
    this.quiet = json;
    try {
      await super.showHelp(argv);
    } catch (err) {
      const id = err instanceof Error ? NOT_FOUND.exec(err.message)?.[1] : undefined;
      if (id === undefined) throw err;
      throw new Errors.ExitError(reportUnknownCommand(this.config, id, argv));
    } finally {
      this.quiet = false;
    }
    if (json) {
      const err = new UsageError('HELP_NOT_JSON', 'Help has no JSON form', {
        hint: 'Leave out --json to read the help; with a command, --json formats its output.',
      });
      process.stderr.write(renderError(err, true));
      throw new Errors.ExitError(err.exitCode);
    }
  }

  protected override log(...args: string[]): void {
    if (!this.quiet) super.log(...args);
  }
}
