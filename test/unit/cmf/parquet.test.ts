import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTable, tableBytes, writeTable } from '../../../src/cmf/parquet.js';
import { doubleValue, intValue, stringValue } from '../../../src/mlmd/index.js';
import { tempDir } from '../../helpers/tmp.js';

describe('parquet tables', () => {
  it('writes the index column first and one typed column per key, nulls for gaps', async () => {
    const dir = await tempDir();
    const path = join(dir, 'm');
    await writeTable(path, {
      index: { name: 'SequenceNumber', values: [1, 2] },
      rows: [
        { loss: doubleValue(0.5), step: intValue(1) },
        { loss: doubleValue(0.25), step: intValue(2), note: stringValue('x') },
      ],
    });
    const rows = await readTable(path);
    expect(rows.map((r) => Object.keys(r))).toEqual([
      ['SequenceNumber', 'loss', 'step', 'note'],
      ['SequenceNumber', 'loss', 'step', 'note'],
    ]);
    expect(rows.map((r) => [Number(r.SequenceNumber), r.loss, Number(r.step), r.note])).toEqual([
      [1, 0.5, 1, null],
      [2, 0.25, 2, 'x'],
    ]);
  });

  it('is deterministic, so identical tables are one cache object', async () => {
    const t = { index: { name: 'Path', values: ['a'] }, rows: [{ hash: stringValue('h') }] };
    expect(Buffer.from(await tableBytes(t)).equals(Buffer.from(await tableBytes(t)))).toBe(true);
  });
});
