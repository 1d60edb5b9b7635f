/**
 * The parquet tables cmflib writes with pandas: step metrics (index `SequenceNumber`, one
 * column per metric key) and dataslices (index `Path`, column `hash`, one column per custom
 * key). The index is written as an ordinary first column; pandas metadata is not written, so
 * `pd.read_parquet` shows it as a column rather than as the index.
 * Output is deterministic (no timestamps), so identical tables hash to the same object.
 * hyparquet and hyparquet-writer load on first use (about 35 ms): only commitMetrics and
 * dataslices need them, not the library's import.
 */
import { readFile } from 'node:fs/promises';
import type { ColumnSource } from 'hyparquet-writer';
import { writeFileAtomic } from '../fs/atomic.js';
import type { PropertyValue } from '../mlmd/index.js';
import { getOwn, setOwn } from '../util/own-keys.js';

/** One row: column name → typed value (missing columns are nulls). */
export type Row = Record<string, PropertyValue>;

export interface Table {
  /** The index column's name and values. */
  index: { name: string; values: (string | number)[] };
  rows: Row[];
}

function column(name: string, rows: Row[]): ColumnSource {
  const values = rows.map((r) => getOwn(r, name));
  const kinds = new Set(values.filter((v) => v !== undefined).map((v) => v!.type));
  if (kinds.size === 1 && kinds.has('int') && values.every((v) => v !== undefined)) {
    return { name, type: 'INT64', data: values.map((v) => BigInt(v!.value as number | bigint)) };
  }
  if ([...kinds].every((k) => k === 'int' || k === 'double')) {
    return {
      name,
      type: 'DOUBLE',
      data: values.map((v) => (v === undefined ? null : Number(v.value))),
    };
  }
  // Mixed or string values: text, as pandas' object columns end up.
  return {
    name,
    type: 'STRING',
    data: values.map((v) => (v === undefined ? null : String(v.value))),
  };
}

export async function tableBytes(table: Table): Promise<Uint8Array> {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  const names: string[] = [];
  for (const r of table.rows) for (const k of Object.keys(r)) if (!names.includes(k)) names.push(k);
  const idx = table.index.values;
  const indexColumn: ColumnSource =
    typeof idx[0] === 'number'
      ? { name: table.index.name, type: 'INT64', data: idx.map((v) => BigInt(v)), nullable: false }
      : { name: table.index.name, type: 'STRING', data: idx.map(String), nullable: false };
  const buf = parquetWriteBuffer({
    columnData: [indexColumn, ...names.map((n) => column(n, table.rows))],
    createdBy: 'cmf (TypeScript)',
  });
  return new Uint8Array(buf);
}

export async function writeTable(path: string, table: Table): Promise<void> {
  await writeFileAtomic(path, await tableBytes(table));
}

/** All rows of a parquet file as plain objects (ints as bigint or number). */
export async function readTable(path: string): Promise<Record<string, unknown>[]> {
  const { parquetMetadata, parquetRead, parquetSchema } = await import('hyparquet');
  const bytes = await readFile(path);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  // Rows as arrays, made objects here: hyparquet's row objects assign each column, which
  // loses a column named __proto__.
  const columns = parquetSchema(parquetMetadata(file)).children.map((c) => c.element.name);
  const rows = await new Promise<unknown[][]>((resolve, reject) => {
    parquetRead({ file, columns, rowFormat: 'array', onComplete: resolve }).catch(reject);
  });
  return rows.map((values) => {
    const row: Record<string, unknown> = {};
    columns.forEach((name, i) => setOwn(row, name, values[i]));
    return row;
  });
}
