import { ConfigError } from '../errors/index.js';

/** What an SSH remote's URL names. */
export interface SshUrl {
  user?: string;
  host: string;
  port?: number;
  /** The directory on the server, exactly as DVC reads it. */
  path: string;
  /** A `?query` of the URL: DVC ignores it (it is not part of the directory). */
  query?: string;
}

/** The parts of Python's urlsplit (a URL is not percent-decoded there, nor here). */
function splitUrl(url: string): { scheme: string; netloc: string; path: string; query: string } {
  // urlsplit drops leading C0 controls and spaces, and tabs and newlines anywhere.
  // eslint-disable-next-line no-control-regex -- those control characters are the point
  let rest = url.replace(/^[\x00-\x20]+/, '').replace(/[\t\r\n]/g, '');
  let scheme = '';
  const colon = rest.indexOf(':');
  if (colon > 0 && /^[A-Za-z][A-Za-z0-9+.-]*$/.test(rest.slice(0, colon))) {
    scheme = rest.slice(0, colon).toLowerCase();
    rest = rest.slice(colon + 1);
  }
  let netloc = '';
  if (rest.startsWith('//')) {
    const end = rest.slice(2).search(/[/?#]/);
    netloc = end < 0 ? rest.slice(2) : rest.slice(2, end + 2);
    rest = end < 0 ? '' : rest.slice(end + 2);
  }
  let fragment = '';
  const hash = rest.indexOf('#');
  if (hash >= 0) [rest, fragment] = [rest.slice(0, hash), rest.slice(hash + 1)];
  let query = '';
  const q = rest.indexOf('?');
  if (q >= 0) [rest, query] = [rest.slice(0, q), rest.slice(q + 1)];
  // fsspec's infer_storage_options puts a fragment back: `#` is part of the path for DVC.
  return { scheme, netloc, path: fragment ? `${rest}#${fragment}` : rest, query };
}

/** `data.why` says what is wrong, for callers that word the error their own way. */
function invalid(url: string, why: string): ConfigError {
  return new ConfigError('CONFIG_INVALID', `Not a valid SSH URL: ${url} (${why})`, {
    hint: 'Use ssh://[user@]host[:port]/absolute/path.',
    data: { url, why },
  });
}

/**
 * Reads `ssh://[user@]host[:port]/path` as DVC does (fsspec's infer_storage_options over
 * Python's urlsplit), so that cmf, DVC and Python cmf use one directory: nothing is
 * percent-decoded (`%20` is three characters of the name), a `#…` is part of the path, a
 * `?…` is split off (and ignored by DVC). The user is taken as written too. An IPv6 host is
 * given without its brackets.
 */
export function parseSshUrl(url: string): SshUrl {
  const parts = splitUrl(url);
  if (parts.scheme !== 'ssh') {
    throw new ConfigError('CONFIG_INVALID', `Not an SSH URL: ${url}`, {
      hint: 'Use ssh://[user@]host[:port]/absolute/path.',
      data: { url },
    });
  }
  const at = parts.netloc.lastIndexOf('@');
  const userinfo = at >= 0 ? parts.netloc.slice(0, at) : undefined;
  const hostinfo = parts.netloc.slice(at + 1);
  let host: string;
  let port: string;
  if (hostinfo.startsWith('[')) {
    const close = hostinfo.indexOf(']');
    if (close < 0) throw invalid(url, "a '[' without ']' around the host");
    host = hostinfo.slice(1, close);
    const after = hostinfo.slice(close + 1);
    port = after.startsWith(':') ? after.slice(1) : '';
  } else {
    if (hostinfo.includes(']')) throw invalid(url, "a ']' without '[' around the host");
    // fsspec takes the host up to the last ':', urlsplit the port after the first one: a
    // second ':' makes the port invalid for both.
    const c = hostinfo.indexOf(':');
    host = c < 0 ? hostinfo : hostinfo.slice(0, hostinfo.lastIndexOf(':'));
    port = c < 0 ? '' : hostinfo.slice(c + 1);
  }
  if (!host) throw invalid(url, 'no host');
  if (port !== '' && !/^[0-9]+$/.test(port)) throw invalid(url, `port '${port}' is not a number`);
  if (port !== '' && Number(port) > 65535) throw invalid(url, `port ${port} is out of range`);
  const user = userinfo?.split(':', 1)[0];
  return {
    user: user || undefined,
    host,
    // Port 0 counts as none, as in DVC.
    port: Number(port) || undefined,
    path: parts.path || '/',
    query: parts.query || undefined,
  };
}
