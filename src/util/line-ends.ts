/**
 * How a text file a user (or Windows) wrote ends its lines and whether it starts with a
 * UTF-8 byte order mark: a rewrite or an appended line keeps both, as DVC's configobj does.
 */

export const BOM = '\uFEFF';

/** CRLF when the first line of `text` ends so, else LF (also for text of one line). */
export function lineEnding(text: string): '\r\n' | '\n' {
  const nl = text.indexOf('\n');
  return nl > 0 && text[nl - 1] === '\r' ? '\r\n' : '\n';
}

/** `text` (LF lines) written the way `like` was: its line ends and its byte order mark. */
export function styledLike(text: string, like: string): string {
  const crlf = lineEnding(like) === '\r\n' ? text.replace(/\r?\n/g, '\r\n') : text;
  return like.startsWith(BOM) && !crlf.startsWith(BOM) ? BOM + crlf : crlf;
}
