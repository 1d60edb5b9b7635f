import {
  CmfError,
  ConfigError,
  NotFoundError,
  OperationError,
  codeInChain,
} from '../errors/index.js';
import { isPlainHttpReason } from '../util/tls-errors.js';
import { dfCommand, shortageAt } from '../errors/no-room.js';

/** Error codes that make every further request to the same remote pointless. */
export const FATAL_REMOTE_CODES = new Set([
  'REMOTE_AUTH',
  'REMOTE_UNREACHABLE',
  'REMOTE_NOT_ANSWERING',
  'REMOTE_ACCESS_DENIED',
  'REMOTE_BUCKET_MISSING',
  'SSH_HOST_KEY_UNKNOWN',
  'SSH_HOST_KEY_MISMATCH',
  'OSDF_TOKEN_EXPIRED',
  'OSDF_TOKEN_INVALID',
  'REMOTE_TLS',
  'REMOTE_WRONG_REGION',
  'REMOTE_ROOT_MISSING',
  'REMOTE_NOT_WRITABLE',
  'REMOTE_NOT_READABLE',
  'REMOTE_FULL',
  'REMOTE_CONNECTION_LOST',
  // Not the remote's fault, but as final: nothing downloaded can be stored.
  'CACHE_NOT_WRITABLE',
  'DISK_FULL',
  'TOO_MANY_OPEN_FILES',
]);

export function isFatalRemoteError(err: unknown): boolean {
  return err instanceof CmfError && FATAL_REMOTE_CODES.has(err.code);
}

export function missingObject(location: string, key: string, cause?: unknown): NotFoundError {
  return new NotFoundError('REMOTE_OBJECT_MISSING', `${key} is not on the remote ${location}`, {
    hint: 'Push it from a machine that has it in its cache (cmf artifact push).',
    data: { location, key },
    cause,
  });
}

/** The remote's directory itself is missing: every object is, so one error says so. */
export function remoteRootMissing(location: string, root: string, cause?: unknown): NotFoundError {
  return new NotFoundError('REMOTE_ROOT_MISSING', `The remote directory ${root} does not exist`, {
    hint: "Check the remote's url ('cmf init show'); push creates the directory, pull needs it.",
    data: { location, root },
    cause,
  });
}

export function authFailed(
  location: string,
  credential: string,
  detail: string,
  cause?: unknown,
): ConfigError {
  return new ConfigError(
    'REMOTE_AUTH',
    `The remote ${location} refused the credentials: ${detail}`,
    {
      hint: `Check ${credential} (cmf init, or .dvc/config.local).`,
      data: { location },
      cause,
    },
  );
}

/**
 * No credentials were found at all (the AWS chain came up empty, or a named profile does not
 * exist): nothing was refused, so saying "refused" would send the user to check keys they
 * never gave.
 */
export function noCredentials(
  location: string,
  credential: string,
  detail: string,
  cause?: unknown,
): ConfigError {
  return new ConfigError('REMOTE_NO_CREDENTIALS', `No credentials for ${location}: ${detail}`, {
    hint: `Provide ${credential}; 'cmf init show' shows what the remote is configured with.`,
    data: { location },
    cause,
  });
}

/**
 * Errnos that mean the server cannot be reached at all. A reset or timed-out connection is
 * not among them: it is transient (REMOTE_FAILED) and the transfer engine retries it.
 */
const NET_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** The network errno of `err` or of any error in its cause chain / AggregateError. */
export function networkCode(err: unknown): string | undefined {
  return codeInChain(err, (code) => NET_CODES.has(code));
}

/**
 * `answeredBefore`: the server had answered earlier in this run, so the refusal may be a
 * restart or a network blip; the engine tries such requests again before giving up.
 */
export function unreachable(
  hostPort: string,
  code: string,
  cause?: unknown,
  answeredBefore = false,
): OperationError {
  return new OperationError(
    'REMOTE_UNREACHABLE',
    answeredBefore
      ? `Lost the remote at ${hostPort} (${code}): it answered earlier in this run, then stopped accepting connections`
      : `Cannot reach the remote at ${hostPort} (${code})`,
    {
      hint: answeredBefore
        ? `Check that the server at ${hostPort} is running again and reachable, then run the command again: objects already transferred are not transferred again.`
        : `Check that the server at ${hostPort} is running and reachable from here.`,
      data: { hostPort, errno: code, ...(answeredBefore ? { answeredBefore } : {}) },
      cause,
    },
  );
}

/**
 * The server took the connection but never answered (a black hole: a firewall, a proxy or a
 * hung server). Only said of an endpoint that has not answered once in this run, so that a
 * request that is merely slow on a server that works stays a transient failure.
 */
