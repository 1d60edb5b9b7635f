import { randomUUID, createPrivateKey, type KeyObject } from 'node:crypto';
import { ConfigError } from '../errors/index.js';
import { readRegularFile } from '../fs/regular-file.js';
import { unreadableReason } from '../fs/unreadable.js';

/**
 * Bearer tokens for an OSDF origin (cmf-reference §8). A token comes from a file (re-read
 * when it nears expiry, so an external refresher can renew it), from a literal string, or is
 * minted from a private key the way cmf's scitokens call does: RS256 or ES256, `kid`, `iss`,
 * WLCG scopes, 600 s lifetime. Minted tokens are re-minted before they expire, so a long
 * transfer never sends a stale one.
 */

export interface OsdfKeySettings {
  keyId: string;
  /** PEM private key (RSA or EC P-256), no passphrase. */
  keyPath: string;
  issuer: string;
  /** Default 600 s, as scitokens. */
  lifetimeSeconds?: number;
}

export interface OsdfTokenSettings {
  tokenFile?: string;
  /** A literal token, with or without `Bearer `. */
  token?: string;
  key?: OsdfKeySettings;
}

export const OSDF_SCOPES = 'storage.create:/ storage.modify:/ storage.read:/';
export const OSDF_AUDIENCE = 'https://wlcg.cern.ch/jwt/v1/any';
/** Renew when less than this is left, so a request started now still carries a valid token. */
const RENEW_MARGIN_S = 60;

/** A token without its `Bearer ` scheme (matched without case, as HTTP auth schemes are). */
export function stripBearer(token: string): string {
  return token.trim().replace(/^Bearer\s+/i, '');
}

/**
 * The `exp` claim of a JWT (seconds), undefined when it has none; throws when undecodable.
 * `tokenFile`: the file it was read from, named in the error.
 */
export function tokenExpiry(jwt: string, tokenFile?: string): number | undefined {
  const parts = jwt.split('.');
  let payload: { exp?: unknown };
  try {
    if (parts.length !== 3) throw new Error('not three parts');
    payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { exp?: unknown };
  } catch (err) {
    throw new ConfigError(
      'OSDF_TOKEN_INVALID',
      `The OSDF access token${tokenFile ? ` in ${tokenFile}` : ''} is not a readable JWT`,
      {
        hint: tokenFile
          ? `Refresh ${tokenFile} with a valid token (three base64url parts separated by dots), or point access_token in the [osdf] section of .cmfconfig at another token file.`
          : 'Re-run cmf init osdfremote with a valid --access-token, or with --key-id/--key-path/--key-issuer.',
        ...(tokenFile ? { data: { source: tokenFile } } : {}),
        cause: err,
      },
    );
  }
  return typeof payload.exp === 'number' ? payload.exp : undefined;
}

function algorithmFor(key: KeyObject): 'RS256' | 'ES256' {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return 'ES256';
  }
  throw new ConfigError('OSDF_KEY_UNSUPPORTED', 'The OSDF signing key must be RSA or EC P-256', {
    hint: 'Point key_path at an RSA or P-256 EC private key in PEM form.',
  });
}

/** Mints a SciToken-style JWT as cmf's generate_osdf_token does. */
export async function mintOsdfToken(
  key: OsdfKeySettings,
  now = Math.floor(Date.now() / 1000),
): Promise<string> {
  const unreadable = (why: string, cause: unknown) =>
    new ConfigError(
      'OSDF_KEY_UNREADABLE',
      `Cannot use the OSDF signing key ${key.keyPath}: ${why}`,
      {
        hint:
          'Point key_path in the [osdf] section of .cmfconfig at an unencrypted PEM private key ' +
          '(RSA or EC P-256), e.g. with cmf init osdfremote --key-path.',
        data: { path: key.keyPath },
        cause,
      },
    );
  let pem: string;
  try {
    pem = await readRegularFile(key.keyPath, 'utf8');
  } catch (err) {
    throw unreadable(unreadableReason(err), err);
  }
  let issuer: URL;
  try {
    issuer = new URL(key.issuer);
    if (!issuer.host) throw new Error('no host');
  } catch (err) {
    throw new ConfigError(
      'OSDF_ISSUER_INVALID',
      `The OSDF key issuer is not a URL: ${key.issuer}`,
      {
        hint: 'Set key_issuer to the issuer URL, e.g. https://issuer.example.org.',
        cause: err,
      },
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    // An encrypted key asks for a passphrase, which scitokens never gives either.
    const encrypted = /ENCRYPTED/.test(pem);
    throw unreadable(
      encrypted ? 'it is protected by a passphrase' : 'it is not a PEM private key',
      err,
    );
  }
  const alg = algorithmFor(privateKey);
  const { SignJWT } = await import('jose');
  return new SignJWT({ scope: OSDF_SCOPES, 'wlcg.ver': '1.0' })
    .setProtectedHeader({ alg, typ: 'JWT', kid: key.keyId })
    .setIssuer(key.issuer)
    .setSubject('anything')
    .setAudience(OSDF_AUDIENCE)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + (key.lifetimeSeconds ?? 600))
    .setJti(randomUUID())
    .sign(privateKey);
}

