/**
 * Which known names a mistyped one was probably meant to be: commands and flags (src/cli),
 * pipelines, execution uuids and artifacts (the not-found errors). Case is ignored, and a
 * swap of two neighbours is one edit.
 */
import { listed } from './counted.js';
import { shellQuote } from './shell-quote.js';

/** Names within a small edit distance of `word` (or starting with it), nearest first. */
export function closest(word: string, names: string[]): string[] {
  const limit = Math.max(1, Math.floor(word.length / 3));
  const lower = word.toLowerCase();
  const prefixOf = (name: string): boolean => word.length >= 2 && name.startsWith(word);
  const scored = names
    // The distance is at least the difference in length: a name too long or too short is
    // out without its table (75k artifact names make that the cost of the whole hint).
    .filter((name) => prefixOf(name) || Math.abs(name.toLowerCase().length - lower.length) <= limit)
    .map((name) => ({ name, d: editDistance(lower, name.toLowerCase()) }))
    .filter(({ name, d }) => d <= limit || prefixOf(name));
  const best = Math.min(...scored.map((s) => s.d));
  return scored.filter((s) => s.d === best).map((s) => s.name);
}

/**
 * Names a prefix of which is close to `word`, nearest first: `pipline` is a typo of
 * `pipeline`, itself an abbreviation of `pipeline_name` (argparse takes unique prefixes, so
 * users type them). Words shorter than 4 letters are too short to tell a typo from chance.
 */
export function closestByPrefix(word: string, names: string[]): string[] {
  if (word.length < 4) return [];
  const limit = Math.floor(word.length / 3);
  const scored = names.map((name) => {
    const row = distanceRow(word.toLowerCase(), name.toLowerCase());
    return { name, d: Math.min(...row.slice(1)) };
  });
  const best = Math.min(...scored.map((s) => s.d));
  return best > limit ? [] : scored.filter((s) => s.d === best).map((s) => s.name);
}

/** Levenshtein distance, with a swap of two neighbours counted as one edit. */
function editDistance(a: string, b: string): number {
  return distanceRow(a, b)[b.length]!;
}

/** The distances from `a` to each prefix of `b` (the empty one first), by editDistance's rule. */
function distanceRow(a: string, b: string): number[] {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
      }
    }
  }
  return d[a.length]!;
}

/**
 * `Did you mean 'a' or 'b'?` for the first `max` of `names`, each quoted as a POSIX shell
 * word so that it can be pasted into the command again (shellQuote).
 */
export function didYouMean(names: readonly string[], max = 5): string {
  const quoted = names.slice(0, max).map((n) => shellQuote(n, { always: true }));
  return `Did you mean ${listed(quoted, 'or')}?`;
}
