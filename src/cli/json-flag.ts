/**
 * Whether a command line asks for JSON, for the places that answer before oclif parses
 * flags (the --version fast path, unknown commands, help, a topic without a command).
 */

/** `--json` or an abbreviation of it no other flag shares (`--j` could be `--jobs`). */
export function isJsonFlag(arg: string): boolean {
  return arg.length >= 4 && '--json'.startsWith(arg);
}

/** The words before any `--`: after it, words are arguments, not flags. */
export function flagWords(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf('--');
  return end < 0 ? argv : argv.slice(0, end);
}

/** A JSON flag before any `--`. */
export function wantsJson(argv: readonly string[]): boolean {
  return flagWords(argv).some(isJsonFlag);
}
