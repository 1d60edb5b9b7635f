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
  // Each surrogate pair is one code point (a lone surrogate counts one, as in Array.from).
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
};
// Python's `str.isspace()` characters (bidi class WS, B or S, or category Zs): textwrap asks
// `chunk.strip() == ''`, which differs from JS trim() on \x1c-\x1f and \x85 (blank to
// Python) and on U+FEFF (blank to JS only).
const PY_BLANK =
  // eslint-disable-next-line no-control-regex -- Python counts these control characters as space
  /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/u;
const isBlank = (s: string): boolean => PY_BLANK.test(s);

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

/**
 * `textwrap.wrap(text, width)`: the lines, without newlines. Linear in the text's length: each
 * chunk's length is measured once, and a word longer than the width is turned into code points
 * once and then cut by index, not re-copied for every line it spans.
 */
export function wrap(text: string, width: number): string[] {
  const munged = expandTabs(text).replace(/[\t\n\v\f\r]/g, ' ');
  const all = chunks(munged);
  const lens = all.map(len);
  // Python keeps the chunks in a reversed list and pops them; here `next` is the first chunk
  // not yet placed. When a long word has been cut, `cut` holds that chunk's code points and
  // `used` how many of them are already placed: the chunk is then the rest from `used` on.
  let next = 0;
  let cut: { cps: string[]; used: number; lastSolid: number } | undefined;
  const headLen = (): number => (cut ? cut.cps.length - cut.used : lens[next]!);
  const headBlank = (): boolean => (cut ? cut.used > cut.lastSolid : isBlank(all[next]!));
  const take = (): string => {
    const s = cut ? cut.cps.slice(cut.used).join('') : all[next]!;
    cut = undefined;
    next++;
    return s;
  };
  const lines: string[] = [];
  while (next < all.length) {
    const line: string[] = [];
    let lineLen = 0;
    if (headBlank() && lines.length > 0) take();
    while (next < all.length) {
      const l = headLen();
      if (lineLen + l > width) break;
      line.push(take());
      lineLen += l;
    }
    if (next < all.length && headLen() > width) {
      cut ??= cutOf(all[next]!);
      line.push(splitLongWord(cut, lineLen, width));
    }
    if (line.length > 0 && isBlank(line[line.length - 1]!)) line.pop();
    if (line.length > 0) lines.push(line.join(''));
  }
  return lines;
}

function cutOf(chunk: string): { cps: string[]; used: number; lastSolid: number } {
  const cps = Array.from(chunk);
  let lastSolid = cps.length - 1;
  while (lastSolid >= 0 && isBlank(cps[lastSolid]!)) lastSolid--;
  return { cps, used: 0, lastSolid };
}

/** `_handle_long_word`: the piece of the long word that goes on this line (the rest stays). */
function splitLongWord(
  cut: { cps: string[]; used: number },
  lineLen: number,
  width: number,
): string {
  const { cps, used } = cut;
  const spaceLeft = width < 1 ? 1 : width - lineLen;
  let end = spaceLeft;
  if (cps.length - used > spaceLeft) {
    // chunk.rfind('-', 0, spaceLeft), and a cut there only if something before it is not '-'.
    let hyphen = spaceLeft - 1;
    while (hyphen >= 0 && cps[used + hyphen] !== '-') hyphen--;
    if (hyphen > 0) {
      let solid = false;
      for (let i = 0; i < hyphen && !solid; i++) solid = cps[used + i] !== '-';
      if (solid) end = hyphen + 1;
    }
  }
  const stop = Math.min(used + end, cps.length);
  cut.used = stop;
  return cps.slice(used, stop).join('');
}

/** `textwrap.fill(text, width)`. */
export function fill(text: string, width: number): string {
  return wrap(text, width).join('\n');
}
