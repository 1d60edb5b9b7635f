import { describe, expect, it, vi } from 'vitest';
import {
  fitWidth,
  gridChunks,
  gridLayout,
  gridTable,
  gridWidth,
  renderGrid,
  textWidth,
} from '../../../src/cli/table.js';
import { wrap } from '../../../src/cli/textwrap.js';
import type { Cell } from '../../../src/cmf/query.js';

// The golden tables below are what the cli-table3 based renderer printed for the same input.
describe('grid table renderer', () => {
  it('multi-line cells make the row tall; numbers right, text left; nan, True/False, empty', async () => {
    const text = gridTable(
      ['id', 'name', 'url', 'count'],
      [
        [3, 'Test-env/Prepare', 'e8a1c7e2-76f3-11ee-9a0f-0242ac110002', 12n],
        [10, '', undefined, true],
        [-2.5, 'a b', 'x', false],
      ],
      14,
    );
    expect(text.split('\n')).toEqual([
      '+------+-------------+----------------+-------+',
      '| id   | name        | url            | count |',
      '+======+=============+================+=======+',
      '|    3 | Test-       | e8a1c7e2-76f3- |    12 |',
      '|      | env/Prepare | 11ee-9a0f-     |       |',
      '|      |             | 0242ac110002   |       |',
      '+------+-------------+----------------+-------+',
      '|   10 |             | nan            | True  |',
      '+------+-------------+----------------+-------+',
      '| -2.5 | a b         | x              | False |',
      '+------+-------------+----------------+-------+',
    ]);
  });

  it('pads by terminal columns: wide characters and emoji take two, combining accents none', () => {
    const text = gridTable(
      ['id', '1'],
      [
        ['custom_properties_note', 'naïve ✓'],
        ['中文', '数据集 データ'],
        ['emoji', '🚀 ok 👍🏽 🇫🇷'],
        ['accent', 'e\u0301te\u0301'],
      ],
      30,
    );
    expect(text.split('\n')).toEqual([
      '+------------------------+---------------+',
      '| id                     | 1             |',
      '+========================+===============+',
      '| custom_properties_note | naïve ✓       |',
      '+------------------------+---------------+',
      '| 中文                   | 数据集 データ |',
      '+------------------------+---------------+',
      '| emoji                  | 🚀 ok 👍🏽 🇫🇷   |',
      '+------------------------+---------------+',
      '| accent                 | e\u0301te\u0301           |',
      '+------------------------+---------------+',
    ]);
  });

  it('an empty table is the header and the = rule', () => {
    expect(gridTable(['id', 'url'], [], 14)).toBe(
      ['+----+-----+', '| id | url |', '+====+=====+'].join('\n'),
    );
  });

  it('control characters in a value are shown as \\xNN: an escape sequence or a bell from shared metadata never reaches the terminal', () => {
    expect(gridTable(['id', 'c'], [[1, '\x1b[31mred\x07\x9b!\x7f']], 30)).toBe(
      [
        '+----+--------------------------+',
        '| id | c                        |',
        '+====+==========================+',
        '|  1 | \\x1b[31mred\\x07\\x9b!\\x7f |',
        '+----+--------------------------+',
      ].join('\n'),
    );
    // Whitespace keeps textwrap's meaning (tabs expanded, a newline a space).
    expect(gridTable(['c'], [['a\tb\nc']], 30)).toContain('| a       b c |');
    // A bidi override would make the rest of the line read backwards.
    expect(gridTable(['c'], [['x\u202eabc']], 30)).toContain('| x\\u202eabc |');
    // No control character of any kind reaches the output: \t\n\v\f\r are textwrap's spaces.
    const all = Array.from({ length: 0xa0 }, (_, c) => String.fromCharCode(c)).join('');
    // eslint-disable-next-line no-control-regex -- looking for control characters
    expect(gridTable(['c'], [[all]], 14).replace(/\n/g, '')).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
    expect(gridTable(['c'], [['a\rb\vc\fd']], 14)).toContain('| a b c d |');
  });

  it('NaN and infinities show as Python prints floats (nan, inf), right-aligned; bools True/False', () => {
    const t = gridTable(['a', 'b', 'c', 'd'], [[NaN, Infinity, -Infinity, true]], 14);
    expect(t).toContain('| nan | inf | -inf | True |');
    expect(gridTable(['loss'], [[NaN], [0.25]], 14)).toContain('|  nan |');
  });

  it('measures text width as terminals show it', () => {
    expect(textWidth('abc')).toBe(3);
    expect(textWidth('')).toBe(0);
    expect(textWidth('中文')).toBe(4);
    expect(textWidth('e\u0301')).toBe(1);
    expect(textWidth('👍🏽')).toBe(2);
    expect(textWidth('👨‍👩‍👧')).toBe(2);
    expect(textWidth('1️⃣')).toBe(2);
    expect(textWidth('\x1b[1;31mx\x1b[0m')).toBe(1);
    expect(textWidth('a\x07b')).toBe(2);
  });

  it('builds the emoji pattern (about 35 ms of V8 work) only for a line beyond Latin-1', async () => {
    // Every RGI emoji, modifier base and regional indicator has a code point beyond U+00FF:
    // no Latin-1 character, nor pair of them, is one.
    const pattern = new RegExp(
      '\\p{RGI_Emoji}|\\p{Emoji_Modifier_Base}|\\p{Regional_Indicator}',
      'v',
    );
    const latin1 = Array.from({ length: 256 }, (_, c) => String.fromCharCode(c));
    expect(latin1.filter((a) => latin1.some((b) => pattern.test(a + b)))).toEqual([]);
    // The module as a listing loads it: the pattern is not built for Latin-1 text.
    const built: string[] = [];
    const Original = globalThis.RegExp;
    globalThis.RegExp = new Proxy(Original, {
      construct(target, args: [string, string?]) {
        built.push(String(args[0]));
        return Reflect.construct(target, args) as RegExp;
      },
    });
    try {
      vi.resetModules();
      const fresh = await import('../../../src/cli/table.js');
      const emojiPatterns = () => built.filter((p) => p.includes('RGI_Emoji')).length;
      expect(fresh.textWidth('Grüße, ünïcødé ×÷ ©®\u00ad')).toBe(21);
      expect(emojiPatterns()).toBe(0);
      expect(fresh.textWidth('👍🏽 and 中文')).toBe(11);
      expect(fresh.textWidth('1️⃣ 🇫🇷')).toBe(5);
      expect(emojiPatterns()).toBe(1);
    } finally {
      globalThis.RegExp = Original;
    }
  });

  it('combining marks, format characters and Hangul medial/final jamo take no columns', () => {
    expect(textWidth('हिन्दी')).toBe(5); // the virama (Mn) takes none; vowel signs i, ii (Mc) one
    expect(textWidth('ที่นี่')).toBe(2); // Thai vowel and tone marks sit on the consonant
    expect(textWidth('مَرْحَبًا')).toBe(5); // Arabic harakat
    expect(textWidth('zero\u200bwidth\u200bspace')).toBe(14);
    expect(textWidth('a\u200db\u2060c\ufeffd')).toBe(4); // joiner, word joiner, BOM
    expect(textWidth('\u1100\u1161\u11a8')).toBe(2); // decomposed 각, as wide as composed
    expect(textWidth('\u1100\ud7b0\ud7cb')).toBe(2); // Jamo Extended-B
    expect(textWidth('a\u20dd')).toBe(1); // enclosing circle (Me)
    expect(textWidth('soft\u00adhyphen')).toBe(11); // a soft hyphen shows as a hyphen
  });

  it('rows with such marks line up', () => {
    const lines = gridTable(
      ['c'],
      [['हिन्दी'], ['ภาษาไทยที่นี่'], ['zero\u200bwidth'], ['NFD-\u1100\u1161\u11a8'], ['x']],
      30,
    )
      .split('\n')
      .filter((l) => l.startsWith('|'));
    const widths = lines.map((l) => textWidth(l));
    expect(new Set(widths).size).toBe(1);
    expect(lines).toContain('| हिन्दी     |');
    expect(lines).toContain('| zero\u200bwidth |');
    expect(lines).toContain('| NFD-\u1100\u1161\u11a8    |');
  });

  it('renders a 1 MB value: one table row of 48,000 lines, each cut as textwrap cuts it', async () => {
    const value = Array.from(
      { length: 16_000 },
      (_, i) => `Pipeline-${i}:/tmp/r/files/md5/6f/a66070f1124db4995d432d532d67f5`,
    ).join(',');
    const lines = gridTable(['id', '7'], [['url', value]], 30).split('\n');
    expect(lines).toHaveLength(3 + 48_000 + 1);
    const rule = '+-----+' + '-'.repeat(32) + '+';
    expect(lines.slice(0, 4)).toEqual([
      rule,
      '| id  | 7' + ' '.repeat(30) + '|',
      rule.replace(/-/g, '='),
      '| url | Pipeline-' + ' '.repeat(22) + '|',
    ]);
    expect(lines[lines.length - 1]).toBe(rule);
    const cell = lines.slice(3, -1);
    expect(cell.every((l) => l.length === rule.length && l.startsWith('|'))).toBe(true);
    expect(cell.slice(1).every((l) => l.startsWith('|     | '))).toBe(true);
    expect(cell.map((l) => l.slice(8, 38).trimEnd())).toEqual(wrap(value, 30));
  });
});

