import { flagDisplayName, flagValueHint } from './flag-hints.js';
import { closest, closestByPrefix } from '../util/closest.js';

/** A flag as oclif defines it: only what the messages need. */
export interface FlagShape {
  char?: string;
  aliases?: string[];
  hidden?: boolean;
}

/**
 * Turns the message of an oclif parse error into ours: no "The following error occurred:"
 * preamble nor "See more help with --help" (the hint says it), flags named as users type them
 * (`-p/--pipeline_name`, not `pipeline_name`), a flag's own hint when one flag is missing,
 * "Invalid value for -j/--jobs: …" for a value a flag refused, and "Did you mean …" for an
 * unknown flag close to one the command has.
 */
export function describeParseError(
  message: string,
  flags: Record<string, FlagShape>,
  helpHint: string,
): { message: string; hint: string } {
  // oclif dims the reasons with ANSI colours on a terminal.
  // eslint-disable-next-line no-control-regex
  const plain = message.replace(/\u001b\[[0-9;]*m/g, '');
  const lines = plain
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && l !== 'See more help with --help')
    .filter((l) => !/^The following errors? occurred:$/.test(l));
  // A flag's parse function threw: oclif puts "Parsing --name" on a line of its own before
  // the reason.
  const parsing = /^Parsing --(\S+)$/.exec(lines[0] ?? '');
  if (parsing && lines.length === 2) {
    const name = flagDisplayName(parsing[1]!, flags[parsing[1]!]?.char);
    return { message: `Invalid value for ${name}: ${lines[1]}`, hint: helpHint };
  }
  const missing: string[] = [];
  const guesses: string[] = [];
  const reasons = lines.map((line) => {
    const unknown = /^Nonexistent flags?: (.+)$/.exec(line);
    if (unknown) {
      for (const typed of unknown[1]!.split(', ')) {
        const near = nearFlags(typed, flags);
        if (near.length > 0) guesses.push(`${typed}: did you mean ${near.join(' or ')}?`);
      }
      return line;
    }
    const m = /^Missing required flag (\S+)$/.exec(line);
    if (!m) return line;
    const name = flagDisplayName(m[1]!, flags[m[1]!]?.char);
    missing.push(name);
    return `Missing required flag ${name}`;
  });
  let hint =
    missing.length === 1 && lines.length === 1 ? flagValueHint(missing[0]!, true) : helpHint;
  if (guesses.length === 1) hint = `${guesses[0]!.replace(/^\S+: d/, 'D')} ${hint}`;
  else if (guesses.length > 1) hint = `${guesses.join(' ')} ${hint}`;
  return { message: reasons.join('; '), hint };
}

/**
 * The command's long flags nearest to an unknown one as typed (`--pagesize`, `-json`), by the
 * distance unknown commands are matched with; a flag's aliases count as the flag. When no
 * full name is near, a typo of an abbreviation (`--pipline`) names the one flag whose start
 * it is close to; several such flags make no guess (argparse would call it ambiguous).
 */
function nearFlags(typed: string, flags: Record<string, FlagShape>): string[] {
  const word = typed.replace(/^--?/, '').replace(/=.*$/, '');
  const owner = new Map<string, string>();
  for (const [name, flag] of Object.entries(flags)) {
    if (flag.hidden) continue;
    for (const spelling of [name, ...(flag.aliases ?? [])]) owner.set(spelling, name);
  }
  const ownersOf = (spellings: string[]) => [
    ...new Set(spellings.map((s) => `--${owner.get(s)!}`)),
  ];
  const full = ownersOf(closest(word, [...owner.keys()]));
  if (full.length > 0) return full;
  const byPrefix = ownersOf(closestByPrefix(word, [...owner.keys()]));
  return byPrefix.length === 1 ? byPrefix : [];
}
