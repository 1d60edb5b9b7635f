/**
 * The server's PostgreSQL store, opened with two things the `pg` driver gets wrong for a
 * command-line server: its multi-line "SECURITY WARNING" about `sslmode` aliases, printed raw
 * on stderr the first time a URL with `sslmode=prefer|require|verify-ca` is parsed, and a
 * failed SSL negotiation reported with the advice for an unreachable server.
 */
import { CmfError, errorInChain, withHint } from '../errors/index.js';
import type { AsyncMlmdStore } from '../mlmd/async-store.js';
import { PostgresMlmdStore } from '../mlmd/postgres/index.js';

/** The start of pg-connection-string's warning; other warnings pass through. */
const SSLMODE_WARNING = /^SECURITY WARNING: The SSL modes /;

export async function openPostgresStore(url: string): Promise<AsyncMlmdStore> {
  const emitWarning = process.emitWarning;
  // The driver parses the URL when it makes a connection, inside open(); the README says
  // what these modes mean with this driver, so the warning is dropped, only for that time.
  process.emitWarning = function (this: unknown, warning: string | Error, ...rest: unknown[]) {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (SSLMODE_WARNING.test(text)) return;
    return (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return await PostgresMlmdStore.open(url);
  } catch (err) {
    throw withSslHint(err, url);
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** A connection that failed on SSL gets advice about sslmode, not "check that it runs". */
function withSslHint(err: unknown, url: string): unknown {
  if (!(err instanceof CmfError)) return err;
  const says = (re: RegExp) =>
    errorInChain(err, (e) => typeof e.message === 'string' && re.test(e.message)) !== undefined;
  const sslmode = new URL(url).searchParams.get('sslmode');
  let hint: string | undefined;
  if (says(/does not support SSL/i)) {
    hint = `The PostgreSQL server does not accept SSL connections${sslmode ? `, but --database asks for sslmode=${sslmode}` : ''}: enable ssl on the server, or use sslmode=disable (or no sslmode) in --database.`;
  } else if (sslmode && says(/certificate|self.signed|SSL|TLS/i)) {
    hint = `The SSL connection failed. With this driver sslmode=prefer, require and verify-ca verify the certificate like verify-full: give the CA with sslrootcert=<file> in --database, or add uselibpqcompat=true for libpq's meaning of sslmode=${sslmode}.`;
  }
  return hint === undefined ? err : withHint(err, hint);
}