describe('fitting a table to the terminal', () => {
  const rows = [[1, 'x'.repeat(100), 'short']];
  it('is never narrower than the base width; wider where the terminal has room', () => {
    expect(fitWidth(['id', 'a', 'b'], rows, 14, 30)).toBe(14);
    expect(fitWidth(['id', 'a', 'b'], rows, 14, 40)).toBe(23);
    const w = fitWidth(['id', 'a', 'b'], rows, 14, 80);
    // id column 2, 'short' 5, borders 3 * 3 + 1: the rest is the long column's.
    expect(w).toBe(80 - 10 - 2 - 5);
    const t = gridLayout(['id', 'a', 'b'], rows, w);
    expect(renderGrid(t).split('\n')[0]).toHaveLength(80);
    expect(gridWidth(t)).toBe(80);
    expect(fitWidth(['id', 'a', 'b'], rows, 14, 500)).toBe(100);
  });

  it('counts cells kept whole as they are, and control characters as shown (escaped)', () => {
    const uuid = '6c20de50-f268-11f1-9eda-070513231a1a';
    const keep = (_r: number, c: number) => (c === 1 ? uuid : undefined);
    expect(fitWidth(['a', 'b'], [['y'.repeat(100), 'x'.repeat(300)]], 14, 80, keep)).toBe(
      80 - 7 - 36,
    );
    expect(fitWidth(['a'], [['\x1b'.repeat(10)]], 5, 100)).toBe(40);
  });
});

