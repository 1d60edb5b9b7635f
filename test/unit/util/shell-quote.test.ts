import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { quotedCommand, shellCommand, shellQuote } from '../../../src/util/shell-quote.js';

/** What bash makes of `line`: its words, each ended by a NUL by `printf '%s\0'`. */
function bashWords(line: string, locale: string): string[] {
  const r = spawnSync('bash', ['-c', `printf '%s\\0' ${line}`], {
    encoding: 'utf8',
    env: { ...process.env, LC_ALL: locale },
  });
  return r.stdout.split('\0').slice(0, -1);
}

describe('shell quoting', () => {
  it('leaves plain words alone and single-quotes the rest', () => {
    expect(shellQuote('Test-env')).toBe('Test-env');
    expect(shellQuote('Test-env', { always: true })).toBe("'Test-env'");
    expect(shellQuote('My Pipeline')).toBe("'My Pipeline'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('')).toBe("''");
    expect(shellCommand(['ssh', '-W', '[%h]:%p', 'host'])).toBe("ssh -W '[%h]:%p' host");
  });

  it('writes control and bidi characters visibly, as $-quotes', () => {
    expect(shellQuote('two\nlines')).toBe("$'two\\nlines'");
    expect(shellQuote("esc\x1b[2J'x\\")).toBe("$'esc\\x1b[2J\\'x\\\\'");
    // UTF-8 bytes, which bash reads back in any locale.
    expect(shellQuote('rtl\u202eabc\u0085')).toBe("$'rtl\\xe2\\x80\\xaeabc\\xc2\\x85'");
  });

  it('bash reads every quoted word back as it was, in a UTF-8 locale and in C', () => {
    const words = [
      'My Pipeline',
      "it's",
      'a"b$c`d',
      'two\nlines',
      'esc\x1b[2Jx',
      'rtl\u202eabc',
      'café',
      'c1\u0085',
      'tab\there',
      '*',
    ];
    for (const locale of ['C.UTF-8', 'C']) {
      expect(bashWords(shellCommand(words), locale), locale).toEqual(words);
    }
  });

  it('sets a hint command off in single quotes, or double ones when it holds single quotes', () => {
    expect(quotedCommand(['cmf', 'pipeline', 'list'])).toBe("'cmf pipeline list'");
    expect(quotedCommand(['cmf', 'execution', 'list', '-p', 'My Pipeline'])).toBe(
      `"cmf execution list -p 'My Pipeline'"`,
    );
  });
});