export function notAnswering(
  endpoint: string,
  hostPort: string,
  seconds: number,
  cause?: unknown,
): OperationError {
  return new OperationError(
    'REMOTE_NOT_ANSWERING',
    `The ${endpoint} accepted the connection but did not answer within ${seconds} s`,
    {
      hint:
        `Check the URL and port (is ${hostPort} the server's HTTP port?), any proxy on the ` +
        'way, and that the server is healthy. A server that is only slow to answer its first ' +
        'request: raise connect_timeout (seconds) for the remote in .dvc/config.',
      data: { endpoint, hostPort, seconds },
      cause,
    },
  );
}

/**
 * A server that answered earlier in this run went silent: requests timed out one after the
 * other while it answered nothing at all. One error stops the transfer.
 */
export function stoppedAnswering(
  endpoint: string,
  hostPort: string,
  seconds: number,
  cause?: unknown,
): OperationError {
  return new OperationError(
    'REMOTE_NOT_ANSWERING',
    `The ${endpoint} stopped answering: requests timed out after ${seconds} s without data, ` +
      'and it answered nothing meanwhile',
    {
      hint:
        `Check that the server at ${hostPort} is healthy and reachable, then run the command ` +
        'again (what was transferred stays). A server that is only slow: raise read_timeout ' +
        '(seconds) for the remote in .dvc/config.',
      data: { endpoint, hostPort, seconds },
      cause,
    },
  );
}

/**
 * A server that answers reads and listings but leaves every upload unanswered (out of space,
 * a full Ceph cluster, a read-only mode): one error stops the transfer instead of each object
 * waiting out every retry.
 */
export function writesNotAnswered(
  endpoint: string,
  hostPort: string,
  count: number,
  seconds: number,
  cause?: unknown,
): OperationError {
  return new OperationError(
    'REMOTE_NOT_ANSWERING',
    `The ${endpoint} answers other requests but left ${count} uploads in a row unanswered ` +
      `for ${seconds} s each: it does not accept writes now`,
    {
      hint:
        `Check the server at ${hostPort} for free space, quotas or a read-only mode, then run ` +
        'the command again (what was uploaded stays). A server that is only slow to store: ' +
        'raise read_timeout (seconds) for the remote in .dvc/config.',
      data: { endpoint, hostPort, seconds, unansweredWrites: count },
      cause,
    },
  );
}

/**
 * The credentials were accepted but their account lacks permission for an operation (S3
 * AccessDenied): not a credential problem, so the hint is about the bucket's policy.
 */
export function accessDenied(
  location: string,
  bucket: string,
  operation: string,
  permission: string,
  credential: string,
  cause?: unknown,
): ConfigError {
  return new ConfigError(
    'REMOTE_ACCESS_DENIED',
    `The remote ${location} denied ${operation}: the keys are valid but lack permission on ` +
      `the bucket '${bucket}' (AccessDenied)`,
    {
      hint:
        `The account of ${credential} lacks ${permission} on the bucket '${bucket}': grant it ` +
        "in the bucket's policy or ACL, or use keys of an account that has it.",
      data: { location, bucket, operation, permission },
      cause,
    },
  );
}

export function remoteFailed(location: string, what: string, err: unknown): OperationError {
  const raw = err instanceof Error ? err.message : String(err);
  // Node's words for a connection closed in the middle of an answer ('aborted', 'response
  // aborted', 'socket hang up' with ECONNRESET) say nothing to a user.
  const reset = (err as NodeJS.ErrnoException | undefined)?.code === 'ECONNRESET';
  const msg = reset
    ? `the connection was closed before the whole answer came (${raw}, ECONNRESET)`
    : raw;
  return new OperationError('REMOTE_FAILED', `${what} on ${location} failed: ${msg}`, {
    hint: 'Retry; objects already transferred are not transferred again.',
    data: { location },
    cause: err,
  });
}

/**
 * A directory stands where an object file belongs (`path`): no cmf or DVC write makes one
 * there, so someone did; every retry would fail alike.
 */
export function objectIsDirectory(
  location: string,
  what: string,
  path: string,
  cause?: unknown,
): OperationError {
  return new OperationError(
    'REMOTE_OBJECT_IS_DIRECTORY',
    `${what} on ${location} failed: ${path} is a directory, where the object's file belongs`,
    {
      hint: `Neither cmf nor DVC makes directories there: move ${path} aside on the remote (check what it holds first), then run the command again.`,
      data: { location, path },
      cause,
    },
  );
}

/**
 * The connection to the server ended in the middle of the work (server stopped, network or
 * relay dropped it) and the work could not be resumed: `detail` says how it ended, `after`
 * why it was not resumed (a new connection failed, or was lost too).
 */
