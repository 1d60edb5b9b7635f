/**
 * JSON documents that are already serialised: a command may return one instead of a value,
 * and the base command writes its pieces as they are (no parse, no stringify, no one giant
 * string). The pieces are UTF-8 buffers or strings, written in order.
 */
export class RawJson {
  readonly chunks: readonly (Buffer | string)[];

  constructor(chunks: readonly (Buffer | string)[]) {
    this.chunks = chunks;
  }

  /** A value serialised as `--json` serialises values (see `jsonText`). */
  static of(value: unknown): RawJson {
    return new RawJson([jsonText(value)]);
  }

  /** The whole document as one string (for tests and small documents). */
  text(): string {
    return this.chunks.map((c) => (typeof c === 'string' ? c : c.toString('utf8'))).join('');
  }
}

const rawJSON = (JSON as unknown as { rawJSON: (text: string) => unknown }).rawJSON;

function bigintAsNumber(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? rawJSON(value.toString()) : value;
}

/**
 * `--json`'s serialisation: pretty-printed with 2 spaces; integers beyond 2^53 (bigints)
 * written as exact JSON numbers. Without bigints the replacer is skipped (it makes
 * JSON.stringify several times slower on large documents).
 */
export function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    return JSON.stringify(value, bigintAsNumber, 2);
  }
}