function expired(source: string, tokenFile: string | undefined): ConfigError {
  return new ConfigError('OSDF_TOKEN_EXPIRED', `The OSDF access token (${source}) has expired`, {
    hint: tokenFile
      ? `Refresh the token file ${tokenFile} (it is read again at each run), or re-run cmf init osdfremote with another token or with signing-key options.`
      : 'Re-run cmf init osdfremote with a new --access-token (a token file can then be refreshed in place), or with signing-key options.',
    data: { source },
  });
}

async function readTokenFile(tokenFile: string): Promise<string> {
  try {
    return await readRegularFile(tokenFile, 'utf8');
  } catch (err) {
    throw new ConfigError('OSDF_TOKEN_UNREADABLE', `Cannot read the OSDF token file ${tokenFile}`, {
      hint: 'Fix access_token in the [osdf] section of .cmfconfig.',
      cause: err,
    });
  }
}

export class OsdfTokenProvider {
  private current?: string;
  private exp?: number;
  private minting?: Promise<void>;

  private readonly settings: OsdfTokenSettings;

  constructor(settings: OsdfTokenSettings) {
    this.settings = settings;
    if (!settings.tokenFile && !settings.token && !settings.key) {
      throw new ConfigError('OSDF_NO_TOKEN', 'No OSDF access token or signing key is configured', {
        hint: 'Run cmf init osdfremote with --access-token, or with --key-id, --key-path and --key-issuer.',
      });
    }
  }

  private source(): string {
    return this.settings.key
      ? 'minted'
      : this.settings.tokenFile
        ? this.settings.tokenFile
        : 'configured';
  }

  private fresh(now: number): boolean {
    return (
      this.current !== undefined && (this.exp === undefined || this.exp - now > RENEW_MARGIN_S)
    );
  }

  private async load(): Promise<void> {
    const { key, tokenFile, token } = this.settings;
    if (key) return this.use(await mintOsdfToken(key));
    if (!tokenFile) return this.use(stripBearer(token!));
    try {
      this.use(stripBearer(await readTokenFile(tokenFile)), tokenFile);
    } catch (err) {
      // A refresher that rewrites the file in place can be caught mid-write (empty, half a
      // token, briefly gone): the token in hand serves until it expires.
      const now = Math.floor(Date.now() / 1000);
      if (this.current !== undefined && (this.exp === undefined || this.exp > now)) return;
      throw err;
    }
  }

  /** Takes a token, once it decodes: a bad one never replaces the one in hand. */
  private use(jwt: string, tokenFile?: string): void {
    const exp = tokenExpiry(jwt, tokenFile);
    this.current = jwt;
    this.exp = exp;
  }

  /** `Bearer <jwt>`, valid for at least a minute (or throws OSDF_TOKEN_EXPIRED). */
  async header(): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    if (!this.fresh(now)) {
      this.minting ??= this.load().finally(() => (this.minting = undefined));
      await this.minting;
    }
    // A file or literal token may still be usable for a little while past the margin.
    if (this.exp !== undefined && this.exp <= Math.floor(Date.now() / 1000))
      throw expired(this.source(), this.settings.key ? undefined : this.settings.tokenFile);
    return `Bearer ${this.current!}`;
  }
}
