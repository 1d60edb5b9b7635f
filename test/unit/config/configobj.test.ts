import { describe, expect, it } from 'vitest';
import { parseIni, serializeIni } from '../../../src/config/configobj.js';
import { ConfigError, UsageError } from '../../../src/errors/index.js';

describe('configobj INI', () => {
  it('parses DVC config with quoted and unquoted remote sections, lowercasing on request', () => {
    const text = [
      '[core]',
      '    remote = Storage',
      '[\'remote "Storage"\']',
      '    url = s3://bucket/dvcstore',
      '    EndpointURL = http://127.0.0.1:9000',
      '[remote "nas"]',
      '    url = /mnt/nas   # a comment',
      '[cache]',
      '    type = reflink, copy',
      '',
    ].join('\n');
    const doc = parseIni(text, { lowercase: true });
    // Values keep their case; DVC folds only names and keys (and core.remote, in loadDvcConfig).
    expect(doc.get('core')?.get('remote')).toBe('Storage');
    expect(doc.get('remote "storage"')?.get('endpointurl')).toBe('http://127.0.0.1:9000');
    expect(doc.get('remote "nas"')?.get('url')).toBe('/mnt/nas');
    expect(doc.get('cache')?.get('type')).toEqual(['reflink', 'copy']);
  });

  it('keeps quoted values whole, including commas, # and = padding', () => {
    const doc = parseIni('[s]\n a = "x, y # z"\n b = \'say "hi"\'\n c = YWJj==\n');
    expect(doc.get('s')?.get('a')).toBe('x, y # z');
    expect(doc.get('s')?.get('b')).toBe('say "hi"');
    expect(doc.get('s')?.get('c')).toBe('YWJj==');
  });

  it('writes sections and values the way configobj does', () => {
    const doc = new Map([
      ['core', new Map([['remote', 'storage']])],
      [
        'remote "storage"',
        new Map<string, string | string[]>([
          ['url', 's3://b/p'],
          ['note', 'a,b'],
          ['quote', 'say "hi"'],
          ['types', ['reflink', 'copy']],
        ]),
      ],
    ]);
    expect(serializeIni(doc)).toBe(
      [
        '[core]',
        '    remote = storage',
        '[\'remote "storage"\']',
        '    url = s3://b/p',
        '    note = "a,b"',
        '    quote = \'say "hi"\'',
        '    types = reflink, copy',
        '',
      ].join('\n'),
    );
  });

  it('round-trips what it writes', () => {
    const text = '[core]\n    remote = x\n[\'remote "x"\']\n    url = /tmp/a b\n    list = a, b\n';
    expect(serializeIni(parseIni(text))).toBe(text);
  });

  it("never writes a line break, which would start a new key or section in DVC's reading", () => {
    const write = (name: string, key: string, value: string | string[]) => () =>
      serializeIni(new Map([[name, new Map([[key, value]])]]));
    // Python's str.splitlines() (what configobj splits on) ends a line at each of these.
    for (const br of [
      '\n',
      '\r',
      '\r\n',
      '\v',
      '\f',
      '\x1c',
      '\x1d',
      '\x1e',
      '\x85',
      '\u2028',
      '\u2029',
    ]) {
      expect(write('remote "x"', 'url', `/tmp/a${br}[x]${br}evil = 1`)).toThrow(UsageError);
      expect(write('remote "x"', 'url', ['a', `b${br}[x]`])).toThrow(
        /line break in the value of 'url'/,
      );
      expect(write('remote "x"', `url${br}[x]`, 'a')).toThrow(/line break in a key/);
      expect(write(`remote "x"${br}[y]`, 'url', 'a')).toThrow(/line break in a section name/);
    }
    let err: unknown;
    try {
      write('remote "x"', 'url', 'a\nb')();
    } catch (e) {
      err = e;
    }
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as UsageError).code).toBe('CONFIG_LINE_BREAK');
    // A tab is no line break: configobj reads it back inside the value.
    expect(write('s', 'k', 'a\tb')()).toBe('[s]\n    k = a\tb\n');
  });

  it('reports syntax errors with file and line', () => {
    expect(() => parseIni('[core]\nremote\n', { file: '.dvc/config' })).toThrow(ConfigError);
    expect(() => parseIni('[core]\nremote\n', { file: '.dvc/config' })).toThrow(/\.dvc\/config:2/);
    expect(() => parseIni('[[sub]]\n')).toThrow(/Invalid section header at config:1/);
    expect(() => parseIni('[a]\n k = "open\n')).toThrow(/Unterminated/);
  });

  it('a line it cannot parse is bad configuration (exit 4) that the user must fix', () => {
    let err: unknown;
    try {
      parseIni('garbage\n[core]\n', { file: '.dvc/config' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(4);
    expect((err as ConfigError).code).toBe('CONFIG_SYNTAX');
    expect((err as ConfigError).hint).toMatch(/^Fix or remove the line in \.dvc\/config/);
    // cmf init never rewrites DVC's file, so the hint must not send the user there.
    expect((err as ConfigError).hint).not.toMatch(/re-run/);
  });
});
