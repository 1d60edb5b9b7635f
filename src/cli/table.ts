/**
 * Grid tables as cmflib prints them with tabulate's `grid` style: ASCII borders, `=` under
 * the header, string cells wrapped with Python's textwrap.fill, `nan` for a missing value,
 * numbers right-aligned, a multi-line cell making its whole row that tall.
 *
 * Rendered here in time linear in the output (each cell line is measured once); the table
 * library used before took minutes on one cell of a few thousand characters. Column widths
 * count terminal columns as a terminal shows them (wcwidth): ANSI colour codes take none, nor
 * do control characters, combining marks (Devanagari, Thai and Arabic vowel signs, accents),
 * format characters such as a zero-width space, or the medial and final jamo of decomposed
 * Hangul; East Asian wide characters and emoji take two. Nothing is coloured.
 */
import type { Cell } from '../cmf/query.js';
import { visibleCellText } from '../util/visible-text.js';
import { fill } from './textwrap.js';

/** Width cmflib wraps list cells at, and detail (transposed) cells at. */
export const LIST_WRAP = 14;
export const DETAIL_WRAP = 30;

/** The text a cell shows: wrapped strings, plain numbers, `nan` when absent (or NaN). */
export function cellText(v: Cell | undefined | null, width: number): string {
  if (v === undefined || v === null) return 'nan';
  if (typeof v === 'string') return fill(visibleCellText(v), width);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  // A diverged metric: as Python prints a float (pandas and tabulate show it so).
  if (typeof v === 'number' && !Number.isFinite(v))
    return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  return String(v);
}

const isNumber = (v: unknown) => typeof v === 'number' || typeof v === 'bigint';

// SGR colour codes, then any ANSI escape sequence (ansi-regex 5), take no columns.
// eslint-disable-next-line no-control-regex -- matching escape sequences is the point
const SGR = new RegExp('\\u001b\\[(?:\\d*;){0,5}\\d*m', 'g');
const ANSI = new RegExp(
  '[\\u001B\\u009B][[\\]()#;?]*(?:(?:(?:(?:;[-a-zA-Z\\d\\/#&.:=?%@~_]+)*' +
    '|[a-zA-Z\\d]+(?:;[-a-zA-Z\\d\\/#&.:=?%@~_]*)*)?\\u0007)' +
    '|(?:(?:\\d{1,4}(?:;\\d{0,4})*)?[\\dA-PR-TZcf-ntqry=><~]))',
  'g',
);
// An emoji (a sequence: flags, keycaps, skin tones, ZWJ families) takes two columns. V8
// takes about 35 ms to build this pattern (its sets of strings are large), a sixth of a
// listing's run: it is built the first time a line may hold an emoji, which a line of Latin-1
// text (code points up to U+00FF, as every emoji has one beyond) never does.
let emoji: RegExp | undefined;
const BEYOND_LATIN1 = /[\u0100-\uffff]/; // surrogates included
const noEmoji = (s: string): string =>
  BEYOND_LATIN1.test(s)
    ? s.replace(
        (emoji ??= new RegExp(
          '\\p{RGI_Emoji}|\\p{Emoji_Modifier_Base}|\\p{Regional_Indicator}',
          'gv',
        )),
        '  ',
      )
    : s;
const PLAIN = /^[\x20-\x7e]*$/;
// Zero-width: nonspacing and enclosing marks, format characters (a soft hyphen shows as one
// column, as wcwidth has it), and Hangul medial and final jamo, which join the syllable a
// leading jamo starts.
const ZERO_WIDTH = new RegExp(
  '[[\\p{Mn}\\p{Me}\\p{Cf}\\u1160-\\u11ff\\ud7b0-\\ud7ff]--[\\u00ad]]',
  'gv',
);

