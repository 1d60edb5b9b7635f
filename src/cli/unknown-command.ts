import { listed } from '../util/counted.js';

/**
 * What to say when oclif finds no command for what was typed. oclif hands over an id with
 * colons (`pipeline:lst`, or `version:extra` when words follow a command that takes no
 * arguments); users type spaces, so every name here is shown with spaces.
 */
export interface CommandIndex {
  /** Visible command ids, colon-separated. */
  commands: string[];
  /** Topic ids, colon-separated. */
  topics: string[];
}

export function describeUnknownCommand(
  id: string,
  index: CommandIndex,
  bin: string,
): { message: string; hint: string } {
  const parts = id.split(':');
  const spaced = (ids: string[]) => [bin, ...ids].join(' ');
  const commands = new Set(index.commands);
  const topics = new Set(index.topics);
  for (let k = parts.length - 1; k >= 1; k--) {
    const prefix = parts.slice(0, k).join(':');
    if (commands.has(prefix)) {
      const extra = parts.slice(k);
      return {
        message: `Unexpected argument${extra.length > 1 ? 's' : ''} to '${spaced(parts.slice(0, k))}': ${extra.join(' ')}`,
        hint: `See '${spaced(parts.slice(0, k))} --help'.`,
      };
    }
  }
  // The deepest topic typed, and the word after it that named no command.
  let depth = parts.length - 1;
  while (depth > 0 && !topics.has(parts.slice(0, depth).join(':'))) depth--;
  const scope = parts.slice(0, depth);
  const word = parts[depth]!;
  const children = childrenOf(scope, index);
  const close = closest(word, children);
  const message = `Unknown command '${spaced(parts)}'`;
  const help = `See '${spaced([...scope, '--help'])}'`;
  if (close.length > 0) {
    // `cmf pipline list` → 'cmf pipeline list' when the words after the typo make a command.
    const rest = parts.slice(depth + 1);
    const names = close
      .map((c) => (commands.has([...scope, c, ...rest].join(':')) ? [c, ...rest] : [c]))
      .map((c) => `'${spaced([...scope, ...c])}'`)
      .join(' or ');
    return { message, hint: `Did you mean ${names}? ${help}.` };
  }
  if (depth > 0) {
    return { message, hint: `'${spaced(scope)}' has: ${children.sort().join(', ')}. ${help}.` };
  }
  return { message, hint: `${help} for the commands.` };
}

/**
 * What to say for a topic typed without a command (`cmf artifact`): argparse, and so Python
 * cmf, requires one at each level. `topic` is colon-separated, '' for `cmf` alone.
 */
export function describeMissingCommand(
  topic: string,
  index: CommandIndex,
  bin: string,
): { message: string; hint: string } {
  const scope = topic === '' ? [] : topic.split(':');
  const line = [bin, ...scope].join(' ');
  const names = childrenOf(scope, index).sort();
  return {
    message: `Missing command: '${line}' needs one of ${listed(names, 'or')}`,
    hint: `Run '${line} <command>'; '${line} <command> --help' shows what a command takes.`,
  };
}

/** The distinct words that follow `scope` in the command and topic ids. */
function childrenOf(scope: string[], index: CommandIndex): string[] {
  const depth = scope.length;
  return [
    ...new Set(
      [...index.commands, ...index.topics]
        .map((c) => c.split(':'))
        .filter((c) => c.length > depth && scope.every((p, i) => c[i] === p))
        .map((c) => c[depth]!),
    ),
  ];
}

/** Names within a small edit distance of `word` (or starting with it), nearest first. */
export function closest(word: string, names: string[]): string[] {
  const limit = Math.max(1, Math.floor(word.length / 3));
  const scored = names
    .map((name) => ({ name, d: editDistance(word.toLowerCase(), name.toLowerCase()) }))
    .filter(({ name, d }) => d <= limit || (word.length >= 2 && name.startsWith(word)));
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