export function connectionLost(
  hostPort: string,
  what: string,
  detail: string,
  after: string,
  cause?: unknown,
): OperationError {
  return new OperationError(
    'REMOTE_CONNECTION_LOST',
    `Lost the connection to ${hostPort} during ${what} (${detail}); ${after}`,
    {
      hint:
        `Check that the server at ${hostPort} is up and the network to it is stable, then run ` +
        'the command again: objects already transferred are not transferred again.',
      data: { hostPort },
      cause,
    },
  );
}

/**
 * The remote refused access to `path` (permissions, or a read-only file system): every other
 * object would fail the same way, so it stops the transfer. `user` is who the remote knows us
 * as; `onServer` says the path is on another machine (SSH), not this one (a local remote).
 */
export function permissionDenied(
  location: string,
  what: string,
  access: { path: string; user: string; write: boolean; onServer: boolean; readOnly?: boolean },
  cause?: unknown,
): OperationError {
  const { path, user, write, onServer, readOnly } = access;
  const where = `${path}${onServer ? ' on the server' : ''}`;
  return new OperationError(
    write ? 'REMOTE_NOT_WRITABLE' : 'REMOTE_NOT_READABLE',
    `${what} on ${location} failed: ${readOnly ? 'read-only file system' : 'permission denied'} on ${path}`,
    {
      hint: readOnly
        ? `The file system of ${where} is mounted read-only: remount it read-write, or set the remote's url to a writable directory, then run the command again.`
        : `Check that ${user} may ${write ? 'write to' : 'read'} ${where} (its owner and mode), then run the command again.`,
      data: { location, path, user },
      cause,
    },
  );
}

/** The remote's filesystem is full (or the user's quota used up): no other object fits either. */
export function remoteFull(
  location: string,
  what: string,
  path: string,
  cause?: unknown,
  onServer = true,
) {
  // Only a directory on this machine can be asked whether it ran out of inodes.
  const shortage = onServer ? 'space' : shortageAt(path);
  const hint =
    shortage === 'inodes'
      ? `Remove files from the filesystem of ${path}: it has room but no free inodes (\`${dfCommand(path, shortage)}\`), then push again.`
      : `Free space on the filesystem of ${path}${onServer ? ' on the server' : ''} (or raise the quota), then push again.`;
  return new OperationError(
    'REMOTE_FULL',
    `${what} on ${location} failed: ${shortage === 'inodes' ? 'no free inodes left' : 'no space left'}`,
    { hint, data: { location, path, shortage }, cause },
  );
}

/**
 * This process ran out of file descriptors (EMFILE) with `jobs` transfers in parallel: every
 * other transfer would fail the same way, so one error stops them, saying what to change.
 */
export function tooManyOpenFiles(jobs: number, cause?: unknown): OperationError {
  return new OperationError(
    'TOO_MANY_OPEN_FILES',
    `Ran out of open files with ${jobs} transfers in parallel (EMFILE)`,
    {
      hint:
        "Lower -j, or raise the open-file limit ('ulimit -n'), then run the command again: " +
        'objects already transferred are not transferred again.',
      data: { jobs },
      cause,
    },
  );
}

/** The TLS certificate error code in `err`'s cause chain, if any. */
export function tlsCode(err: unknown): string | undefined {
  return codeInChain(err, (code) => /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code));
}

export function tlsHandshakeFailed(hostPort: string, reason: string, cause?: unknown): ConfigError {
  const plainHttp = isPlainHttpReason(reason);
  return new ConfigError(
    'REMOTE_TLS',
    plainHttp
      ? `${hostPort} did not answer in TLS (${reason}): is it a plain http:// server?`
      : `The TLS handshake with ${hostPort} failed (${reason})`,
    {
      hint: plainHttp
        ? "If the server does not use TLS, write http:// in the remote's URL or endpoint " +
          "('cmf init show' shows it); otherwise check the port."
        : "Check the remote's URL and port ('cmf init show') and that the server speaks TLS.",
      data: { hostPort, reason },
      cause,
    },
  );
}

/** `howToTrust`: the remote's own way to name a CA or turn verification off, for the hint. */
export function tlsFailed(
  hostPort: string,
  code: string,
  cause?: unknown,
  howToTrust = 'set ssl_verify for the remote to the path of the CA bundle that signed it, or, if you trust the network, to false',
): ConfigError {
  return new ConfigError(
    'REMOTE_TLS',
    `The TLS certificate of ${hostPort} could not be verified (${code})`,
    {
      hint: `Install the CA that signed it (NODE_EXTRA_CA_CERTS), or ${howToTrust}.`,
      data: { hostPort, errno: code },
      cause,
    },
  );
}
