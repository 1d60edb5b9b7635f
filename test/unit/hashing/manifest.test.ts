import { describe, expect, it } from 'vitest';
import { IntegrityError } from '../../../src/errors/index.js';
import {
  assertSafeRelpath,
  manifestHash,
  parseManifest,
  serializeManifest,
  sortManifestEntries,
} from '../../../src/hashing/manifest.js';

const EMPTY = 'd41d8cd98f00b204e9800998ecf8427e';

describe('serializeManifest', () => {
  it('writes the A1.3 worked example byte for byte', () => {
    const bytes = serializeManifest([
      { relpath: 'sub/b.txt', md5: '3b5d5c3712955042212316173ccf37be' },
      { relpath: 'a.txt', md5: '60b725f10c9c85c70d97880dfe8191b3' },
    ]);
    expect(bytes.toString('latin1')).toBe(
      '[{"md5": "60b725f10c9c85c70d97880dfe8191b3", "relpath": "a.txt"}, ' +
        '{"md5": "3b5d5c3712955042212316173ccf37be", "relpath": "sub/b.txt"}]',
    );
    expect(manifestHash(bytes)).toBe('849835d274483dc683eb416d6e4f887d.dir');
  });

  it('escapes like Python json.dumps(ensure_ascii) and sorts by code point', () => {
    const names = [
      'caf\u00e9.txt',
      '\u{1F600}.txt',
      '\uFF21.txt',
      'q"b\\c.txt',
      'ctl\n\r\t\b\f\x01\x1f\x7f.txt',
      'z.txt',
      'sub/x',
    ];
    const bytes = serializeManifest(names.map((relpath) => ({ relpath, md5: EMPTY })));
    // Produced by Python: json.dumps(sorted(entries, key=relpath), sort_keys=True)
    const e = (r: string): string => `{"md5": "${EMPTY}", "relpath": "${r}"}`;
    const expected = `[${[
      e('caf\\u00e9.txt'),
      e('ctl\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f.txt'),
      e('q\\"b\\\\c.txt'),
      e('sub/x'),
      e('z.txt'),
      e('\\uff21.txt'),
      e('\\ud83d\\ude00.txt'),
    ].join(', ')}]`;
    expect(bytes.toString('latin1')).toBe(expected);
    expect(manifestHash(bytes)).toBe('458cda96c55f59ec687d17cf822b4821.dir');
  });

  it('writes the empty manifest as []', () => {
    expect(serializeManifest([]).toString()).toBe('[]');
  });
});

describe('sortManifestEntries', () => {
  it('orders astral characters after U+E000..U+FFFF (code points, not UTF-16)', () => {
    const entries = [
      { relpath: '\u{1F600}', md5: EMPTY },
      { relpath: '\uFF21', md5: EMPTY },
      { relpath: 'a/b', md5: EMPTY },
      { relpath: 'a-c', md5: EMPTY },
    ];
    expect(['\u{1F600}', '\uFF21'].sort()).toEqual(['\u{1F600}', '\uFF21']); // the JS trap
    expect(sortManifestEntries(entries).map((x) => x.relpath)).toEqual([
      'a-c',
      'a/b',
      '\uFF21',
      '\u{1F600}',
    ]);
  });
});

describe('parseManifest', () => {
  it('reads what serializeManifest writes, ignoring extra keys', () => {
    const entries = [
      { md5: EMPTY, relpath: 'caf\u00e9/\u{1F600}.txt' },
      { md5: '60b725f10c9c85c70d97880dfe8191b3', relpath: 'a.txt' },
    ];
    expect(parseManifest(serializeManifest(entries))).toEqual(sortManifestEntries(entries));
    const extra = Buffer.from(`[{"md5": "${EMPTY}", "relpath": "x", "size": 3, "isexec": true}]`);
    expect(parseManifest(extra)).toEqual([{ md5: EMPTY, relpath: 'x' }]);
  });

  it.each([
    ['not JSON', '[{"md5": '],
    ['a JS expression, never evaluated', '[{md5: "x", relpath: "y"}]'],
    ['an object', `{"md5": "${EMPTY}", "relpath": "a"}`],
    ['a list of strings', '["a"]'],
    ['a null entry', '[null]'],
    ['a nested list', '[[]]'],
    ['no md5', '[{"relpath": "a"}]'],
    ['a numeric md5', '[{"md5": 5, "relpath": "a"}]'],
    ['a non-hex md5', '[{"md5": "../../../../etc/passwd00000000000", "relpath": "a"}]'],
    ['no relpath', `[{"md5": "${EMPTY}"}]`],
    ['a numeric relpath', `[{"md5": "${EMPTY}", "relpath": 1}]`],
  ])('rejects %s', (_why, text) => {
    expect(() => parseManifest(Buffer.from(text))).toThrow(IntegrityError);
  });

  it('rejects invalid UTF-8', () => {
    const bad = Buffer.concat([
      Buffer.from('[{"md5": "'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}]'),
    ]);
    expect(() => parseManifest(bad)).toThrow(IntegrityError);
  });
});

describe('assertSafeRelpath', () => {
  it.each(['a.txt', 'sub/dir/b.bin', 'caf\u00e9/\u{1F600}', '..hidden', 'a..b/c', '.env'])(
    'accepts %j',
    (p) => expect(() => assertSafeRelpath(p)).not.toThrow(),
  );

  it.each([
    '',
    '/etc/passwd',
    '..',
    '../x',
    'a/../../b',
    'a/..',
    './a',
    'a/./b',
    'a//b',
    'a/',
    'a\0b',
  ])('rejects %j', (p) => {
    expect(() => assertSafeRelpath(p)).toThrow(IntegrityError);
  });

  // Plain file name characters on POSIX (DVC adds and checks them out there); on Windows
  // they would leave the directory.
  it.each(['a\\..\\b', 'back\\slash.txt', 'C:/x', 'c:notes.txt'])(
    'accepts %j on Linux, rejects it on Windows',
    (p) => {
      expect(() => assertSafeRelpath(p, 'linux')).not.toThrow();
      expect(() => assertSafeRelpath(p, 'win32')).toThrow(IntegrityError);
    },
  );
});
