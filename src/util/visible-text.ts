/**
 * Text from metadata (names, values) made safe to show on a terminal. Metadata comes from
 * other people through a shared server: an escape sequence, a carriage return or a bell in
 * it must not recolour, overwrite or ring the reader's terminal, and a bidi override must
 * not make one name look like another. Such characters are shown as Python's repr shows
 * them: `\n`, `\t`, `\r`, `\x1b`, `\u202e`. Used where text is shown, never on data (JSON
 * output stays exact).
 */

// Bidi marks, embeddings, overrides and isolates, and the line and paragraph separators.
const BIDI = '\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069\\u2028\\u2029';
// C0 (tab, newline, carriage return and the other whitespace controls too), DEL, C1, BIDI.
const CLASS = `[\\u0000-\\u001f\\u007f-\\u009f${BIDI}]`;
const ALL = new RegExp(CLASS, 'g');
/** Matches a character visibleText escapes (src/util/shell-quote.ts writes such words too). */
export const INVISIBLE = new RegExp(CLASS);
// As ALL but leaving \t \n \v \f \r, which textwrap turns into spaces (table cells).
const ALL_BUT_WHITESPACE = new RegExp(
  `[\\u0000-\\u0008\\u000e-\\u001f\\u007f-\\u009f${BIDI}]`,
  'g',
);

const NAMED: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

function escape(c: string): string {
  const code = c.charCodeAt(0);
  return (
    NAMED[c] ??
    (code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`)
  );
}

/** `text` with every control and bidi formatting character escaped (one line stays one). */
export function visibleText(text: string): string {
  return text.replace(ALL, escape);
}

/** {@link visibleText} for text that textwrap wraps next (it makes \t\n\v\f\r spaces). */
export function visibleCellText(text: string): string {
  return text.replace(ALL_BUT_WHITESPACE, escape);
}

/**
 * For text made of lines (an error message, a hint): each line as {@link visibleText} shows
 * it; newlines (and tabs) the text was built with stay. A CRLF line end (ssh writes its
 * messages so, and git passes them on) is a newline; a lone carriage return is escaped.
 */
export function visibleLines(text: string): string {
  return text
    .split(/\r?\n/)
    .map((line) => line.split('\t').map(visibleText).join('\t'))
    .join('\n');
}
