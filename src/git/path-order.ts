/**
 * The order git sorts paths in: by their UTF-8 bytes, which is Unicode code point order.
 * JavaScript's `<` compares UTF-16 code units, which agrees except where a surrogate pair
 * (code points above U+FFFF) meets a character from U+E000 to U+FFFF.
 */
const NEEDS_CODE_POINT_ORDER = /[\ud800-\udfff\ue000-\uffff]/;

export function comparePaths(a: string, b: string): number {
  if (!NEEDS_CODE_POINT_ORDER.test(a) && !NEEDS_CODE_POINT_ORDER.test(b)) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!;
  }
  return x.length - y.length;
}
