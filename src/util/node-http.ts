import { createRequire } from 'node:module';

/**
 * node:http and node:https, loaded with require. An ESM import of a built-in evaluates every
 * export, lazy ones included, and node:http's include Node's bundled undici (measured: 40–70
 * ms for `import 'node:http'`, 6 ms for require; the first `fetch` costs ~60 ms for the same
 * reason). node:https is loaded on first use: TLS adds another 15–20 ms.
 */
const require = createRequire(import.meta.url);

export const http = require('node:http') as typeof import('node:http');

/** The HTTP statuses that send a client elsewhere (with a Location header). */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

let httpsModule: typeof import('node:https') | undefined;

export function https(): typeof import('node:https') {
  return (httpsModule ??= require('node:https') as typeof import('node:https'));
}
