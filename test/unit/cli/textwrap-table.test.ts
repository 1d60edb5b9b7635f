import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatTime, detailFields } from '../../../src/cli/listing.js';
import { gridTable } from '../../../src/cli/table.js';
import { fill, wrap } from '../../../src/cli/textwrap.js';

describe('textwrap.fill (outputs taken from Python 3.11)', () => {
  const cases: [string, number, string][] = [
    ['Test-env/Prepare', 14, 'Test-\nenv/Prepare'],
    [
      'artifacts/data.xml.gz:236d9502e0283d91f689d7038b8508a2',
      14,
      'artifacts/data\n.xml.gz:236d95\n02e0283d91f689\nd7038b8508a2',
    ],
    ['Mon 30 Oct 2023 07:29:51 GMT', 14, 'Mon 30 Oct\n2023 07:29:51\nGMT'],
    ['e8a1c7e2-76f3-11ee-9a0f-0242ac110002', 14, 'e8a1c7e2-76f3-\n11ee-9a0f-\n0242ac110002'],
    ['hello   world\tand\nmore', 14, 'hello   world\nand more'],
    ['', 14, ''],
    ['  ', 14, ''],
    ['https://github.com/example/project.git', 30, 'https://github.com/example/pro\nject.git'],
    ['.   -.:_b1bb/ -_:_:1-__aa-/_/_:._  _//', 14, '.   -.:_b1bb/ \n-_:_:1-__aa-\n/_/_:._  _//'],
    // A long word cut over several lines, then the words after it.
    ['abcdefghijklmnopqrstuvwxyz0123 x y', 14, 'abcdefghijklmn\nopqrstuvwxyz01\n23 x y'],
    [
      'a'.repeat(40) + '-b c',
      14,
      'a'.repeat(14) + '\n' + 'a'.repeat(14) + '\n' + 'a'.repeat(12) + '-b\nc',
    ],
    ['ab ccccccccccccc-dddddddddddd-eeee', 14, 'ab\nccccccccccccc-\ndddddddddddd-\neeee'],
    ['x ' + 'ab-'.repeat(10), 14, 'x ab-ab-ab-ab-\nab-ab-ab-ab-\nab-ab-'],
    // A lone surrogate counts as one code point, as in Python.
    ['ab\ud800' + 'c'.repeat(20), 14, 'ab\ud800' + 'c'.repeat(11) + '\n' + 'c'.repeat(9)],
    ['x\udc00y \ud800'.repeat(3), 14, 'x\udc00y \ud800x\udc00y \ud800x\udc00y\n\ud800'],
    // The rest of a cut word is blank (no-break spaces): dropped at the start of a line.
    ['a' + '\u00a0'.repeat(20), 14, 'a' + '\u00a0'.repeat(13)],
    // Blank is Python's isspace(): \x1c-\x1f and \x85 are, U+FEFF is not (JS trim() differs).
    ['aa \x1f bb', 3, 'aa\n bb'],
    ['x \x1c\x1d y', 3, 'x\n y'],
    ['aa \ufeff bb', 3, 'aa\n\ufeff\nbb'],
    ['a' + '\x85'.repeat(20), 14, 'a' + '\x85'.repeat(13)],
  ];
  it.each(cases)('fill(%j, %i)', (text, width, expected) => {
    expect(fill(text, width)).toBe(expected);
  });

  it('wraps a 1 MB word into width-long pieces that join back to it', () => {
    const word = 'ab-c'.repeat(250_000);
    const lines = fill(word, 14).split('\n');
    // Breaks fall after a hyphen when one is in reach: 'ab-cab-cab-' (11), then 'cab-cab-cab-'.
    expect(lines[0]).toBe('ab-cab-cab-');
    expect(lines.every((l) => l.length <= 14 && l.length > 0)).toBe(true);
    expect(lines.join('')).toBe(word);
  });

  it('wraps a 1 MB comma-joined url list as Python does (line count and digest from Python 3.11)', () => {
    const value = Array.from(
      { length: 16_000 },
      (_, i) => `Pipeline-${i}:/tmp/r/files/md5/6f/a66070f1124db4995d432d532d67f5`,
    ).join(',');
    expect(value.length).toBe(1_044_889);
    const lines = wrap(value, 30);
    expect(lines).toHaveLength(48_000);
    expect(lines.slice(0, 4)).toEqual([
      'Pipeline-',
      '0:/tmp/r/files/md5/6f/a66070f1',
      '124db4995d432d532d67f5,Pipelin',
      'e-',
    ]);
    expect(lines.slice(-2)).toEqual([
      '15999:/tmp/r/files/md5/6f/a660',
      '70f1124db4995d432d532d67f5',
    ]);
    expect(createHash('sha256').update(lines.join('\n')).digest('hex')).toBe(
      'b0ff804a8392adde96cfa6ec0c7110e23fd0c2cbdbcc3010622dc95d3e246d8b',
    );
  });
});

describe('tables', () => {
  it('renders a tabulate-style grid with nan for missing cells and numbers right-aligned', async () => {
    const text = gridTable(
      ['id', 'url'],
      [
        [7, undefined],
        [12, 'a b'],
      ],
      14,
    );
    expect(text).toBe(
      [
        '+----+-----+',
        '| id | url |',
        '+====+=====+',
        '|  7 | nan |',
        '+----+-----+',
        '| 12 | a b |',
        '+----+-----+',
      ].join('\n'),
    );
  });

  it('formats times as cmflib does, in UTC', () => {
    expect(formatTime(1_698_650_991_000)).toBe('Mon 30 Oct 2023 07:29:51 GMT');
  });

  it('detail fields: leading columns (nan when absent), then the rest by name; absent custom ones dropped', () => {
    const fields = detailFields({ id: 1, zeta: 'z', custom_properties_a: 1, name: 'n' }, [
      'id',
      'name',
      'url',
      'custom_properties_b',
    ]);
    expect(fields.map(([k]) => k)).toEqual(['id', 'name', 'url', 'custom_properties_a', 'zeta']);
  });
});
