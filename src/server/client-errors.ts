/**
 * Every way a metadata-server request can fail, as a typed error with a hint and an exit
 * code (cmflib prints raw exception text and exits 0, §11 items 1–3 and 21).
 */
import {
  CmfError,
  codeInChain,
  ConfigError,
  NotFoundError,
  OperationError,
  type CmfErrorOptions,
} from '../errors/index.js';
import { isPlainHttpReason, tlsHandshakeReason } from '../util/tls-errors.js';
import { maskUrlSecrets } from '../util/url-secrets.js';

/** What the request was for, in messages: "metadata push", "upload of labels/x.csv", ... */
export interface RequestInfo {
  operation: string;
  url: string;
  pipeline?: string;
  /** What the request authenticated with, if anything (`the token from CMF_SERVER_TOKEN`). */
  credentials?: string;
}

export class ServerError extends OperationError {}

/** The server's own explanation: FastAPI's `{detail}` (string or validation list) or the text. */
export function detailOf(body: string): string {
  try {
    const parsed = JSON.parse(body) as { detail?: unknown; error?: unknown; message?: unknown };
    const d = parsed.detail ?? parsed.error ?? parsed.message;
    if (typeof d === 'string') return d;
    if (d !== undefined) return JSON.stringify(d);
  } catch {
    // not JSON: the text itself
  }
  return body.trim().slice(0, 500);
}

function opts(
  info: RequestInfo,
  hint: string,
  data: Record<string, unknown> = {},
): CmfErrorOptions {
  return {
    hint,
    data: { url: info.url, ...(info.pipeline ? { pipeline: info.pipeline } : {}), ...data },
  };
}

/**
 * An HTTP answer that is not a success for `info.operation`, after `attempts` tries (a
 * hint must not claim retries that CMF_SERVER_RETRIES=0 turned off).
 */
export function httpError(info: RequestInfo, status: number, body: string, attempts = 1): CmfError {
  const detail = detailOf(body);
  const said = detail ? `: ${detail}` : '';
  const what = `${info.operation} failed with HTTP ${status}${said}`;
  const data = { status, detail, attempts };
  if (status === 422 && detail === 'version_update') {
    return new ServerError(
      'SERVER_VERSION_UPDATE',
      `${info.operation} refused: cmf must be updated (version_update)`,
      opts(
        info,
        'The metadata holds executions without an Execution_uuid (written by an old cmf). Re-log them with a current cmf, or push with -e <uuid> an execution that has one.',
        data,
      ),
    );
  }
  if (status === 401 || status === 403) {
    const set =
      'CMF_SERVER_TOKEN=<token>, or `dvc config --local db.cmf-server.password <token>` in the project';
    return new ConfigError(
      'SERVER_UNAUTHORIZED',
      what,
      opts(
        info,
        info.credentials
          ? `The server refused ${info.credentials}: use the token it was started with (cmf server start --token), set with ${set}.`
          : `The request carried no token. Set the server's: ${set}.`,
        { ...data, credentials: info.credentials ?? null },
      ),
    );
  }
  if (status === 404 && isRouteMissing(body)) {
    const base = serverBase(info.url);
    const fix = base.endsWith('/api')
      ? `cmf-server-url is the server's base URL, without /api: try ${base.slice(0, -4) || base}`
      : "cmf-server-url is the server's base URL, under which its routes are /api/… (the URL `cmf server start` prints, or nginx's address for a Python cmf-server)";
    return new ConfigError(
      'SERVER_ROUTE_NOT_FOUND',
      `${info.operation}: ${info.url} does not exist (HTTP 404): ${base} does not look like a cmf server`,
      opts(
        info,
        `${fix}; set it in .cmfconfig (cmf init … --cmf-server-url) or CMF_SERVER_URL.`,
        data,
      ),
    );
  }
  if (status === 404) {
    return new NotFoundError(
      'SERVER_NOT_FOUND',
      what,
      opts(
        info,
        `Check that ${info.url} is a cmf server (cmf-server-url in .cmfconfig, or CMF_SERVER_URL) and the names you gave.`,
        data,
      ),
    );
  }
  if (status === 413) {
    return new ServerError(
      'SERVER_PAYLOAD_TOO_LARGE',
      what,
      opts(
        info,
        'The server refuses bodies this large: raise its limit (cmf server start --body-limit; client_max_body_size behind nginx), or push one execution at a time with -e.',
        data,
      ),
    );
  }
  if (status === 400 || status === 422) {
    return new ServerError(
      'SERVER_REJECTED',
      what,
      opts(
        info,
        'The server found the request malformed; the detail above says why. If the MLMD file is damaged, check it with `cmf pipeline list`.',
        data,
      ),
    );
  }
  if (status === 429) {
    return new ServerError(
      'SERVER_BUSY',
      what,
      opts(
        info,
        `The server is rate limiting${attempts > 1 ? ` (${attempts} attempts, with backoff)` : ''}; try again later.`,
        data,
      ),
    );
  }
  if (status >= 500) {
    const tried = attempts > 1 ? ` (${attempts} attempts, with backoff)` : '';
    // 502-504 come from a gateway (nginx in front of a Python cmf-server, a load balancer)
    // more often than from the server: the server behind it is down or too slow.
    const gateway = status >= 502 && status <= 504;
    return new ServerError(
      'SERVER_ERROR',
      what,
      opts(
        info,
        gateway
          ? `HTTP ${status} usually comes from a gateway or proxy in front of the server: the cmf server behind it is down, restarting or too slow${tried}. Check it (and the proxy's log), then run the command again.`
          : `The server failed while handling the request${tried}; its log has the reason.`,
        data,
      ),
    );
  }
  return new ServerError(
    'SERVER_UNEXPECTED_STATUS',
    what,
    opts(info, `Check that ${info.url} is a cmf server.`, data),
  );
}

