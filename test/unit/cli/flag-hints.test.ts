import { describe, expect, it } from 'vitest';
import { flagValueHint } from '../../../src/cli/flag-hints.js';
import { requireNonEmpty, requireValue } from '../../../src/cli/open-mlmd.js';
import { describeParseError } from '../../../src/cli/parse-errors.js';
import { UsageError } from '../../../src/errors/index.js';

function hintOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as UsageError).hint;
  }
  throw new Error('did not throw');
}

describe('per-flag hints for missing values', () => {
  it('a required flag is never told it may be left out', () => {
    const hint = hintOf(() => requireValue('', '-p/--pipeline_name'));
    expect(hint).toMatch(/^Give the pipeline's name/);
    expect(hint).not.toMatch(/leave/);
    expect(hintOf(() => requireValue(undefined, '-p/--pipeline_name'))).toBe(hint);
  });

  it('each optional flag says what leaving it out does', () => {
    expect(hintOf(() => requireNonEmpty(' ', '-e/--execution_uuid'))).toMatch(
      /execution list.*leave -e out to take every execution/,
    );
    expect(hintOf(() => requireNonEmpty('', '-f/--file_name'))).toMatch(
      /leave -f out to use \.\/mlmd/,
    );
    expect(hintOf(() => requireNonEmpty('', '-a/--artifact_name'))).toMatch(/leave -a out/);
    expect(hintOf(() => requireNonEmpty('', '-p/--pipeline_name'))).toMatch(/leave -p out/);
    expect(() => requireNonEmpty('x', '-e/--execution_uuid')).not.toThrow();
  });

  it('a flag without its own hint gets a plain one', () => {
    expect(flagValueHint('--other', true)).toBe('Give --other a value.');
    expect(flagValueHint('--other', false)).toBe('Give --other a value, or leave it out.');
  });
});

describe('oclif parse errors in our words', () => {
  const flags = { pipeline_name: { char: 'p' }, 'git-remote-url': {} };
  const help = "See 'cmf artifact list --help'.";

  it('a missing required flag is named as typed, with its own hint', () => {
    const r = describeParseError(
      'The following error occurred:\n  \u001b[2mMissing required flag pipeline_name\u001b[22m\nSee more help with --help',
      flags,
      help,
    );
    expect(r.message).toBe('Missing required flag -p/--pipeline_name');
    expect(r.hint).toMatch(/^Give the pipeline's name/);
    expect(describeParseError('Missing required flag git-remote-url', flags, help).message).toBe(
      'Missing required flag --git-remote-url',
    );
  });

  it('an unknown flag near one of the command gets a "Did you mean"', () => {
    const all = {
      ...flags,
      'page-size': {},
      json: {},
      file_name: { char: 'f', aliases: ['file-name'] },
      secret: { hidden: true },
    };
    const one = describeParseError(
      'Nonexistent flag: --pagesize\nSee more help with --help',
      all,
      help,
    );
    expect(one).toEqual({
      message: 'Nonexistent flag: --pagesize',
      hint: `Did you mean --page-size? ${help}`,
    });
    // One dash for a long flag; an alias counts as its flag; hidden flags are never offered.
    expect(describeParseError('Nonexistent flag: -json', all, help).hint).toBe(
      `Did you mean --json? ${help}`,
    );
    expect(describeParseError('Nonexistent flag: --filename', all, help).hint).toBe(
      `Did you mean --file_name? ${help}`,
    );
    expect(describeParseError('Nonexistent flag: --secrte', all, help).hint).toBe(help);
    const two = describeParseError('Nonexistent flags: --pagesiz, --jsn, --zzz', all, help);
    expect(two.hint).toBe(
      `--pagesiz: did you mean --page-size? --jsn: did you mean --json? ${help}`,
    );
  });

  it('a typo of an abbreviated flag names the one flag it abbreviates', () => {
    const all = {
      pipeline_name: { char: 'p', aliases: ['pipeline-name'] },
      artifact_name: { char: 'a' },
      artifact_dir: {},
      secret_pipe: { hidden: true },
    };
    expect(describeParseError('Nonexistent flag: --pipline', all, help).hint).toBe(
      `Did you mean --pipeline_name? ${help}`,
    );
    expect(describeParseError('Nonexistent flag: --pipline-nam=x', all, help).hint).toBe(
      `Did you mean --pipeline_name? ${help}`,
    );
    // Two flags start alike: no guess, as argparse calls such a prefix ambiguous.
    expect(describeParseError('Nonexistent flag: --artifcat', all, help).hint).toBe(help);
  });

  it("a value a flag's parser refused names the flag as typed", () => {
    const r = describeParseError(
      "Parsing --jobs \n\texpected an integer from 1 to 256, got '1e3'\nSee more help with --help",
      { jobs: { char: 'j' } },
      help,
    );
    expect(r).toEqual({
      message: "Invalid value for -j/--jobs: expected an integer from 1 to 256, got '1e3'",
      hint: help,
    });
  });

  it('other parse errors keep their text and point to --help', () => {
    const r = describeParseError(
      'Nonexistent flag: --nosuch\nSee more help with --help',
      flags,
      help,
    );
    expect(r).toEqual({ message: 'Nonexistent flag: --nosuch', hint: help });
    const two = describeParseError(
      'The following errors occurred:\n  Missing required flag pipeline_name\n  Missing required flag git-remote-url',
      flags,
      help,
    );
    expect(two.message).toBe(
      'Missing required flag -p/--pipeline_name; Missing required flag --git-remote-url',
    );
    expect(two.hint).toBe(help);
  });
});