/** East Asian wide and fullwidth code points (is-fullwidth-code-point 3). */
function isWide(c: number): boolean {
  return (
    c >= 0x1100 &&
    (c <= 0x115f ||
      c === 0x2329 ||
      c === 0x232a ||
      (c >= 0x2e80 && c <= 0x3247 && c !== 0x303f) ||
      (c >= 0x3250 && c <= 0x4dbf) ||
      (c >= 0x4e00 && c <= 0xa4c6) ||
      (c >= 0xa960 && c <= 0xa97c) ||
      (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) ||
      (c >= 0xfe10 && c <= 0xfe19) ||
      (c >= 0xfe30 && c <= 0xfe6b) ||
      (c >= 0xff01 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) ||
      (c >= 0x1b000 && c <= 0x1b001) ||
      (c >= 0x1f200 && c <= 0x1f251) ||
      (c >= 0x20000 && c <= 0x3fffd))
  );
}

/** The terminal columns one line of text takes. */
export function textWidth(line: string): number {
  if (PLAIN.test(line)) return line.length;
  const s = noEmoji(line.replace(SGR, '').replace(ANSI, '')).replace(ZERO_WIDTH, '');
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) continue; // control characters
    w += isWide(c) ? 2 : 1;
  }
  return w;
}

/** One table cell: its lines, their widths, and which side it is padded on. */
export interface Block {
  lines: string[];
  widths: number[];
  right: boolean;
}

function block(text: string, right: boolean): Block {
  const lines = text.split('\n');
  return { lines, widths: lines.map(textWidth), right };
}

function columnCount(headers: string[], rows: (Cell | undefined)[][]): number {
  let ncols = headers.length;
  for (const row of rows) ncols = Math.max(ncols, row.length);
  return ncols;
}

/** A table measured once: its cells and the width of each column over all its rows. */
export interface GridLayout {
  head: Block[];
  body: Block[][];
  widths: number[];
}

/** The text of the cell at `row`, `col` wrapped at `width`: {@link cellText} unless told. */
export type CellFormat = (v: Cell | undefined, row: number, col: number, width: number) => string;

/** Widens `widths` (per column) to the lines of `cells` where they are wider. */
function measure(widths: number[], cells: Block[]): void {
  // Loops, not Math.max(...widths): a long cell has more lines than a call takes arguments.
  cells.forEach((b, c) => {
    for (const w of b.widths) if (w > widths[c]!) widths[c] = w;
  });
}

/** Wraps (at `width`) and measures every cell of a table of `rows` (per column of `headers`). */
export function gridLayout(
  headers: string[],
  rows: (Cell | undefined)[][],
  width: number,
  format: CellFormat = (v, _r, _c, w) => cellText(v, w),
): GridLayout {
  const ncols = columnCount(headers, rows);
  const head = Array.from({ length: ncols }, (_, c) => block(headers[c] ?? '', false));
  const body = rows.map((row, r) =>
    Array.from({ length: ncols }, (_, c) => block(format(row[c], r, c, width), isNumber(row[c]))),
  );
  const widths = head.map(() => 0);
  for (const cells of [head, ...body]) measure(widths, cells);
  return { head, body, widths };
}

/** The terminal columns the lines of `t` take. */
export function gridWidth(t: GridLayout): number {
  let w = 3 * t.widths.length + 1;
  for (const c of t.widths) w += c;
  return w;
}

/**
 * The lines of a grid table with columns `widths` wide: `head`, the `=` rule, then the rows
 * of `body` between `-` rules (none after the `=` rule when there are no rows).
 */
function* gridLines(widths: number[], head: Block[], body: Iterable<Block[]>): Generator<string> {
  const rule = (ch: string) => '+' + widths.map((w) => ch.repeat(w + 2)).join('+') + '+';
  const dashes = rule('-');
  function* emit(cells: Block[]) {
    let height = 0;
    for (const b of cells) height = Math.max(height, b.lines.length);
    for (let i = 0; i < height; i++) {
      let line = '|';
      cells.forEach((b, c) => {
        const text = b.lines[i] ?? '';
        const pad = ' '.repeat(widths[c]! - (b.widths[i] ?? 0));
        line += ' ' + (b.right ? pad + text : text + pad) + ' |';
      });
      yield line;
    }
  }
  yield dashes;
  yield* emit(head);
  yield rule('=');
  let first = true;
  for (const cells of body) {
    if (!first) yield dashes;
    first = false;
    yield* emit(cells);
  }
  if (!first) yield dashes;
}

