/**
 * Grid tables as cmflib prints them with tabulate's `grid` style: ASCII borders, `=` under
 * the header, string cells wrapped with Python's textwrap.fill, `nan` for a missing value,
 * numbers right-aligned. cli-table3 is loaded on first use, so commands that print JSON
 * never pay for it.
 */
import type { Cell } from '../cmf/query.js';
import { fill } from './textwrap.js';

/** Width cmflib wraps list cells at, and detail (transposed) cells at. */
export const LIST_WRAP = 14;
export const DETAIL_WRAP = 30;

const GRID = {
  top: '-',
  'top-mid': '+',
  'top-left': '+',
  'top-right': '+',
  bottom: '-',
  'bottom-mid': '+',
  'bottom-left': '+',
  'bottom-right': '+',
  left: '|',
  'left-mid': '+',
  mid: '-',
  'mid-mid': '+',
  right: '|',
  'right-mid': '+',
  middle: '|',
};

type TableCtor = typeof import('cli-table3');
let tableCtor: TableCtor | undefined;

async function loadTable(): Promise<TableCtor> {
  tableCtor ??= (await import('cli-table3')).default;
  return tableCtor;
}

/** The text a cell shows: wrapped strings, plain numbers, `nan` when absent. */
export function cellText(v: Cell | undefined | null, width: number): string {
  if (v === undefined || v === null) return 'nan';
  if (typeof v === 'string') return fill(v, width);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return String(v);
}

const isNumber = (v: unknown) => typeof v === 'number' || typeof v === 'bigint';

/** A grid table of `rows` (cells given per column of `headers`), wrapped at `width`. */
export async function gridTable(
  headers: string[],
  rows: (Cell | undefined)[][],
  width: number,
): Promise<string> {
  const Table = await loadTable();
  const table = new Table({
    head: headers,
    chars: GRID,
    style: { head: [], border: [], 'padding-left': 1, 'padding-right': 1 },
  });
  for (const row of rows) {
    table.push(
      row.map((v) => ({ content: cellText(v, width), hAlign: isNumber(v) ? 'right' : 'left' })),
    );
  }
  const lines = table.toString().split('\n');
  // tabulate's grid marks the end of the header with '='.
  if (lines.length > 2 && lines[2]) lines[2] = lines[2].replace(/-/g, '=');
  return lines.join('\n');
}
