/**
 * JSON text → data that keeps what JS numbers lose. cmf's exchange format tells ints from
 * doubles by how a number is written (Python writes the double 3000.0 as `3000.0`, the int
 * 3000 as `3000`), and the receiver stores each in its own MLMD value column (spec §6.1,
 * §11.10). `JSON.parse` alone would turn both into 3000.
 *
 * We parse with `JSON.parse` and a reviver that reads each number's source text (the
 * reviver's third argument, `context.source`, from the "JSON.parse source text access"
 * proposal, in V8 since Node 21): a number written with a `.`, `e` or `E` becomes a
 * `PyFloat`; an integer beyond 2^53 becomes an exact bigint; other integers stay numbers.
 * The result is a `PyJson` value, the same model `pythonJson` writes, so a document read
 * here and written back is unchanged.
 *
 * Python's `json.dumps` writes a float NaN or infinity as the bare words `NaN`, `Infinity`,
 * `-Infinity` (a metric that diverged), and its `json.loads` reads them back; so do we, as
 * `PyFloat`s holding those values. Nothing else beyond JSON is accepted (`-NaN`,
 * `+Infinity`, `nan` are errors there too).
 */
import { UsageError } from '../errors/index.js';
import { PyFloat, type PyJson } from './python-json.js';

type Reviver = (key: string, value: unknown, context?: { source?: string }) => unknown;

/** Number literals standing in for Python's non-finite words (see `replaceNonFinite`). */
type Stand = ReadonlyMap<string, number>;

function reviverFor(stand: Stand | undefined): Reviver {
  return (_key, value, context) => {
    if (typeof value !== 'number') return value;
    const source = context?.source;
    if (source === undefined) {
      throw new UsageError(
        'JSON_SOURCE_ACCESS_UNSUPPORTED',
        'This JavaScript runtime cannot tell 3000.0 from 3000 while parsing JSON',
        { hint: 'Run cmf on Node.js 22 or newer.' },
      );
    }
    const special = stand?.get(source);
    if (special !== undefined) return new PyFloat(special);
    if (/[.eE]/.test(source)) return new PyFloat(value);
    if (!Number.isSafeInteger(value)) return BigInt(source);
    return value;
  };
}

function parseWith(text: string, stand: Stand | undefined): PyJson {
  return JSON.parse(
    text,
    reviverFor(stand) as (this: unknown, key: string, value: unknown) => unknown,
  ) as PyJson;
}

/**
 * Parses JSON text (plus Python's `NaN`, `Infinity`, `-Infinity`) keeping doubles as
 * `PyFloat` and large integers as bigints. Throws SyntaxError.
 */
export function parseExactJson(text: string): PyJson {
  try {
    return parseWith(text, undefined);
  } catch (err) {
    // Rare: only text that JSON.parse refuses pays for the second pass.
    if (!(err instanceof SyntaxError)) throw err;
    const replaced = replaceNonFinite(text);
    if (replaced === undefined) throw err;
    return parseWith(replaced.text, replaced.stand);
  }
}

const WORDS: readonly (readonly [string, number])[] = [
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
];
const BEFORE = new Set(['', ' ', '\t', '\n', '\r', ':', ',', '[']);
const AFTER = new Set(['', ' ', '\t', '\n', '\r', ',', ']', '}']);

/**
 * The text with each non-finite word that stands where a value may stand (outside strings,
 * between delimiters) replaced by a number literal no number of the text can equal: its run
 * of digits is longer than the text's longest. Words anywhere else are left for JSON.parse
 * to refuse, as Python does (`1NaN`, `-NaN`, `"a": NaNa`). Undefined when there is none.
 */
function replaceNonFinite(text: string): { text: string; stand: Stand } | undefined {
  let longest = 0;
  for (const run of text.match(/\d+/g) ?? []) longest = Math.max(longest, run.length);
  const literal = new Map<string, string>();
  const stand = new Map<string, number>();
  WORDS.forEach(([word, value], i) => {
    const s = `0.${'0'.repeat(longest)}${i + 1}`;
    literal.set(word, s);
    stand.set(s, value);
  });
  const out: string[] = [];
  let from = 0;
  let found = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      // Skip the string; an unterminated one is JSON.parse's to report.
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      continue;
    }
    if (c !== 'N' && c !== 'I' && c !== '-') continue;
    const word = WORDS.find(([w]) => text.startsWith(w, i))?.[0];
    if (word === undefined) continue;
    const end = i + word.length;
    if (!BEFORE.has(text[i - 1] ?? '') || !AFTER.has(text[end] ?? '')) continue;
    out.push(text.slice(from, i), literal.get(word)!);
    from = end;
    i = end - 1;
    found = true;
  }
  if (!found) return undefined;
  out.push(text.slice(from));
  return { text: out.join(''), stand };
}