/**
 * The grid table of rows `from` to `to` (not included) of `t`, header first, as text without
 * a final newline; its columns as wide as over all of `t`'s rows, so tables of successive
 * slices line up. With no rows it ends at the `=` rule under the header.
 */
export function renderGrid(t: GridLayout, from = 0, to = t.body.length): string {
  return [...gridLines(t.widths, t.head, t.body.slice(from, to))].join('\n');
}

/** About how many characters {@link gridChunks} gives at a time. */
const CHUNK = 1 << 16;

/**
 * `renderGrid(gridLayout(headers, rows.map(cells), width))` and a final newline, in pieces
 * of about CHUNK characters made as they are taken, for output written as it is made: the
 * cells are wrapped and the column widths measured over all rows first, keeping only the
 * cells' text, then each row is laid out as it is given, so a table of 100,000 rows never
 * exists whole (its laid-out cells take several times the memory of its text).
 */
export function* gridChunks<T>(
  headers: string[],
  rows: readonly T[],
  cells: (row: T) => (Cell | undefined)[],
  width: number,
): Generator<string> {
  const texts: string[][] = [];
  let ncols = headers.length;
  for (const row of rows) {
    const values = cells(row);
    ncols = Math.max(ncols, values.length);
    texts.push(values.map((v) => cellText(v, width)));
  }
  // A row's missing trailing cells show as `nan`, as gridLayout shows them.
  const laidOut = (i: number) => {
    const values = cells(rows[i]!);
    return Array.from({ length: ncols }, (_, c) =>
      block(texts[i]![c] ?? cellText(undefined, width), isNumber(values[c])),
    );
  };
  const head = Array.from({ length: ncols }, (_, c) => block(headers[c] ?? '', false));
  const widths = head.map(() => 0);
  measure(widths, head);
  for (let i = 0; i < rows.length; i++) measure(widths, laidOut(i));
  const body = (function* () {
    for (let i = 0; i < rows.length; i++) {
      yield laidOut(i);
      texts[i] = []; // written: its text can go
    }
  })();
  let chunk = '';
  for (const line of gridLines(widths, head, body)) {
    chunk += line + '\n';
    if (chunk.length >= CHUNK) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

/**
 * A grid table of `rows` (cells given per column of `headers`), wrapped at `width`, as text
 * without a final newline. With no rows it ends at the `=` rule under the header.
 */
export function gridTable(headers: string[], rows: (Cell | undefined)[][], width: number): string {
  return renderGrid(gridLayout(headers, rows, width));
}

/** Code points, as textwrap measures (a surrogate pair is one). */
function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

/**
 * The wrap width that lets a table use a terminal `columns` wide: `base` at least (cmflib's
 * width; on a narrow terminal the table stays as cmflib draws it and the terminal wraps its
 * lines), more where there is room, so long text takes fewer lines. Cells for which `whole`
 * gives their text are not wrapped by width (they count as they are); nor are numbers.
 */
export function fitWidth(
  headers: string[],
  rows: (Cell | undefined)[][],
  base: number,
  columns: number,
  whole: (row: number, col: number) => string | undefined = () => undefined,
): number {
  const ncols = columnCount(headers, rows);
  const fixed = Array.from({ length: ncols }, (_, c) => textWidth(headers[c] ?? ''));
  const wants = fixed.map(() => 0);
  rows.forEach((row, r) => {
    for (let c = 0; c < ncols; c++) {
      const v = row[c];
      const kept = whole(r, c);
      if (kept !== undefined) {
        for (const line of kept.split('\n')) fixed[c] = Math.max(fixed[c]!, textWidth(line));
      } else if (typeof v === 'string') {
        // As shown: an escaped control character is four columns.
        wants[c] = Math.max(wants[c]!, codePoints(visibleCellText(v)));
      } else fixed[c] = Math.max(fixed[c]!, cellText(v, base).length);
    }
  });
  const room = columns - (3 * ncols + 1);
  const used = (w: number) =>
    fixed.reduce((sum, f, c) => sum + Math.max(f, Math.min(wants[c]!, w)), 0);
  // The widest wrap width that still fits: used() grows with it, so search for it.
  let lo = base;
  let hi = Math.max(base, ...wants);
  if (used(lo) > room) return base;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (used(mid) <= room) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
