import { createHmac, createSecretKey, hash, type KeyObject } from 'node:crypto';

/**
 * AWS Signature Version 4 for S3 requests, header form. Written here rather than taken from
 * the AWS SDK because the SDK's middleware stack costs a few milliseconds of CPU per request
 * — more than the transfer itself for the thousands of small objects an artifact push moves.
 * Bodies are not hashed: uploads are signed `UNSIGNED-PAYLOAD` and carry `Content-MD5`
 * instead, which the server checks (the MD5 is the object's name, so it costs nothing).
 */

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SignInput {
  method: string;
  /** The request URL exactly as it will be sent (path already percent-encoded). */
  url: URL;
  region: string;
  credentials: S3Credentials;
  /** Extra headers to sign and send (names lower case). */
  headers?: Record<string, string>;
  /** SHA-256 hex of the body; default: the hash of an empty body, or UNSIGNED-PAYLOAD. */
  payloadHash?: string;
  /** Signing time (for tests); default now. */
  now?: Date;
}

export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

const sha256Hex = (s: string): string => hash('sha256', s, 'hex');
const hmac = (key: Buffer | string, s: string): Buffer =>
  createHmac('sha256', key).update(s, 'utf8').digest();

/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ is escaped. */
export function uriEncode(s: string, keepSlash = false): string {
  const e = encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return keepSlash ? e.replace(/%2F/g, '/') : e;
}

/**
 * The signing key depends only on secret, day and region: derived once a day, and kept as a
 * KeyObject (an HMAC keyed with a KeyObject costs a fifth of one keyed with a Buffer).
 */
const keyCache = new Map<string, KeyObject>();
function signingKey(secret: string, day: string, region: string): KeyObject {
  const id = `${secret}\n${day}\n${region}`;
  let key = keyCache.get(id);
  if (!key) {
    key = createSecretKey(
      hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), 's3'), 'aws4_request'),
    );
    keyCache.clear(); // one day and region at a time is all a process needs
    keyCache.set(id, key);
  }
  return key;
}

/** Returns the headers to send: the input's, plus host, x-amz-* and authorization. */
export function signS3(input: SignInput): Record<string, string> {
  const { url, credentials: c } = input;
  const amzDate = (input.now ?? new Date()).toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    ...input.headers,
    host: url.host,
    'x-amz-date': amzDate,
    'x-amz-content-sha256': input.payloadHash ?? EMPTY_SHA256,
  };
  if (c.sessionToken) headers['x-amz-security-token'] = c.sessionToken;

  const names = Object.keys(headers)
    .map((n) => n.toLowerCase())
    .sort();
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const canonicalHeaders = names
    .map((n) => `${n}:${String(lower[n]).trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const signedHeaders = names.join(';');
  const query = [...url.searchParams]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = [
    input.method,
    url.pathname,
    query,
    canonicalHeaders,
    signedHeaders,
    headers['x-amz-content-sha256'],
  ].join('\n');
  const scope = `${day}/${input.region}/s3/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
  const signature = createHmac('sha256', signingKey(c.secretAccessKey, day, input.region))
    .update(stringToSign, 'utf8')
    .digest('hex');
  headers.authorization =
    `AWS4-HMAC-SHA256 Credential=${c.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}
