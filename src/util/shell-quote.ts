/**
 * Words and command lines as a POSIX shell reads them, for hints that tell the user what to
 * type (`cmf execution list -p 'My Pipeline'`) and for commands handed to `sh -c`.
 */

import { INVISIBLE } from './visible-text.js';

const PLAIN = /^[\w@%+=:,./-]+$/;
const NAMED: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * `word` as one shell word: as it is when made of characters no shell treats specially
 * (unless `always`), else in single quotes ('it'\''s'). A word holding control or bidi
 * characters is written `$'a\nb'` (ANSI-C quoting: bash, zsh, ksh, busybox sh, and POSIX
 * since 2024), so that it stays visible on a terminal and can still be typed back.
 */
export function shellQuote(word: string, opts: { always?: boolean } = {}): string {
  if (!opts.always && PLAIN.test(word)) return word;
  if (!INVISIBLE.test(word)) return `'${word.replace(/'/g, `'\\''`)}'`;
  const escaped = [...word]
    .map((c) => {
      if (c === '\\' || c === "'") return `\\${c}`;
      if (!INVISIBLE.test(c)) return c;
      // Each byte of its UTF-8 as \xHH: \uHHHH would need a UTF-8 locale (bash in the C
      // locale, as in many containers and CI jobs, keeps it as the six characters).
      return (
        NAMED[c] ??
        [...Buffer.from(c, 'utf8')].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')
      );
    })
    .join('');
  return `$'${escaped}'`;
}

/** `words` as one command line (each word shellQuote'd). */
export function shellCommand(words: readonly string[]): string {
  return words.map((w) => shellQuote(w)).join(' ');
}

/**
 * A command line for a hint, in quotes that set it off from the sentence: 'cmf pipeline
 * list', or "cmf execution list -p 'My Pipeline'" when it holds single quotes itself.
 */
export function quotedCommand(words: readonly string[]): string {
  const line = shellCommand(words);
  return line.includes("'") ? `"${line}"` : `'${line}'`;
}
