/**
 * Passwords in the userinfo of URLs (`scheme://user:password@host`), wherever in a text they
 * appear. The authority ends at `/`, `?`, `#` or whitespace, and its last `@` ends the
 * userinfo (as the WHATWG parser reads it), so a raw `@` inside a password is still masked.
 */
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^/?#\s]*)@/gi;

/** The user part and the password of one userinfo; no password when there is no `:…`. */
function split(userinfo: string): { user: string; password?: string } {
  const colon = userinfo.indexOf(':');
  if (colon < 0 || colon === userinfo.length - 1) return { user: userinfo.replace(/:$/, '') };
  return { user: userinfo.slice(0, colon), password: userinfo.slice(colon + 1) };
}

/** Whether `text` holds a URL with a (non-empty) password. */
export function hasUrlPassword(text: string): boolean {
  return [...text.matchAll(USERINFO)].some((m) => split(m[2]!).password !== undefined);
}

/** `text` with each URL password replaced by `****` (`scheme://user:****@host`). */
export function maskUrlPasswords(text: string): string {
  return text.replace(USERINFO, (whole, scheme: string, userinfo: string) => {
    const { user, password } = split(userinfo);
    return password === undefined ? whole : `${scheme}${user}:****@`;
  });
}

/** `text` with each URL password removed, the user kept (`scheme://user@host`). */
export function stripUrlPasswords(text: string): string {
  return text.replace(USERINFO, (whole, scheme: string, userinfo: string) => {
    const { user, password } = split(userinfo);
    if (password === undefined) return whole;
    return user === '' ? scheme : `${scheme}${user}@`;
  });
}
