import { closest } from '../util/closest.js';
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
