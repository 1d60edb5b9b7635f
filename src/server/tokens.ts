import { createHash, timingSafeEqual } from 'node:crypto';
import { UsageError } from '../errors/index.js';

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

/**
 * Tokens from `--token` flags and `CMF_SERVER_TOKEN` (comma-separated; an unset or empty
 * variable means none). A blank value given on purpose — `--token ""`, `--token "$UNSET"`,
 * `CMF_SERVER_TOKEN=,,` — is refused: dropping it would start an open server while its
 * operator believes it is protected. Blank items beside real tokens (`t1,`) are dropped.
 */
export function collectTokens(
  flags: readonly string[] | undefined,
  env: string | undefined,
): string[] {
  const given = (flags ?? []).map((t) => t.trim());
  if (given.includes('')) {
    throw blankToken(
      '--token was given an empty value',
      'Give --token a non-blank value (was the shell variable it came from unset?)',
    );
  }
  const fromEnv = (env ?? '').split(',').map((t) => t.trim());
  if (env !== undefined && env !== '' && fromEnv.every((t) => t === '')) {
    throw blankToken(
      `CMF_SERVER_TOKEN holds no token (${JSON.stringify(env)})`,
      'Give CMF_SERVER_TOKEN one or more non-blank tokens, comma-separated',
    );
  }
  return [...new Set([...given, ...fromEnv].filter((t) => t !== ''))];
}

function blankToken(message: string, fix: string): UsageError {
  return new UsageError('SERVER_TOKEN_EMPTY', `${message}: it would turn authentication off`, {
    hint: `${fix}. To run without authentication, give no --token and leave CMF_SERVER_TOKEN unset or empty.`,
  });
}