/**
 * A redirect (nginx sending http:// to https://, a moved server). `target` is where the
 * request was sent (absolute); when it is the same route under another base URL, that base
 * is what cmf-server-url should be.
 */
export function redirectError(info: RequestInfo, status: number, target: string): CmfError {
  const shown = maskUrlSecrets(target);
  const sent = URL.parse(info.url)?.pathname ?? '';
  const route = sent.slice(sent.lastIndexOf('/api/'));
  const t = URL.parse(target);
  const suggested =
    t && route.startsWith('/api/') && t.pathname.endsWith(route)
      ? `${t.origin}${t.pathname.slice(0, -route.length)}`
      : undefined;
  return new ConfigError(
    'SERVER_REDIRECT',
    `${info.operation}: ${info.url} redirects (HTTP ${status}) to ${shown}`,
    opts(
      info,
      suggested !== undefined
        ? `Set cmf-server-url to ${suggested} (cmf init … --cmf-server-url, or CMF_SERVER_URL); cmf does not follow redirects, so that a push and its token go only where you configured.`
        : "cmf does not follow redirects: set cmf-server-url (cmf init … --cmf-server-url, or CMF_SERVER_URL) to the server's own base URL, under which its routes are /api/….",
      { status, location: shown },
    ),
  );
}

/**
 * Whether a 404 says the route itself is missing, rather than something the route looked
 * for (a pipeline): a cmf server names what it did not find in a JSON `detail` (ours and
 * Python's: "Pipeline P not found."), while an unknown route gets Starlette's generic
 * `{"detail": "Not Found"}` (Python's server), our server's "No route …", or a page of
 * whatever answers at that URL (nginx, fastify's `{"error": "Not Found", "message": …}`).
 */
export function isRouteMissing(body: string): boolean {
  let detail: unknown;
  try {
    detail = (JSON.parse(body) as { detail?: unknown } | null)?.detail;
  } catch {
    return true;
  }
  return typeof detail !== 'string' || detail === 'Not Found' || detail.startsWith('No route ');
}

