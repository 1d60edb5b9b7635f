import { describe, expect, it } from 'vitest';
import { visibleCellText, visibleLines, visibleText } from '../../../src/util/visible-text.js';

describe('visibleText', () => {
  it('escapes every control character as Python repr shows it, on one line', () => {
    expect(visibleText('two\nlines, evil\rgood, tab\there')).toBe(
      'two\\nlines, evil\\rgood, tab\\there',
    );
    expect(visibleText('esc\x1b[2Jx\x07\x7f\x9b\v\f')).toBe(
      'esc\\x1b[2Jx\\x07\\x7f\\x9b\\x0b\\x0c',
    );
  });

  it('escapes bidi overrides, isolates and marks, and line separators', () => {
    expect(visibleText('abc\u202Egnp.exe')).toBe('abc\\u202egnp.exe');
    expect(visibleText('\u2066x\u2069\u200f\u2028')).toBe('\\u2066x\\u2069\\u200f\\u2028');
  });

  it('leaves printable text alone (accents, CJK, emoji)', () => {
    expect(visibleText('naïve ✓ 表 🎉 café')).toBe('naïve ✓ 表 🎉 café');
  });

  it('visibleCellText leaves the whitespace textwrap replaces; visibleLines the lines', () => {
    expect(visibleCellText('a\tb\nc\x1b\u202e')).toBe('a\tb\nc\\x1b\\u202e');
    expect(visibleLines('line one "x\ry"\n  indented\tcol')).toBe(
      'line one "x\\ry"\n  indented\tcol',
    );
    // ssh's messages (passed on by git) end their lines in CRLF: those are newlines.
    expect(visibleLines('Host key verification failed.\r\nfatal: no\r\n')).toBe(
      'Host key verification failed.\nfatal: no\n',
    );
  });
});
