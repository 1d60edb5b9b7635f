/**
 * The first `max` of `names` for a message, joined by ", ", with ", ..." when there are
 * more (`--json` and error data carry them all).
 */
export function firstFew(names: readonly string[], max = 10): string {
  return names.slice(0, max).join(', ') + (names.length > max ? ', ...' : '');
}

/** `1 file`, `2 files`: a count with its noun in the right number, for messages. */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** `a`, `a and b`, `a, b and c`: names in a sentence (`word` joins the last two). */
export function listed(names: readonly string[], word = 'and'): string {
  return names.length > 1
    ? `${names.slice(0, -1).join(', ')} ${word} ${names.at(-1)}`
    : (names[0] ?? '');
}

/** `6 artifacts` when all `total` were done, else `5 of 6 artifacts`. */
export function ofTotal(done: number, total: number, singular: string): string {
  return done === total ? counted(total, singular) : `${done} of ${counted(total, singular)}`;
}
