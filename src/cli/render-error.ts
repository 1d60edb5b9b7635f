import type { CmfError } from '../errors/index.js';

/**
 * How an error reads on stderr: `Error: <message>` and `Hint: <hint>` lines, or with --json
 * a `{status: 'error', error}` object.
 */
export function errorText(err: CmfError, json: boolean): string {
  if (json) return JSON.stringify({ status: 'error', error: err.toJSON() }, null, 2) + '\n';
  let text = `Error: ${err.message}\n`;
  if (err.hint) text += `Hint: ${err.hint}\n`;
  if (process.env.DEBUG && err.stack) text += err.stack + '\n';
  return text;
}
