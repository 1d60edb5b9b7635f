import type { CmfError } from '../errors/index.js';

/**
 * How every cmf error reaches stderr: `Error: message` and `Hint: hint` lines (the stack too
 * with DEBUG set), or with --json one JSON object `{status: 'error', error}`.
 */
export function renderError(err: CmfError, json: boolean): string {
  if (json) return JSON.stringify({ status: 'error', error: err.toJSON() }, null, 2) + '\n';
  let text = `Error: ${err.message}\n`;
  if (err.hint) text += `Hint: ${err.hint}\n`;
  if (process.env.DEBUG && err.stack) text += err.stack + '\n';
  return text;
}
