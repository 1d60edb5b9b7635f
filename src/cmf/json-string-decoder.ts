/**
 * The contents of a JSON string literal decoded piece by piece, as bytes: how a document
 * sent inside another one (the push body's `json_payload`, Python cmf-server's pull answer,
 * which is a JSON string holding the document) is taken out of it without the whole string
 * ever being in memory. Feed it the bytes after the opening quote; it reports where the
 * closing quote is. Escapes may be split across pieces.
 *
 * A `\uXXXX` escape of a lone surrogate cannot be UTF-8: it is written back as the same
 * six-character escape, which the inner document's JSON reader turns into the same string
 * (a raw one outside a string literal is invalid JSON either way).
 */
const SIMPLE: Record<number, number> = {
  0x22: 0x22, // "
  0x5c: 0x5c, // \
  0x2f: 0x2f, // /
  0x62: 0x08, // b
  0x66: 0x0c, // f
  0x6e: 0x0a, // n
  0x72: 0x0d, // r
  0x74: 0x09, // t
};

export class JsonStringDecoder {
  /** The escape being read (`\` and what follows so far), empty outside one. */
  private escape = '';
  /** A high surrogate waiting for its low half. */
  private high: number | undefined;
  /** Set when the literal is not valid JSON (bad escape, raw control character). */
  invalid = false;
  done = false;

  /**
   * Decodes `chunk` from `start`; returns the decoded bytes and the index just after the
   * closing quote (-1 while the string goes on).
   */
  write(chunk: Buffer, start = 0): { out: Buffer; end: number } {
    const out: Buffer[] = [];
    let from = start;
    let i = start;
    const flush = (to: number) => {
      if (to > from) out.push(chunk.subarray(from, to));
    };
    for (; i < chunk.length && !this.done; i++) {
      const c = chunk[i]!;
      if (this.escape !== '') {
        this.escape += String.fromCharCode(c);
        if (this.escape.length === 2 && c !== 0x75) {
          const simple = SIMPLE[c];
          if (simple === undefined) this.invalid = true;
          else out.push(this.unit(simple));
          this.escape = '';
          from = i + 1;
        } else if (this.escape.length === 6) {
          const hex = this.escape.slice(2);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.invalid = true;
          else out.push(this.unit(parseInt(hex, 16)));
          this.escape = '';
          from = i + 1;
        }
        continue;
      }
      if (c === 0x5c || c === 0x22 || c < 0x20 || this.high !== undefined) {
        flush(i);
        from = i;
      }
      if (this.high !== undefined && c !== 0x5c) out.push(this.loneHigh());
      if (c === 0x5c) {
        this.escape = '\\';
        from = i + 1;
      } else if (c === 0x22) {
        this.done = true;
        from = i + 1;
      } else if (c < 0x20) {
        this.invalid = true;
        from = i + 1;
      }
    }
    if (!this.done && this.escape === '') flush(i);
    return { out: Buffer.concat(out), end: this.done ? i : -1 };
  }

  /** At the end of the input: false when the literal was cut short. */
  finish(): Buffer {
    const out = this.high === undefined ? Buffer.alloc(0) : this.loneHigh();
    if (!this.done || this.escape !== '') this.invalid = true;
    return out;
  }

  /** The bytes of one decoded UTF-16 code unit, pairing surrogates. */
  private unit(u: number): Buffer {
    const pending = this.high;
    this.high = undefined;
    if (pending !== undefined) {
      if (u >= 0xdc00 && u <= 0xdfff) {
        return Buffer.from(String.fromCharCode(pending, u), 'utf8');
      }
      return Buffer.concat([escapeText(pending), this.unit(u)]);
    }
    if (u >= 0xd800 && u <= 0xdbff) {
      this.high = u;
      return Buffer.alloc(0);
    }
    if (u >= 0xdc00 && u <= 0xdfff) return escapeText(u);
    return Buffer.from(String.fromCharCode(u), 'utf8');
  }

  private loneHigh(): Buffer {
    const h = this.high!;
    this.high = undefined;
    return escapeText(h);
  }
}

function escapeText(u: number): Buffer {
  return Buffer.from(`\\u${u.toString(16).padStart(4, '0')}`, 'latin1');
}
