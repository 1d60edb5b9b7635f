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
  if (process.env.DEBUG) text += debugStacks(err);
  return text;
}

/**
 * The stack of `err` and of every cause under it (the frame where a wrapped error really
 * came from is in the cause's stack, not in the wrapper's), at most 10 deep.
 */
function debugStacks(err: unknown): string {
  let text = '';
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 10; depth++) {
    const stack = e instanceof Error ? e.stack : undefined;
    text += `${depth === 0 ? '' : 'Caused by: '}${stack ?? String(e)}\n`;
    e = (e as { cause?: unknown }).cause;
  }
  return text;
}