describe('a table written as it is made (stdout not a terminal)', () => {
  const whole = (headers: string[], rows: (Cell | undefined)[][], width: number) =>
    renderGrid(gridLayout(headers, rows, width)) + '\n';
  const made = (headers: string[], rows: (Cell | undefined)[][], width: number) => {
    const chunks = [...gridChunks(headers, rows, (r) => r, width)];
    return { text: chunks.join(''), chunks: chunks.length };
  };

  it('is byte for byte the table rendered whole, in several pieces', () => {
    const rows: (Cell | undefined)[][] = [];
    for (let i = 0; i < 3000; i++) {
      rows.push([
        i,
        `data/run-${i}/part-${i % 7}.csv:${'ab'.repeat(16)}`,
        i % 3 === 0 ? undefined : 'Dataset',
        i % 5 === 0 ? 'データ 😀 e\u0301' : `${2n ** 60n + BigInt(i)}`,
        ...(i % 11 === 0 ? [] : [true, -i / 3]), // a short row: its cells are `nan`
      ]);
    }
    const headers = ['id', 'name', 'type', 'note', 'flag', 'value'];
    const out = made(headers, rows, 14);
    expect(out.chunks).toBeGreaterThan(1);
    expect(out.text).toBe(whole(headers, rows, 14));
    // A row wider than the headers, and one rule-only table with no rows.
    expect(made(['a'], [[1, 'x y z', 2]], 3).text).toBe(whole(['a'], [[1, 'x y z', 2]], 3));
    expect(made(['id', 'name'], [], 14).text).toBe(whole(['id', 'name'], [], 14));
    // `nan` widens only the columns a short row lacks, not the narrow ones before them.
    expect(made(['i', 'x'], [[1, 2], [3]], 14).text).toBe(whole(['i', 'x'], [[1, 2], [3]], 14));
  });
});
