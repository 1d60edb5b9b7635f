/**
 * Python's `textwrap.fill(text, width)` with its defaults (tabs expanded to 8, whitespace
 * turned into spaces, whitespace dropped at line ends, long words split, breaks after
 * hyphens), so table cells wrap where cmflib's wrap. Lengths count code points, as Python's
 * `len` does.
 */
const WS = '\\t\\n\\v\\f\\r ';
const WORD = '[\\p{L}\\p{N}_]'; // Python's \w
const LETTER = '[\\p{L}\\p{Nl}\\p{No}_]'; // Python's [^\d\W]
const WORD_PUNCT = `(?:${WORD}|[!"'&.,?])`;

// textwrap.TextWrapper.wordsep_re, translated.
const WORDSEP = new RegExp(
  `([${WS}]+` +
    `|(?<=${WORD_PUNCT})-{2,}(?=${WORD})` +
    `|[^${WS}]+?(?:-(?:(?<=${LETTER}{2}-)|(?<=${LETTER}-${LETTER}-))(?=${LETTER}-?${LETTER})` +
    `|(?=[${WS}]|$)` +
    `|(?<=${WORD_PUNCT})(?=-{2,}${WORD})))`,
  'gu',
);

const len = (s: string): number => {
  let n = s.length;
  // Each surrogate pair is one code point.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--;
  }
  return n;
};
const isBlank = (s: string): boolean => s.trim() === '';

function expandTabs(text: string): string {
  if (!text.includes('\t')) return text;
  let out = '';
  let col = 0;
  for (const ch of text) {
    if (ch === '\t') {
      const n = 8 - (col % 8);
      out += ' '.repeat(n);
      col += n;
    } else {
      out += ch;
      col = ch === '\n' || ch === '\r' ? 0 : col + 1;
    }
  }
  return out;
}

/** The chunks textwrap splits text into (words, whitespace runs, hyphenated parts). */
function chunks(text: string): string[] {
  return text.split(WORDSEP).filter((c) => c !== '' && c !== undefined);
}

/** `textwrap.wrap(text, width)`: the lines, without newlines. */
export function wrap(text: string, width: number): string[] {
  const munged = expandTabs(text).replace(/[\t\n\v\f\r]/g, ' ');
  const rest = chunks(munged).reverse();
  const lines: string[] = [];
  while (rest.length > 0) {
    const line: string[] = [];
    let lineLen = 0;
    if (isBlank(rest[rest.length - 1]!) && lines.length > 0) rest.pop();
    while (rest.length > 0) {
      const l = len(rest[rest.length - 1]!);
      if (lineLen + l > width) break;
      line.push(rest.pop()!);
      lineLen += l;
    }
    if (rest.length > 0 && len(rest[rest.length - 1]!) > width) {
      splitLongWord(rest, line, lineLen, width);
    }
    if (line.length > 0 && isBlank(line[line.length - 1]!)) line.pop();
    if (line.length > 0) lines.push(line.join(''));
  }
  return lines;
}

function splitLongWord(rest: string[], line: string[], lineLen: number, width: number): void {
  const spaceLeft = width < 1 ? 1 : width - lineLen;
  const chunk = Array.from(rest[rest.length - 1]!);
  let end = spaceLeft;
  if (chunk.length > spaceLeft && spaceLeft > 0) {
    // rfind('-', 0, spaceLeft); Array#lastIndexOf would read a negative start from the end.
    const hyphen = chunk.lastIndexOf('-', spaceLeft - 1);
    if (hyphen > 0 && chunk.slice(0, hyphen).some((c) => c !== '-')) end = hyphen + 1;
  }
  line.push(chunk.slice(0, end).join(''));
  rest[rest.length - 1] = chunk.slice(end).join('');
}

/** `textwrap.fill(text, width)`. */
export function fill(text: string, width: number): string {
  return wrap(text, width).join('\n');
}
