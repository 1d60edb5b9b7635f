/**
 * JSON text exactly as Python's `json.dumps` writes it (default `ensure_ascii=True`), so a
 * file we write is byte-identical to cmflib's and the receiver re-types numbers correctly:
 * JS numbers cannot tell `3000` from `3000.0`, so doubles are wrapped in `PyFloat` and
 * written with Python's float repr (`3000.0`, `1e-05`, `1e+16`); plain numbers and bigints
 * are ints.
 */

/** A double-precision value (written with a decimal point or an exponent). */
export class PyFloat {
  readonly value: number;

  constructor(value: number) {
    this.value = value;
  }
}

export type PyJson =
  null | boolean | number | bigint | string | PyFloat | PyJson[] | { [key: string]: PyJson };

/** Python's `repr(float)`: shortest round-trip digits, exponent form outside 1e-4 ≤ |x| < 1e16. */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // toExponential() without digits gives the shortest digits that round-trip.
  const [mantissa = '', exp = '0'] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const decpt = Number(exp) + 1; // value = 0.<digits> × 10^decpt
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
    if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
    return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
  }
  const e = decpt - 1;
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${sign}${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
};

/** A JSON string literal with everything outside printable ASCII escaped, as Python does. */
export function pythonString(s: string): string {
  return `"${s.replace(/["\\]|[^\x20-\x7e]/g, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

/**
 * `json.dumps(value)` (compact: `, ` and `: ` separators) or, with `indent`,
 * `json.dumps(value, indent=indent)` (`,` at line ends, `: ` after keys). `depth`: how deep
 * the value sits in a document written piece by piece (its inner lines are indented for it).
 */
export function pythonJson(value: PyJson, indent?: number, depth = 0): string {
  const parts: string[] = [];
  write(value, parts, indent, depth);
  return parts.join('');
}

/**
 * A list written item by item, as `pythonJson` would write it whole at `depth`: `next()` is
 * the text to put before each item (written at `depth + 1`), `close()` the text after the
 * last (`[]` when there was none).
 */
export class PyJsonList {
  private readonly m: Margins;
  private empty = true;

  constructor(indent: number | undefined, depth: number) {
    this.m = margins(indent, depth);
  }

  next(): string {
    if (!this.empty) return this.m.sep;
    this.empty = false;
    return '[' + this.m.inner;
  }

  close(): string {
    return this.empty ? '[]' : this.m.outer + ']';
  }
}

/**
 * An object whose first key holds an empty list, written at `depth` and cut where that list
 * goes: `head` ends with the key's `: `, `tail` is the rest of the object. A `PyJsonList` at
 * `depth + 1` written between the two gives what `pythonJson` writes for the filled object.
 */
export function pythonJsonAroundFirst(
  value: { [key: string]: PyJson },
  indent: number | undefined,
  depth: number,
): { head: string; tail: string } {
  const key = Object.keys(value)[0] ?? '';
  const text = pythonJson(value, indent, depth);
  const head = `{${margins(indent, depth).inner}${pythonString(key)}: `;
  if (!text.startsWith(head + '[]'))
    throw new Error('pythonJsonAroundFirst: first value is not []');
  return { head, tail: text.slice(head.length + 2) };
}

function write(v: PyJson, out: string[], indent: number | undefined, depth: number): void {
  if (v === null) out.push('null');
  else if (typeof v === 'boolean') out.push(v ? 'true' : 'false');
  else if (typeof v === 'string') out.push(pythonString(v));
  else if (typeof v === 'bigint') out.push(v.toString());
  else if (typeof v === 'number') {
    // A plain number is an int; a non-integer one can only be a double.
    out.push(Number.isInteger(v) ? BigInt(v).toString() : pythonFloat(v));
  } else if (v instanceof PyFloat) out.push(pythonFloat(v.value));
  else if (Array.isArray(v)) {
    if (v.length === 0) return void out.push('[]');
    container(v, '[', ']', out, indent, depth, (item) => write(item, out, indent, depth + 1));
  } else {
    const entries = Object.entries(v);
    if (entries.length === 0) return void out.push('{}');
    container(entries, '{', '}', out, indent, depth, ([k, item]) => {
      out.push(pythonString(k), ': ');
      write(item, out, indent, depth + 1);
    });
  }
}

function container<T>(
  items: T[],
  open: string,
  close: string,
  out: string[],
  indent: number | undefined,
  depth: number,
  each: (item: T) => void,
): void {
  const { inner, outer, sep } = margins(indent, depth);
  out.push(open, inner);
  items.forEach((item, i) => {
    if (i > 0) out.push(sep);
    each(item);
  });
  out.push(outer, close);
}

interface Margins {
  /** After the opening bracket. */
  inner: string;
  /** Before the closing bracket. */
  outer: string;
  /** Between items. */
  sep: string;
}

/** The white space of a container at `depth`: none but `, ` when compact. */
function margins(indent: number | undefined, depth: number): Margins {
  const inner = indent === undefined ? '' : '\n' + ' '.repeat(indent * (depth + 1));
  const outer = indent === undefined ? '' : '\n' + ' '.repeat(indent * depth);
  return { inner, outer, sep: indent === undefined ? ', ' : ',' + inner };
}
