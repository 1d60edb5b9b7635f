/**
 * Rendering of the list commands' records (spec/cmf-reference.md §3.4–§3.5): the 7-column
 * table wrapped at 14 and paged, and the transposed detail view wrapped at 30.
 */
import type { Cell, Row } from '../cmf/query.js';
import { CUSTOM_PREFIX } from '../cmf/query.js';
import { writeOutput, writeOutputPieces } from './output.js';
import { page, shouldPage } from './pager.js';
import type { CellFormat, GridLayout } from './table.js';
import {
  DETAIL_WRAP,
  LIST_WRAP,
  cellText,
  fitWidth,
  gridChunks,
  gridLayout,
  gridWidth,
  renderGrid,
} from './table.js';

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

const UUID = 'Execution_uuid';

/** An execution's uuids (what `-e` takes) one a line, never cut: on a terminal only. */
function uuidLines(v: Cell | undefined): string | undefined {
  if (typeof v !== 'string') return undefined;
  return v
    .split(/(?<=,)/)
    .map((u) => cellText(u, Math.max(1, u.length)))
    .join('\n');
}

/**
 * A table laid out as cmflib's (wrapped at `base`) when stdout is not a terminal, so files
 * and pipes get the same bytes. On a terminal, uuids are never cut (cells that `uuid` says
 * are) and text wraps wider when the terminal has room.
 */
function layout(
  headers: string[],
  rows: (Cell | undefined)[][],
  base: number,
  uuid: (row: number, col: number) => boolean,
): GridLayout {
  if (!process.stdout.isTTY) return gridLayout(headers, rows, base);
  const columns = process.stdout.columns || 80;
  const whole = (r: number, c: number) => (uuid(r, c) ? uuidLines(rows[r]![c]) : undefined);
  const format: CellFormat = (v, r, c, w) => whole(r, c) ?? cellText(v, w);
  let width = fitWidth(headers, rows, base, columns, whole);
  // textwrap counts code points, a terminal columns: wide characters can make the table
  // wider than measured. Narrow it by what is over, a few times at most.
  for (let tries = 0; ; tries++) {
    const table = gridLayout(headers, rows, width, format);
    const over = gridWidth(table) - columns;
    if (over <= 0 || width <= base || tries === 3) return table;
    width = Math.max(base, width - over);
  }
}

/** The list table: pages of `pageSize` rows (at most a screenful) on a terminal, one table otherwise. */
export async function showTable(rows: Row[], columns: string[], opts: ShowOptions): Promise<void> {
  const cells = (r: Row) => columns.map((c) => shown(r, c));
  if (!process.stdout.isTTY) {
    // cmflib's layout whatever the rows, so written as it is made.
    await writeOutputPieces(gridChunks(columns, rows, cells, LIST_WRAP));
    return;
  }
  // Measured over all rows at once (as printing them all would), so columns do not change
  // width from one page to the next.
  const table = layout(columns, rows.map(cells), LIST_WRAP, (_r, c) => columns[c] === UUID);
  if (!shouldPage(opts.noPager)) {
    write(renderGrid(table));
    return;
  }
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
    const table = layout(
      [first?.[0] ?? 'id', String(first?.[1] ?? '')],
      fields.map(([k, v]) => [k, v]),
      DETAIL_WRAP,
      (r, c) => c === 1 && fields[r]?.[0] === UUID,
    );
    return renderGrid(table);
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
