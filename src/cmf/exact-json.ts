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
 */
import { UsageError } from '../errors/index.js';
import { PyFloat, type PyJson } from './python-json.js';

type Reviver = (key: string, value: unknown, context?: { source?: string }) => unknown;

const reviver: Reviver = (_key, value, context) => {
  if (typeof value !== 'number') return value;
  const source = context?.source;
  if (source === undefined) {
    throw new UsageError(
      'JSON_SOURCE_ACCESS_UNSUPPORTED',
      'This JavaScript runtime cannot tell 3000.0 from 3000 while parsing JSON',
      { hint: 'Run cmf on Node.js 22 or newer.' },
    );
  }
  if (/[.eE]/.test(source)) return new PyFloat(value);
  if (!Number.isSafeInteger(value)) return BigInt(source);
  return value;
};

/** Parses JSON text keeping doubles as `PyFloat` and large integers as bigints. Throws SyntaxError. */
export function parseExactJson(text: string): PyJson {
  return JSON.parse(
    text,
    reviver as (this: unknown, key: string, value: unknown) => unknown,
  ) as PyJson;
}
