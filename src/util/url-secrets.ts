/**
 * Secrets inside URLs, wherever in a text they appear: the password of the userinfo
 * (`scheme://user:password@host`) and the values of query parameters that carry
 * credentials (`?password=`, `?token=`, `X-Amz-Signature=`, XRootD/OSDF's `?authz=`,
 * `…secret…=`). The authority ends at `/`, `?`, `#` or whitespace, and its last `@` ends the
 * userinfo (as the WHATWG parser reads it), so a raw `@` inside a password is still masked.
 * One scan serves the check, the masking and the stripping, so that they always agree on
 * what a secret is.
 */
// A URL runs to whitespace or to the next `scheme://` (`a=s3://a:b@x/1,s3://c:d@y` is two).
const URL_TEXT = /([a-z][a-z0-9+.-]*:\/\/)((?:(?![a-z][a-z0-9+.-]*:\/\/)\S)*)/gi;

/** Query keys whose value is a credential, compared without case, `-` or `_`. */
const SECRET_KEY =
  /password|passwd|secret|token|signature|credential|apikey|accesskey|privatekey|^(pwd|pass|sig|key|auth|authz|authorization|bearer|jwt)$/;

function isSecretKey(rawKey: string): boolean {
  let key = rawKey;
  try {
    key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
  } catch {
    // A malformed escape: judge the key as written.
  }
  return SECRET_KEY.test(key.toLowerCase().replace(/[-_]/g, ''));
}

type Treat = 'mask' | 'strip';

/** One URL (scheme excluded) with its secrets treated; `found` says whether it had any. */
function treatUrl(rest: string, how: Treat): { text: string; found: boolean } {
  let found = false;
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  let tail = authorityEnd < 0 ? '' : rest.slice(authorityEnd);
  let head = authority;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    const colon = userinfo.indexOf(':');
    if (colon >= 0 && colon < userinfo.length - 1) {
      found = true;
      const user = userinfo.slice(0, colon);
      const host = authority.slice(at + 1);
      if (how === 'mask') head = `${user}:****@${host}`;
      else head = user === '' ? host : `${user}@${host}`;
    }
  }
  const q = tail.indexOf('?');
  if (q >= 0) {
    const hash = tail.indexOf('#', q);
    const query = tail.slice(q + 1, hash < 0 ? undefined : hash);
    const kept: string[] = [];
    for (const param of query.split('&')) {
      const eq = param.indexOf('=');
      const secret = eq > 0 && eq < param.length - 1 && isSecretKey(param.slice(0, eq));
      found ||= secret;
      if (!secret) kept.push(param);
      else if (how === 'mask') kept.push(`${param.slice(0, eq)}=****`);
    }
    const fragment = hash < 0 ? '' : tail.slice(hash);
    tail = tail.slice(0, q) + (kept.length > 0 ? `?${kept.join('&')}` : '') + fragment;
  }
  return { text: head + tail, found };
}

function treat(text: string, how: Treat): { text: string; found: boolean } {
  let found = false;
  const out = text.replace(URL_TEXT, (_whole, scheme: string, rest: string) => {
    const r = treatUrl(rest, how);
    found ||= r.found;
    return scheme + r.text;
  });
  return { text: out, found };
}

/** Whether `text` holds a URL with a (non-empty) password or secret query parameter. */
export function hasUrlSecret(text: string): boolean {
  return treat(text, 'mask').found;
}

/** `text` with each URL secret replaced by `****` (`scheme://user:****@host/?token=****`). */
export function maskUrlSecrets(text: string): string {
  return treat(text, 'mask').text;
}

/** `text` with each URL secret removed: the user kept (`scheme://user@host`), secret parameters dropped. */
export function stripUrlSecrets(text: string): string {
  return treat(text, 'strip').text;
}
