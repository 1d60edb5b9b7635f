import { describe, expect, it } from 'vitest';
import { formatTime, detailFields } from '../../../src/cli/listing.js';
import { gridTable } from '../../../src/cli/table.js';
import { fill } from '../../../src/cli/textwrap.js';

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
  ];
  it.each(cases)('fill(%j, %i)', (text, width, expected) => {
    expect(fill(text, width)).toBe(expected);
  });
});

describe('tables', () => {
  it('renders a tabulate-style grid with nan for missing cells and numbers right-aligned', async () => {
    const text = await gridTable(
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
