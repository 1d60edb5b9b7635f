/**
 * Whether a command line asks for JSON, for the places that answer before oclif parses
 * flags (the --version fast path, unknown commands, help, a topic without a command).
 */

/** `--json` or an abbreviation of it no other flag shares (`--j` could be `--jobs`). */
export function isJsonFlag(arg: string): boolean {
  return arg.length >= 4 && '--json'.startsWith(arg);
}

/** A JSON flag before any `--` (after it, words are arguments). */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some(isJsonFlag);
}
