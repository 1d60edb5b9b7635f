import { Command, Errors, type Interfaces } from '@oclif/core';
import { CmfError, UsageError, toCmfError } from '../errors/index.js';
import { commandFailure, lineOf, writeJsonResult } from './command-frame.js';
import { expandFlagPrefixes, type PrefixFlag } from './flag-prefix.js';
import { handOverSignals, stopCleanlyOnSignals, type OwnStopSignal } from './interrupt.js';
import { describeParseError, type FlagShape } from './parse-errors.js';
import { writeOutput } from './output.js';
import { renderError } from './render-error.js';

/**
 * Base of every cmf command: `--json` on every command, one error boundary that maps
 * typed errors to exit codes and prints message + hint on stderr (JSON on stderr with
 * --json), and data on stdout. SIGINT, SIGTERM and SIGHUP remove the temp files in flight
 * and say so before the process exits (see stopCleanlyOnSignals).
 */
export abstract class CmfCommand<T> extends Command {
  static override enableJsonFlag = true;

  abstract override run(): Promise<T>;

  private releaseSignals?: () => void;

  /** The flags as parsed, once parsing succeeded: an error is explained with what was given. */
  private parsedFlags?: Record<string, unknown>;

  /** `cmf artifact pull`: oclif keeps ids as 'artifact:pull'; users type a space. */
  protected commandLine(): string {
    return [this.config.bin, ...(this.id?.split(':') ?? [])].join(' ');
  }

  protected override async init(): Promise<void> {
    await super.init();
    this.releaseSignals = stopCleanlyOnSignals(this.commandLine(), () => this.jsonEnabled());
  }

  /**
   * For a command that handles the stop signals itself (`cmf server start`): `handler` gets
   * SIGINT and SIGTERM from now on, with no moment in between when a signal could be lost
   * (see handOverSignals); SIGHUP keeps its default action. Until then they stop the command
   * as any other.
   */
  protected handleSignalsItself(handler: (signal: OwnStopSignal) => void): void {
    const release = this.releaseSignals;
    this.releaseSignals = handOverSignals(release, handler);
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    this.releaseSignals?.();
    this.releaseSignals = undefined;
    return super.finally(err);
  }

  /** Long flags may be abbreviated to a unique prefix, as argparse (and so Python cmf) allows. */
  protected override async parse<
    F extends Record<string, unknown>,
    B extends Record<string, unknown>,
    A extends Record<string, unknown>,
  >(
    options?: Interfaces.Input<F, B, A>,
    argv = this.argv,
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const input = options ?? (this.ctor as unknown as Interfaces.Input<F, B, A>);
    const parsed = await super.parse(options, expandFlagPrefixes(argv, allFlags(input)));
    this.parsedFlags = parsed.flags;
    return parsed;
  }

  /** A line on stdout (not with --json), written in full or failing as a cmf error. */
  override log(message = '', ...args: unknown[]): void {
    if (this.jsonEnabled()) return;
    writeOutput(lineOf(message, args));
  }

  /** A line on stderr (not with --json), escaped as {@link log}'s lines are. */
  override logToStderr(message = '', ...args: unknown[]): void {
    if (this.jsonEnabled()) return;
    process.stderr.write(lineOf(message, args));
  }

  /**
   * JSON on stdout (see writeJsonResult). oclif writes the result after run() and outside its
   * error handling, so a failed write is reported here.
   */
  protected override logJson(json: unknown): void {
    try {
      writeJsonResult(json);
    } catch (err) {
      this.fail(toCmfError(err));
    }
  }

  /** Reports `err` on stderr (JSON with --json) and ends the command with its exit code. */
  private fail(err: CmfError): never {
    process.stderr.write(renderError(err, this.jsonEnabled()));
    return this.exit(err.exitCode);
  }

  protected override async catch(err: Error & { oclif?: { exit?: number } }): Promise<unknown> {
    // oclif's own exits (help, --version) and parse errors keep their meaning.
    if (err instanceof Errors.ExitError) throw err;
    const parseExit = err.oclif?.exit;
    let cmfError: CmfError;
    if (err instanceof CmfError || parseExit === undefined) {
      const fileFlag = this.parsedFlags !== undefined && 'file_name' in (this.ctor.flags ?? {});
      cmfError = commandFailure(err, fileFlag && this.parsedFlags?.file_name === undefined);
    } else {
      const help = `See '${this.commandLine()} --help'.`;
      const flags = allFlags(this.ctor as unknown as Interfaces.Input<object, object, object>);
      const { message, hint } = describeParseError(err.message, flags, help);
      cmfError = new UsageError('USAGE', message, { hint });
    }
    return this.fail(cmfError);
  }
}

/** Every flag a command takes: its own, the base flags and --json. */
function allFlags(input: {
  enableJsonFlag?: boolean;
  baseFlags?: object;
  flags?: object;
}): Record<string, PrefixFlag & FlagShape> {
  return {
    ...(input.enableJsonFlag ? { json: { type: 'boolean' } } : {}),
    ...input.baseFlags,
    ...input.flags,
  } as Record<string, PrefixFlag & FlagShape>;
}
