import { Errors, Flags } from '@oclif/core';
import { MAX_JOBS, integerInRange } from './flag-values.js';

/**
 * Flags shared by many commands, spelled as Python cmf spells them (`--pipeline_name`,
 * short `-p`) with the hyphenated spelling accepted too.
 */
export const pipelineFlag = (opts: { required?: boolean; summary?: string } = {}) =>
  Flags.string({
    char: 'p',
    aliases: ['pipeline-name'],
    summary: opts.summary ?? 'Name of the pipeline.',
    required: opts.required ?? true,
  });

export const mlmdFileFlag = () =>
  Flags.string({
    char: 'f',
    aliases: ['file-name'],
    summary: 'Path of the MLMD file (default: ./mlmd, else mlmd in the project root).',
  });

export const artifactFlag = () =>
  Flags.string({
    char: 'a',
    aliases: ['artifact-name'],
    summary: 'Show the details of this artifact (its path, file name or full name).',
  });

export const executionUuidFlag = () =>
  Flags.string({
    char: 'e',
    aliases: ['execution-uuid'],
    summary: 'Show the details of the execution with this uuid.',
  });

/**
 * An integer flag that takes only whole numbers from `min` to `max`, written in decimal:
 * oclif's own check lets `99999999999999999999` through (as 1e20) and its message names no
 * range. A refused value is a parse error, so the user sees it as a usage error (exit 2)
 * naming the flag (see describeParseError).
 */
export const integerFlag = Flags.custom<number, { min: number; max: number }>({
  parse: async (input, _ctx, opts) => parseIntegerInRange(input, opts.min, opts.max),
});

export function parseIntegerInRange(input: string, min: number, max: number): number {
  const n = integerInRange(input, min, max);
  if (n === undefined) {
    throw new Errors.CLIError(`expected an integer from ${min} to ${max}, got '${input}'`);
  }
  return n;
}

/** `-j N`: parallel transfers; without it each remote's own default applies. */
export const jobsFlag = (summary = 'Parallel transfers (default: per remote).') =>
  integerFlag({ char: 'j', min: 1, max: MAX_JOBS, summary });

export const jsonFileFlag = () =>
  Flags.string({
    char: 'j',
    aliases: ['json-file-name'],
    summary:
      "File to write ('.json' is appended if missing; '-' for stdout). Default: <pipeline>.json.",
  });

/** `--page-size` and `--no-pager` of the list commands. */
export const pagingFlags = (ignored = false) => ({
  'page-size': integerFlag({
    summary: ignored
      ? 'Taken as the other listings take it; this list is never paged.'
      : 'Rows per page on a terminal (fewer when they do not fit on the screen).',
    default: 20,
    min: 1,
    max: 10_000,
  }),
  'no-pager': Flags.boolean({
    summary: ignored
      ? 'Taken as the other listings take it; this list is never paged.'
      : 'Print every row at once, without waiting for a key.',
    default: false,
  }),
});

/**
 * `--accept-new-host-key` of the commands that reach an SSH remote: a host key seen for the
 * first time is recorded in known_hosts instead of refused (ssh's StrictHostKeyChecking
 * accept-new). A changed key is refused whatever the flag says.
 */
export const acceptNewHostKeyFlag = () =>
  Flags.boolean({
    summary: 'SSH remotes: trust and record a host key seen for the first time.',
    description:
      'Without it an unknown host key is refused. With it the key is added to known_hosts and checked on every later connection; a key that differs from the recorded one is always refused.',
    default: false,
  });
