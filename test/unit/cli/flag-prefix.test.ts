import { describe, expect, it } from 'vitest';
import { expandFlagPrefixes, type PrefixFlag } from '../../../src/cli/flag-prefix.js';
import { UsageError } from '../../../src/errors/index.js';

const flags: Record<string, PrefixFlag> = {
  json: { type: 'boolean' },
  pipeline_name: { type: 'option', char: 'p', aliases: ['pipeline-name'] },
  file_name: { type: 'option', char: 'f', aliases: ['file-name'] },
  'page-size': { type: 'option' },
  'no-pager': { type: 'boolean' },
  progress: { type: 'boolean', allowNo: true },
};
const expand = (...argv: string[]) => expandFlagPrefixes(argv, flags);

describe('argparse-style unique prefixes of long flags', () => {
  it('expands a unique prefix, with the value separate or after =', () => {
    expect(expand('--pipe', 'Test-env')).toEqual(['--pipeline_name', 'Test-env']);
    expect(expand('--fi=mlmd', '--js')).toEqual(['--file_name=mlmd', '--json']);
    // Both spellings of one flag are one flag.
    expect(expand('--pipeline-n', 'x')).toEqual(['--pipeline_name', 'x']);
    expect(expand('--no-pr')).toEqual(['--no-progress']);
  });

  it('keeps full names and aliases as typed, and leaves unknown flags to oclif', () => {
    expect(expand('--pipeline-name', 'x', '--json')).toEqual(['--pipeline-name', 'x', '--json']);
    expect(expand('--bogus', '-p', 'x')).toEqual(['--bogus', '-p', 'x']);
  });

  it('never touches values of flags nor anything after --', () => {
    expect(expand('-p', '--x', '--pipeline_name', '-f')).toEqual([
      '-p',
      '--x',
      '--pipeline_name',
      '-f',
    ]);
    expect(expand('--pipe', '-p')).toEqual(['--pipeline_name', '-p']);
    expect(expand('--js', '--', '--pipe')).toEqual(['--json', '--', '--pipe']);
  });

  it('a flag where a value belongs is that flag, so the value is missing (as argparse says)', () => {
    expect(expand('-p', '--fi', 'm')).toEqual(['-p', '--file_name', 'm']);
    expect(expand('--pipe', '--js')).toEqual(['--pipeline_name', '--json']);
    expect(expand('-f', '--pipeline-name=x')).toEqual(['-f', '--pipeline-name=x']);
  });

  it('an ambiguous prefix is a usage error naming the candidates', () => {
    let err: unknown;
    try {
      expand('--p', 'x');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as UsageError).message).toBe(
      'Ambiguous flag --p: it could be --page-size, --pipeline_name, --progress',
    );
  });
});

describe('switches given a value', () => {
  it('are a usage error naming the flag, also when abbreviated or negated', () => {
    for (const [arg, flag] of [
      ['--json=true', 'json'],
      ['--js=false', 'json'],
      ['--no-pager=1', 'no-pager'],
      ['--no-progress=yes', 'no-progress'],
    ] as const) {
      let err: unknown;
      try {
        expand('-p', 'x', arg);
      } catch (e) {
        err = e;
      }
      expect(err, arg).toBeInstanceOf(UsageError);
      expect((err as UsageError).code).toBe('FLAG_TAKES_NO_VALUE');
      expect((err as UsageError).message).toBe(`Flag --${flag} takes no value: ${arg}`);
      expect((err as UsageError).hint).toBe(`Give --${flag} alone to turn it on, or leave it out.`);
    }
  });

  it('a value flag keeps its = value, and an = after -- is no flag', () => {
    expect(expand('--page-size=5', '--', '--json=true')).toEqual([
      '--page-size=5',
      '--',
      '--json=true',
    ]);
  });
});
