import { errorInChain } from '../errors/index.js';

// What a failed TLS handshake says, for the remotes' and the metadata server client's errors.

/**
 * The reason of an OpenSSL handshake error (not a certificate one) in `err`'s cause chain, as
 * in "…:SSL routines:tls_validate_record_header:wrong version number:…" (Node gives such
 * errors the code EPROTO). "wrong version number" is what an https:// URL pointed at a
 * plain-HTTP port gets: the server's HTTP answer is not a TLS record.
 */
export function tlsHandshakeReason(err: unknown): string | undefined {
  const found = errorInChain(
    err,
    (e) => typeof e.message === 'string' && e.message.includes(':SSL routines:'),
  );
  return (found?.message as string | undefined)?.match(/:SSL routines:[^:]*:([^:]+):/)?.[1];
}

/**
 * Whether a handshake failure's reason (see {@link tlsHandshakeReason}) says the server
 * answered in plain HTTP: an https:// URL for an http:// server.
 */
export function isPlainHttpReason(reason: string): boolean {
  return /wrong version number|http request/i.test(reason);
}
