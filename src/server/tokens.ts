import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Bearer token check. Tokens are compared through their SHA-256 digests with
 * timingSafeEqual: equal-length inputs, so neither the content nor the length of a
 * configured token leaks through response times; every configured token is tried.
 */
export class TokenSet {
  private readonly digests: Buffer[];

  constructor(tokens: readonly string[]) {
    this.digests = tokens.filter((t) => t !== '').map(digest);
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** True when `authorization` is `Bearer <one of the tokens>`. */
  accepts(authorization: string | undefined): boolean {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    const given = digest(m ? m[1]! : '');
    let ok = false;
    for (const d of this.digests) ok = timingSafeEqual(d, given) || ok;
    return ok && m !== null;
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Tokens from `--token` flags and `CMF_SERVER_TOKEN` (comma-separated), blanks dropped. */
export function collectTokens(
  flags: readonly string[] | undefined,
  env: string | undefined,
): string[] {
  const all = [...(flags ?? []), ...(env ?? '').split(',')].map((t) => t.trim());
  return [...new Set(all.filter((t) => t !== ''))];
}
