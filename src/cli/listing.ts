/**
 * Rendering of the list commands' records (spec/cmf-reference.md §3.4–§3.5): the 7-column
 * table wrapped at 14 and paged, and the transposed detail view wrapped at 30.
 */
import type { Cell, Row } from '../cmf/query.js';
import { CUSTOM_PREFIX } from '../cmf/query.js';
import { writeOutput } from './output.js';
import { page, shouldPage } from './pager.js';
import { DETAIL_WRAP, LIST_WRAP, gridLayout, gridTable, renderGrid } from './table.js';

export const ARTIFACT_COLUMNS = [
  'id',
  'name',
  'type',
  'create_time_since_epoch',
  'url',
  'Commit',
  'uri',
];
export const ARTIFACT_DETAIL_COLUMNS = [...ARTIFACT_COLUMNS, 'last_update_time_since_epoch'];
export const EXECUTION_COLUMNS = [
  'id',
  'Context_Type',
  'Execution',
  'Execution_uuid',
  'name',
  'Pipeline_Type',
  'Git_Repo',
];

const TIME_COLUMNS = new Set(['create_time_since_epoch', 'last_update_time_since_epoch']);
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** Milliseconds since the epoch as cmflib shows them: `Thu 30 Oct 2023 07:29:51 GMT` (UTC). */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return String(ms);
  return (
    `${DAYS[d.getUTCDay()]} ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} GMT`
  );
}

function shown(row: Row, column: string): Cell | undefined {
  const v = row[column];
  if (TIME_COLUMNS.has(column) && typeof v === 'number') return formatTime(v);
  return v;
}

export interface ShowOptions {
  pageSize: number;
  noPager: boolean;
}

function write(text: string): void {
  writeOutput(text + '\n');
}

/** The list table: pages of `pageSize` rows (at most a screenful) on a terminal, one table otherwise. */
export async function showTable(rows: Row[], columns: string[], opts: ShowOptions): Promise<void> {
  const cells = (r: Row) => columns.map((c) => shown(r, c));
  if (!shouldPage(opts.noPager)) {
    write(gridTable(columns, rows.map(cells), LIST_WRAP));
    return;
  }
  // Measured over all rows at once (as printing them all would), so columns do not change
  // width from one page to the next.
  const table = gridLayout(columns, rows.map(cells), LIST_WRAP);
  await page(
    (function* () {
      for (let i = 0; i < rows.length; i += opts.pageSize) {
        yield renderGrid(table, i, i + opts.pageSize);
      }
    })(),
  );
}

/**
 * The fields of one record in detail order: `leading` first (`nan` when absent), then the
 * record's other fields alphabetically. Custom properties the record lacks are not shown
 * (cmflib drops a custom column when any record of the pipeline lacks it, §11.12).
 */
export function detailFields(row: Row, leading: string[]): [string, Cell | undefined][] {
  const rest = Object.keys(row)
    .filter((k) => !leading.includes(k))
    .sort();
  return [...leading, ...rest]
    .filter((k) => k in row || !k.startsWith(CUSTOM_PREFIX))
    .map((k) => [k, shown(row, k)]);
}

/** One transposed table per record (header: `id` and its id), each its own page. */
export async function showDetails(
  rows: Row[],
  leading: string[],
  opts: ShowOptions,
): Promise<void> {
  const render = (row: Row) => {
    const [first, ...fields] = detailFields(row, leading);
    return gridTable(
      [first?.[0] ?? 'id', String(first?.[1] ?? '')],
      fields.map(([k, v]) => [k, v]),
      DETAIL_WRAP,
    );
  };
  if (!shouldPage(opts.noPager)) {
    for (const row of rows) write(render(row) + '\n');
    return;
  }
  await page(
    (async function* () {
      for (const row of rows) yield render(row);
    })(),
  );
}
