import { flagDisplayName, flagValueHint } from './flag-hints.js';

/** A flag as oclif defines it: only what the messages need. */
export interface FlagShape {
  char?: string;
}

/**
 * Turns the message of an oclif parse error into ours: no "The following error occurred:"
 * preamble nor "See more help with --help" (the hint says it), flags named as users type them
 * (`-p/--pipeline_name`, not `pipeline_name`), and a flag's own hint when one flag is missing.
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
  const missing: string[] = [];
  const reasons = lines.map((line) => {
    const m = /^Missing required flag (\S+)$/.exec(line);
    if (!m) return line;
    const name = flagDisplayName(m[1]!, flags[m[1]!]?.char);
    missing.push(name);
    return `Missing required flag ${name}`;
  });
  const hint =
    missing.length === 1 && lines.length === 1 ? flagValueHint(missing[0]!, true) : helpHint;
  return { message: reasons.join('; '), hint };
}
