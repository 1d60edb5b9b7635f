import type { CmfError } from '../errors/index.js';
import { visibleLines } from '../util/visible-text.js';

/**
 * How every cmf error reaches stderr: `Error: message` and `Hint: hint` lines (the stack too
 * with DEBUG set), or with --json one JSON object `{status: 'error', error}`. Messages quote
 * names from metadata and from the command line: in text, their control and bidi characters
 * are shown escaped, so no error can move, recolour or reorder the terminal's text.
 */
export function renderError(err: CmfError, json: boolean): string {
  if (json) return JSON.stringify({ status: 'error', error: err.toJSON() }, null, 2) + '\n';
  let text = `Error: ${visibleLines(err.message)}\n`;
  if (err.hint) text += `Hint: ${visibleLines(err.hint)}\n`;
  if (process.env.DEBUG && err.stack) text += err.stack + '\n';
  return text;
}