/**
 * A 2xx answer whose body is not what a cmf server sends (a proxy's or a login page's HTML,
 * a truncated body): `reason` says what was wrong with it.
 */
export function badAnswerError(info: RequestInfo, reason: string, body: string): CmfError {
  const start = body.trim().slice(0, 80);
  return new ServerError(
    'SERVER_BAD_ANSWER',
    `${info.operation}: the server's answer is not ${reason}${start ? ` (it starts: ${JSON.stringify(start)})` : ''}`,
    opts(
      info,
      `Check that ${info.url} is a cmf server (cmf-server-url in .cmfconfig, or CMF_SERVER_URL), not a proxy or login page.`,
      { body: start },
    ),
  );
}

/** The request never got an answer. */
export function transportError(info: RequestInfo, err: unknown, timeoutMs: number): CmfError {
  if (isTimeout(err)) {
    return new ServerError(
      'SERVER_TIMEOUT',
      `${info.operation}: no answer from ${info.url} within ${timeoutMs / 1000} s`,
      opts(
        info,
        'The server may be overloaded or the payload large; raise the limit with CMF_SERVER_TIMEOUT=<seconds>.',
        { timeoutMs },
      ),
    );
  }
  const handshake = tlsHandshakeReason(err);
  if (handshake !== undefined) return tlsError(info, handshake, err);
  const code = errorCode(err);
  const reason = code ?? (err as Error)?.message ?? String(err);
  const answered = (err as { answeredStatus?: number } | undefined)?.answeredStatus;
  if (answered !== undefined) {
    return new ServerError(
      'SERVER_ANSWER_CUT',
      `${info.operation}: ${serverBase(info.url)} answered (HTTP ${answered}) but the connection was cut before the end of its answer (${reason})`,
      {
        ...opts(
          info,
          'The server, or a proxy in front of it, stopped mid-answer (a crash or a restart): run the command again (what a push sends is merged once), and check their logs if it happens again.',
          { code: code ?? null, status: answered },
        ),
        cause: err,
      },
    );
  }
  return new ServerError(
    'SERVER_UNREACHABLE',
    `${info.operation}: cannot reach the cmf server at ${info.url} (${reason})`,
    {
      ...opts(
        info,
        'Is the server running? Check cmf-server-url (cmf init show), or set CMF_SERVER_URL; start one with `cmf server start`.',
        { code: code ?? null },
      ),
      cause: err,
    },
  );
}

/** An https:// URL whose server does not complete a TLS handshake (most often: plain http). */
function tlsError(info: RequestInfo, reason: string, cause: unknown): CmfError {
  const plainHttp = isPlainHttpReason(reason);
  const base = serverBase(info.url);
  return new ConfigError(
    'SERVER_TLS',
    plainHttp
      ? `${info.operation}: ${base} does not answer in TLS (${reason}): it looks like a plain http:// server`
      : `${info.operation}: the TLS handshake with ${base} failed (${reason})`,
    {
      ...opts(
        info,
        plainHttp
          ? `Set cmf-server-url to ${base.replace(/^https:/i, 'http:')} (cmf init … --cmf-server-url, or CMF_SERVER_URL); \`cmf server start\` speaks plain http.`
          : 'Check cmf-server-url (cmf init show) and its port, and that the server speaks TLS there.',
        { reason },
      ),
      cause,
    },
  );
}

/** The configured URL: what comes before the client's own `/api/<route>`. */
function serverBase(url: string): string {
  const at = url.lastIndexOf('/api/');
  return at > 0 ? url.slice(0, at) : url;
}

export function isTimeout(err: unknown): boolean {
  return (err as Error)?.name === 'TimeoutError';
}

/** The system error code of a failed request (ECONNREFUSED, ...), or of what caused it. */
export function errorCode(err: unknown): string | undefined {
  return codeInChain(err, () => true);
}
