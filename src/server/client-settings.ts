/**
 * Where the client finds its server: `cmf-server-url` and `cmf-server-token` from the
 * project's resolved configuration (CMF_SERVER_URL / CMF_SERVER_TOKEN, then
 * `.dvc/config.local` `[db "cmf-server"] password`, then `.cmfconfig`), or — outside a cmf
 * project, which `metadata pull` allows — the environment and the default.
 */
import { DEFAULT_CMF_SERVER_URL, findProjectRoot, resolveConfig } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import { maskUrlSecrets } from '../util/url-secrets.js';
import type { ServerClientOptions } from './client.js';

export async function serverClientOptions(
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ServerClientOptions> {
  let url = env.CMF_SERVER_URL || DEFAULT_CMF_SERVER_URL;
  let token = env.CMF_SERVER_TOKEN || undefined;
  let tokenSource = token ? 'CMF_SERVER_TOKEN' : undefined;
  if (findProjectRoot(cwd, env) !== undefined) {
    const { entries } = await resolveConfig(cwd, env);
    const get = (key: string) => entries.find((e) => e.key === key && e.value);
    url = get('cmf-server-url')?.value || url;
    const configured = get('cmf-server-token');
    if (configured) {
      token = configured.value;
      tokenSource = configured.variable ?? configured.source;
    }
  }
  checkUrl(url);
  return {
    url,
    token,
    tokenSource,
    timeoutMs: positive(env, 'CMF_SERVER_TIMEOUT', 1000),
    retries: positive(env, 'CMF_SERVER_RETRIES', 1, true),
  };
}

function checkUrl(url: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !['http:', 'https:'].includes(parsed.protocol)) {
    throw new ConfigError(
      'SERVER_URL_INVALID',
      `cmf-server-url "${maskUrlSecrets(url)}" is not an http(s) URL`,
      {
        hint: "Set it with 'cmf init … --cmf-server-url http://host:port' or CMF_SERVER_URL.",
      },
    );
  }
  // Routes are appended to the URL (`<url>/api/mlmd_push`): a query or fragment would end
  // up before them, and the request would go to the server's root.
  if (/[?#]/.test(url)) {
    const base = `${parsed.protocol}//${parsed.host}${parsed.pathname}`.replace(/\/+$/, '');
    throw new ConfigError(
      'SERVER_URL_INVALID',
      `cmf-server-url "${maskUrlSecrets(url)}" has a query or fragment (?… or #…): the server's routes are appended to it`,
      {
        hint: `Give the server's base URL only, e.g. ${base} (cmf init … --cmf-server-url, or CMF_SERVER_URL).`,
      },
    );
  }
}

/** A number from the environment (× `scale`), undefined when unset; zero allowed if `zeroOk`. */
function positive(
  env: NodeJS.ProcessEnv,
  name: string,
  scale: number,
  zeroOk = false,
): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !zeroOk)) {
    throw new ConfigError('CONFIG_INVALID', `${name}=${raw} is not a valid number`, {
      hint: `Unset ${name}, or give it a ${zeroOk ? 'non-negative' : 'positive'} number.`,
    });
  }
  return n * scale;
}
