import { createWriteStream, existsSync, statSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type SftpClient from 'ssh2-sftp-client';
import type { AuthMethod, Client as SshClient, ConnectConfig, SFTPWrapper, Stats } from 'ssh2';
import { CmfError, ConfigError, OperationError } from '../errors/index.js';
import { isOwnTempName, tempName } from '../fs/atomic.js';
import { isStaleTempName } from '../fs/stale-temps.js';
import {
  isObjectDir,
  oidFromKey,
  isTempName,
  type GetTarget,
  type PutSource,
  type RemoteDriver,
  type Spill,
  type TransferOptions,
} from './driver.js';
import {
  permissionDenied,
  authFailed,
  connectionLost,
  missingObject,
  networkCode,
  objectIsDirectory,
  remoteFailed,
  remoteFull,
  remoteRootMissing,
  unreachable,
} from './errors.js';
import {
  addKnownHost,
  checkKnownHosts,
  fingerprint,
  knownHostsName,
  readKnownHosts,
  type HostKeyVerdict,
} from './known-hosts.js';
import { expandTokens, lookupSshConfig } from './ssh-config.js';
import { parseSshUrl } from './ssh-url.js';
import { agentLimitedTo } from './ssh-agent-limit.js';
import { DEFAULT_KEYS, inspectKey } from './ssh-key.js';
import { startProxyCommand, type ProxyProcess } from './ssh-proxy.js';
import { counting } from './streams.js';
import { withKeepOnStop, withUndoOnStop } from './in-flight.js';
import { UploadRecords, type UploadTarget } from './upload-records.js';
import { Gate } from '../util/gate.js';
import { waitAtMost } from '../util/wait-at-most.js';
import { readRegularFileSync } from '../fs/regular-file.js';

export interface SshSettings {
  /** `ssh://[user@]host[:port]/abs/path` */
  url: string;
  user?: string;
  port?: number;
  /**
   * The password, as given or base64-encoded as `cmf init sshremote` stores it: both are
   * offered to the server (decoded first), so either form works.
   */
  password?: string;
  keyfile?: string;
  passphrase?: string;
  /** Use the agent at SSH_AUTH_SOCK (default: when it is set). */
  allowAgent?: boolean;
  /** Default ~/.ssh/known_hosts. */
  knownHostsPath?: string;
  /** Accept and record a host key seen for the first time (never a changed one). */
  acceptNewHostKey?: boolean;
  /** Connect timeout in ms. */
  timeout?: number;
  /** OpenSSH client configuration consulted for the URL's host (default ~/.ssh/config). */
  sshConfigPath?: string;
  /**
   * Where the project records its large uploads (upload-records.ts): with it, the temp file
   * of an upload of a file of {@link RESUMABLE_MIN} bytes or more that is interrupted or
   * fails is kept, and the next push of the object appends the rest to it.
   */
  uploadRecords?: string;
}

/** The decoded form of a base64 password, when it plausibly is one. */
function base64Decoded(value: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value) || value.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64') !== value) return undefined;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)
      ? undefined
      : text;
  } catch {
    return undefined;
  }
}

/**
 * The key files to offer, and how an authentication error names them: the remote's keyfile,
 * else the existing IdentityFiles of ~/.ssh/config, else (unless a password is set) the
 * default keys that exist.
 */
function keyFilesFor(
  settings: SshSettings,
  identityFiles: readonly string[],
): { files: string[]; label: string } {
  if (settings.keyfile)
    return { files: [settings.keyfile], label: `keyfile (${settings.keyfile})` };
  const configured = identityFiles.filter((p) => existsSync(p));
  if (configured.length > 0)
    return {
      files: configured,
      label: `the IdentityFile of your SSH config (${configured.join(', ')})`,
    };
  if (settings.password) return { files: [], label: '' };
  const defaults = DEFAULT_KEYS.map((k) => join(homedir(), '.ssh', k)).filter((p) => existsSync(p));
  return { files: defaults, label: 'your SSH keys' };
}

/** One SSH connection and its SFTP session; a lost one is replaced by a new one. */
interface Session {
  client: SftpClient;
  /** The raw SFTP session under the client, for small reads in few round trips. */
  sftp: SFTPWrapper;
  /** The ProxyCommand (or ProxyJump's ssh) carrying the connection, if any. */
  proxy: ProxyProcess | undefined;
  /** Rejects once the connection is gone: every request on the session races it. */
  lost: Promise<never>;
  /** How the connection ended, once it has. */
  gone?: Error;
  /** Set by close(): the end that follows is ours, not a loss. */
  closing: boolean;
  /** Directories made (or being made) over this connection: one mkdir per directory. */
  dirs: Map<string, Promise<void>>;
  /** Requests in flight on this connection, at most {@link MAX_REQUESTS_PER_CONNECTION}. */
  requests: Gate;
  /** Records the connection as gone (`lost` rejects), unless close() ended it. */
  markGone(why: Error): void;
  /** Ends the connection at once (a lost one cannot be ended politely). */
  destroy(): void;
}

/** Watches a new connection: its end, unless close() asked for it, makes `lost` reject. */
function watchSession(
  client: SftpClient,
  sftp: SFTPWrapper,
  proxy: ProxyProcess | undefined,
  keepalive: { interval: number; countMax: number },
): Session {
  const raw = (client as unknown as { client: SshClient }).client;
  let fail!: (err: Error) => void;
  const lost = new Promise<never>((_, reject) => (fail = reject));
  lost.catch(() => undefined);
  let cause: Error | undefined;
  const session: Session = {
    client,
    sftp,
    proxy,
    lost,
    closing: false,
    dirs: new Map(),
    requests: new Gate(MAX_REQUESTS_PER_CONNECTION),
    markGone: (why) => {
      if (session.closing || session.gone) return;
      session.gone = why;
      fail(why);
    },
    destroy: () => {
      raw.destroy();
      proxy?.stop();
    },
  };
  // Every call of ssh2-sftp-client adds an end, a close and an error listener to the
  // connection while it runs, so the listener counts grow with the calls in flight: at most
  // one per request (the gate bounds those) and one clean-up call per request on a stop (see
  // withUndoOnStop in put). Node's default limit of 10 is for the fixed listeners.
  raw.setMaxListeners(raw.getMaxListeners() + 2 * MAX_REQUESTS_PER_CONNECTION);
  const ended = (): void =>
    session.markGone(cause ?? new Error('the server closed the connection'));
  raw.on('error', (err: Error) => {
    if (err.message === 'Keepalive timeout') {
      const waited = keepalive.interval * (keepalive.countMax + 1);
      err = new Error(
        `the server stopped answering (no reply to SSH keepalives for ${waited} s; ` +
          'ServerAliveInterval and ServerAliveCountMax in ~/.ssh/config set how long to wait)',
        { cause: err },
      );
    }
    cause ??= err;
  });
  raw.on('end', ended);
  raw.on('close', ended);
  sftp.on('close', ended);
  return session;
}

/**
 * What ssh2 and ssh2-sftp-client say when a request meets a connection that is already gone,
 * sometimes before the connection's own close event arrives.
 */
const GONE_MESSAGE =
  /No SFTP connection|Unexpected (end|close) event|No response from server|Not connected|connection (was )?(reset|lost)|ECONNRESET|EPIPE/i;
const GONE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ERR_NOT_CONNECTED']);

/** A request failed because its connection is gone (internal: run() turns it into a retry). */
class ConnectionGone extends Error {
  readonly session: Session;
  constructor(session: Session) {
    super(session.gone?.message ?? 'connection lost');
    this.session = session;
  }
}

/**
 * Keepalives when ~/.ssh/config sets none: a stalled connection is given up after about a
 * minute (OpenSSH sends none by default and would wait for TCP to time out, hours).
 */
const KEEPALIVE_INTERVAL_S = 15;
const KEEPALIVE_COUNT_MAX = 3;

/**
 * Requests (an upload, a download, a listing…) in flight on one connection, at most: more
 * wait their turn. One connection pipelines its requests, so a higher -j gains little past
 * this, and it bounds the listeners the SFTP library adds per call (see watchSession).
 */
const MAX_REQUESTS_PER_CONNECTION = 32;

/** Connections made after a loss, at most, per driver (each interrupted request retries once). */
const MAX_RECONNECTS = 3;

/**
 * SFTP status codes (draft-ietf-secsh-filexfer): 3 permission denied, 4 the generic FAILURE
 * (OpenSSH's answer for a full disk or a directory in the way too); 14/15 of v5+ servers.
 */
const SFTP_PERMISSION_DENIED = 3;
const SFTP_FAILURE = 4;
const SFTP_NO_SPACE = new Set([14, 15]);

/** Files at least this big are uploaded resumably when the driver has upload records. */
const RESUMABLE_MIN = 32 << 20;
/**
 * Writes of a resumable upload: their size, and how many are in flight. 2 MiB in flight, as
 * fastPut's 64 × 32 KiB, in fewer requests (one OpenSSH packet holds up to 256 KiB); about
 * as fast as fastPut in a 256 MiB upload to a local OpenSSH server (1.6–2.8 s against
 * 1.9–3.2 s, on a loaded machine).
 */
const WRITE_CHUNK = 128 << 10;
const WRITES_IN_FLIGHT = 16;
/** The local file is read this much at a time for a resumable upload. */
const READ_BLOCK = 1 << 20;
/** How often (in bytes the server acknowledged) a resumable upload's record is brought up to date. */
const RECORD_EVERY = 16 << 20;
/** Bytes before the resume point read back and compared with the local file. */
const TAIL_CHECK = 64 << 10;

/** What the upload records hold for an SFTP upload. */
interface SftpRecord {
  /** The temp file's name, in the object's directory. */
  tmp: string;
  size: number;
  md5: string | undefined;
  /** Bytes from the start that the server acknowledged, all of them. */
  confirmed: number;
}

/**
 * SFTP over one SSH connection (requests are pipelined, so parallel transfers share it).
 * Uploads go to `.<random>.tmp` in the target directory and are renamed into place with
 * posix-rename, as DVC does (A4.1). The configured port is honoured, a host of
 * ~/.ssh/config is resolved as ssh would (HostName, User, Port, IdentityFile), and host keys
 * are checked against known_hosts. A connection lost mid-way is replaced by a new one and the
 * interrupted requests are made again, once (uploads are atomic, downloads start over); lost
 * again, or not to be had, it is one REMOTE_CONNECTION_LOST error.
 */
export class SshDriver implements RemoteDriver {
  readonly kind = 'ssh' as const;
  readonly defaultJobs = 4;
  readonly canList = true;
  readonly location: string;

  private readonly connect: () => Promise<Session>;
  /** The connection requests go over; replaced after a loss. */
  private current: Promise<Session>;
  private reconnects = 0;
  private readonly root: string;
  private readonly hostPort: string;
  /** Who the server knows us as, for permission hints. */
  private readonly user: string;
  /** Whether the remote directory exists, asked once after the first missing object. */
  private rootExists: Promise<boolean> | undefined;
  /** Object directories rid of stale temp files by this driver (or being). */
  private readonly swept = new Map<string, Promise<void>>();
  /** The server's clock minus ours (ms), measured once a sweep needs it. */
  private clockOffset: Promise<number> | undefined;
  private readonly records?: UploadRecords;
  /**
   * Temp files the stale-temp sweep must leave alone, however old: those the project's
   * upload records name (the next push resumes them) and those this driver is filling.
   */
  private keptTemps?: Promise<Set<string>>;
  private readonly ownTemps = new Set<string>();

  private constructor(
    connect: () => Promise<Session>,
    first: Session,
    at: { root: string; location: string; hostPort: string; user: string },
    uploadRecords?: string,
  ) {
    if (uploadRecords) this.records = new UploadRecords(uploadRecords);
    this.connect = connect;
    this.current = Promise.resolve(first);
    this.root = at.root;
    this.location = at.location;
    this.hostPort = at.hostPort;
    this.user = at.user;
  }

  static async open(settings: SshSettings): Promise<SshDriver> {
    const parsed = parseSshUrl(settings.url);
    // The remote's own settings and URL first, then ~/.ssh/config, as DVC does.
    const sshConfig = lookupSshConfig(
      parsed.host,
      settings.sshConfigPath,
      settings.user ?? parsed.user,
    );
    const host = sshConfig.hostname ?? parsed.host;
    const port = settings.port ?? parsed.port ?? sshConfig.port ?? 22;
    const username = settings.user ?? parsed.user ?? sshConfig.user ?? userInfo().username;
    const hostPort = `${host}:${port}`;
    const location = `ssh://${username}@${hostPort}${parsed.path}`;

    const knownHostsPath = settings.knownHostsPath ?? join(homedir(), '.ssh', 'known_hosts');
    const name = sshConfig.hostKeyAlias ?? knownHostsName(host, port);

    const methods: AuthMethod[] = [];
    const credentials: string[] = [];
    const keys = keyFilesFor(settings, sshConfig.identityFiles);
    // Passphrase-protected keys with no passphrase set: not offered (ssh would prompt), but
    // named if the login fails, or before connecting when nothing else could log in.
    const locked: string[] = [];
    for (const file of keys.files) {
      let key: Buffer;
      try {
        key = readRegularFileSync(file);
      } catch (err) {
        throw new ConfigError('SSH_KEYFILE_UNREADABLE', `Cannot read the SSH key file ${file}`, {
          hint: 'Fix keyfile in the remote configuration.',
          cause: err,
        });
      }
      const inspected = inspectKey(key, settings.passphrase);
      const explicit = file === settings.keyfile;
      if (inspected.state === 'encrypted') {
        locked.push(file);
        continue;
      }
      if (inspected.state === 'wrong-passphrase') {
        if (explicit) throw wrongPassphrase(file);
        locked.push(file);
        continue;
      }
      if (inspected.state === 'unreadable') {
        if (explicit) {
          throw new ConfigError(
            'SSH_KEYFILE_INVALID',
            `The SSH key file ${file} is not a private key cmf can use: ${inspected.detail}`,
            {
              hint: 'Give an OpenSSH, PEM or PuTTY private key (ssh-keygen -p -f FILE converts one to the OpenSSH format), or use the SSH agent.',
              data: { keyfile: file },
            },
          );
        }
        continue;
      }
      methods.push({
        type: 'publickey',
        username,
        key,
        passphrase: settings.passphrase,
      } as AuthMethod);
    }
    if (methods.length) credentials.push(keys.label);
    const agent = process.env.SSH_AUTH_SOCK;
    if (agent && settings.allowAgent !== false) {
      // IdentitiesOnly (the usual cure for "Too many authentication failures" when an agent
      // holds many keys): the agent offers only the keys of the configured files.
      const limited = sshConfig.identitiesOnly === true && keys.files.length > 0;
      methods.push({
        type: 'agent',
        username,
        agent: limited ? await agentLimitedTo(agent, keys.files) : agent,
      } as AuthMethod);
      credentials.push(
        limited ? 'the keys of those files in your SSH agent' : 'the keys in your SSH agent',
      );
    }
    if (settings.password) {
      const decoded = base64Decoded(settings.password);
      for (const password of decoded ? [decoded, settings.password] : [settings.password]) {
        methods.push({ type: 'password', username, password } as AuthMethod);
      }
      credentials.push('user and password');
    }
    if (methods.length === 0) {
      if (locked.length) throw keyEncrypted(locked);
      throw new ConfigError('SSH_NO_CREDENTIALS', `No SSH credentials for ${location}`, {
        hint: 'Set password or keyfile for the remote, or start an SSH agent.',
      });
    }

    const keepalive = {
      interval: sshConfig.serverAliveInterval ?? KEEPALIVE_INTERVAL_S,
      countMax: sshConfig.serverAliveCountMax ?? KEEPALIVE_COUNT_MAX,
    };
    const { default: Client } = await import('ssh2-sftp-client');
    const connect = async (): Promise<Session> => {
      // Read for every connection: a key accepted by the first one is known to the next.
      const knownText = await readKnownHosts(knownHostsPath);
      // Set by the host verifier callback during connect.
      const seen: { verdict: HostKeyVerdict; key?: Buffer } = { verdict: 'unknown' };
      // Without callbacks of its own, the client prints "Global … listener" lines to stdout
      // and stderr on connection events: failures reach us as rejected promises instead.
      const quiet = () => undefined;
      const client = new Client('cmf', { error: quiet, end: quiet, close: quiet });
      const config: ConnectConfig = {
        host,
        port,
        username,
        readyTimeout: settings.timeout ?? 20_000,
        // A connection that stalls without closing (a dropped VPN, a NAT that forgot us) would
        // hang every request on it: unanswered keepalives end it, and run() reconnects.
        keepaliveInterval: keepalive.interval * 1000,
        keepaliveCountMax: keepalive.countMax,
        authHandler: methods.map((m) => ({ ...m })),
        hostVerifier: (key: Buffer) => {
          seen.key = key;
          seen.verdict = checkKnownHosts(knownText, name, key);
          return (
            seen.verdict === 'known' ||
            (seen.verdict === 'unknown' && settings.acceptNewHostKey === true)
          );
        },
      };
      // ProxyCommand / ProxyJump of ~/.ssh/config: the connection runs over a command's stdio.
      const proxyCommand =
        sshConfig.proxyCommand &&
        expandTokens(sshConfig.proxyCommand, {
          host,
          port,
          user: username,
          original: parsed.host,
        });
      const proxy = proxyCommand ? startProxyCommand(proxyCommand) : undefined;
      if (proxy) config.sock = proxy.sock;
      let sftp: SFTPWrapper;
      try {
        sftp = await client.connect(config as SftpClient.ConnectOptions);
      } catch (err) {
        await client.end().catch(() => undefined);
        const { verdict, key } = seen;
        if (proxy && !key) {
          // The proxy (or a jump host behind it) failed; its stderr, once it exits, says why.
          const failure = await proxyFailed(proxy, proxyCommand!, hostPort, parsed.host, err);
          proxy.stop();
          throw failure;
        }
        proxy?.stop();
        if (key && verdict !== 'known' && !(verdict === 'unknown' && settings.acceptNewHostKey)) {
          throw hostKeyError(verdict, name, key, knownHostsPath, err);
        }
        const net = networkCode(err);
        if (net) throw unreachable(hostPort, net, err);
        const msg = (err as Error).message ?? String(err);
        if (/authentication|auth methods/i.test(msg)) {
          if (locked.length) throw keyEncrypted(locked, `${credentials.join(' or ')}: ${msg}`);
          throw authFailed(location, credentials.join(' or '), msg, err);
        }
        throw remoteFailed(location, 'SSH connection', err);
      }
      if (seen.verdict === 'unknown' && seen.key) {
        await addKnownHost(knownHostsPath, name, seen.key);
      }
      client.on('error', () => undefined);
      return watchSession(client, sftp, proxy, keepalive);
    };
    return new SshDriver(
      connect,
      await connect(),
      { root: parsed.path, location, hostPort, user: username },
      settings.uploadRecords,
    );
  }

  /**
   * Runs `op` over the current connection. If the connection is lost under it, connects
   * again and runs it once more when `retry` allows (the op must then start from scratch);
   * a second loss, or no new connection, is REMOTE_CONNECTION_LOST. Other errors pass as
   * they are.
   */
  private async run<T>(what: string, op: (s: Session) => Promise<T>, retry = true): Promise<T> {
    const from = this.current;
    let session: Session;
    try {
      session = await from;
    } catch (err) {
      throw this.lostFor(what, undefined, err);
    }
    try {
      return await this.attempt(session, op);
    } catch (err) {
      if (!(err instanceof ConnectionGone)) throw err;
      if (!retry) throw this.lostFor(what, err.session.gone, undefined, true);
      let again: Session;
      try {
        again = await this.reconnect(from, session);
      } catch (failure) {
        throw this.lostFor(what, err.session.gone, failure);
      }
      try {
        return await this.attempt(again, op);
      } catch (err2) {
        if (err2 instanceof ConnectionGone) throw this.lostFor(what, err2.session.gone);
        throw err2;
      }
    }
  }

  /** `op` on `session`, settled when the connection goes even if the library's call is not. */
  private async attempt<T>(session: Session, op: (s: Session) => Promise<T>): Promise<T> {
    // A turn that comes after the connection went must not run (the retry runs instead).
    const request = session.requests.run(() =>
      session.gone ? Promise.reject(new ConnectionGone(session)) : op(session),
    );
    try {
      return await Promise.race([request, session.lost]);
    } catch (err) {
      if (!session.gone && !session.closing && isGoneError(err)) {
        // The request noticed first; the close event follows. Either way the session is done.
        session.markGone(err as Error);
        session.destroy();
      }
      if (session.gone) throw new ConnectionGone(session);
      throw err;
    }
  }

  /**
   * A new connection in place of `lost`, the session of `from`: one for all the requests that
   * lost it (the first to ask makes it; the check and the swap happen without a pause).
   */
  private reconnect(from: Promise<Session>, lost: Session): Promise<Session> {
    if (this.current !== from) return this.current;
    lost.destroy();
    if (this.reconnects >= MAX_RECONNECTS) {
      this.current = Promise.reject(
        new Error(`gave up after ${MAX_RECONNECTS} reconnections in this run`),
      );
    } else {
      this.reconnects++;
      this.current = this.connect();
    }
    this.current.catch(() => undefined);
    return this.current;
  }

  /**
   * The error for a request whose connection is gone. A new connection that failed on its
   * own account (host key changed, credentials refused) is that error instead.
   */
  private lostFor(what: string, gone?: Error, failure?: unknown, noRetry = false): CmfError {
    if (
      failure instanceof CmfError &&
      !['REMOTE_UNREACHABLE', 'REMOTE_FAILED', 'REMOTE_CONNECTION_LOST'].includes(failure.code)
    ) {
      return failure;
    }
    if (failure instanceof CmfError && failure.code === 'REMOTE_CONNECTION_LOST') return failure;
    const detail = gone?.message ?? 'it was lost earlier';
    const after = noRetry
      ? 'a transfer from or into a stream cannot start over'
      : failure === undefined
        ? 'it was lost again after reconnecting'
        : `reconnecting failed: ${failure instanceof Error ? failure.message : String(failure)}`;
    return connectionLost(this.hostPort, what, detail, after, failure ?? gone);
  }

  private path(key: string): string {
    return posix.join(this.root, key);
  }

  /** A path on the server as a URL, for messages (as {@link location} names the root). */
  private urlOf(path: string): string {
    return `ssh://${this.user}@${this.hostPort}${path}`;
  }

  /**
   * The CmfError for a failed request: permission and space errors stop the transfer (every
   * other object would fail alike); a missing object is REMOTE_OBJECT_MISSING.
   */
  private fail(err: unknown, what: string, key?: string, write = false, path?: string): Error {
    if (err instanceof CmfError) return err;
    const msg = (err as Error).message ?? String(err);
    const code = (err as { code?: unknown }).code;
    const at = path ?? (key ? this.path(key) : this.root);
    if (code === SFTP_PERMISSION_DENIED) {
      const access = { path: at, user: this.user, write, onServer: true };
      return permissionDenied(this.location, what, access, err);
    }
    if (write && (SFTP_NO_SPACE.has(code as number) || /no space|quota exceeded/i.test(msg))) {
      return remoteFull(this.location, what, at, err);
    }
    if (key && /no such file|not exist|ENOENT/i.test(msg))
      return missingObject(this.location, key, err);
    return remoteFailed(this.location, what, err);
  }

  /**
   * For SFTP's generic FAILURE about `key`'s object (all a server says when a rename meets a
   * directory there): that directory, named. Undefined when it is something else.
   */
  private async directoryAt(err: unknown, what: string, key: string): Promise<Error | undefined> {
    const code = (err as { code?: unknown } | undefined)?.code;
    // ssh2-sftp-client's own check before a download says ERR_BAD_PATH "Not a regular file".
    if (code !== SFTP_FAILURE && code !== 'ERR_BAD_PATH') return undefined;
    const path = this.path(key);
    const kind = await this.run(`stat of ${key}`, (s) => s.client.exists(path)).catch(() => false);
    return kind === 'd' ? objectIsDirectory(this.location, what, this.urlOf(path), err) : undefined;
  }

  /**
   * For SFTP's generic FAILURE of an upload into `dir` (OpenSSH's sftp-server reports a full
   * disk so): REMOTE_FULL when the server's statvfs says `size` bytes (at least a block) no
   * longer fit there. Undefined when it cannot tell (no statvfs extension) or there is room.
   */
  private async noSpaceAt(
    err: unknown,
    what: string,
    dir: string,
    size: number,
  ): Promise<Error | undefined> {
    if ((err as { code?: unknown } | undefined)?.code !== SFTP_FAILURE) return undefined;
    const fs = await this.run(`statvfs of ${dir}`, (s) =>
      sftpCall<{ f_bavail: number | bigint; f_frsize: number | bigint }>((cb) =>
        s.sftp.ext_openssh_statvfs(dir, cb),
      ),
    ).catch(() => undefined);
    if (!fs) return undefined;
    const free = Number(fs.f_bavail) * Number(fs.f_frsize);
    const needed = Math.max(size, Number(fs.f_frsize), 1);
    return free < needed ? remoteFull(this.location, what, dir, err) : undefined;
  }

  /** A missing object, or a missing remote directory (then every object is: one error). */
  private async downloadFailure(err: unknown, key: string): Promise<Error> {
    const inTheWay = await this.directoryAt(err, `download of ${key}`, key);
    if (inTheWay) return inTheWay;
    const failure = this.fail(err, `download of ${key}`, key);
    if (!(failure instanceof CmfError) || failure.code !== 'REMOTE_OBJECT_MISSING') return failure;
    this.rootExists ??= this.run('stat of the remote directory', (s) =>
      s.client.exists(this.root),
    ).then(
      (kind) => kind === 'd',
      () => true, // cannot tell: report the object
    );
    return (await this.rootExists) ? failure : remoteRootMissing(this.location, this.root, err);
  }

  /**
   * mkdir -p that tolerates other uploads creating the same directories at the same time.
   * A refused mkdir is the error of the directory it was for.
   */
  private ensureDir(s: Session, dir: string): Promise<void> {
    let made = s.dirs.get(dir);
    if (!made) {
      made = (async () => {
        if ((await s.client.exists(dir)) === 'd') return;
        const parent = posix.dirname(dir);
        if (parent !== dir) await this.ensureDir(s, parent);
        try {
          await s.client.mkdir(dir, false);
        } catch (err) {
          if ((await s.client.exists(dir).catch(() => false)) === 'd') return;
          throw this.fail(err, `mkdir ${dir}`, undefined, true, posix.dirname(dir));
        }
      })();
      made.catch(() => s.dirs.delete(dir));
      s.dirs.set(dir, made);
    }
    return made;
  }

  async exists(key: string): Promise<boolean> {
    try {
      return await this.run(
        `stat ${key}`,
        async (s) => (await s.client.exists(this.path(key))) === '-',
      );
    } catch (err) {
      throw this.fail(err, `stat ${key}`, undefined, false, posix.dirname(this.path(key)));
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    let entries;
    try {
      entries = await this.run(`listing ${prefix}`, (s) => s.client.list(this.path(prefix)));
    } catch (err) {
      if (
        !(err instanceof CmfError) &&
        /no such file|not exist|ENOENT/i.test((err as Error).message)
      )
        return;
      throw this.fail(err, `list ${prefix}`, undefined, false, this.path(prefix));
    }
    // The listing a push makes anyway also finds the temp files an interrupted or killed push
    // left in an object directory.
    if (isObjectDir(prefix)) await this.sweepOnce(this.path(prefix), entries);
    for (const e of entries) {
      if (isTempName(e.name)) continue;
      if (e.type === 'd') yield* this.list(`${prefix}${e.name}/`);
      else yield `${prefix}${e.name}`;
    }
  }

  /**
   * Removes the stale temp files of object directory `dir` (by the rule of the local sweep,
   * on the server's clock) the first time this driver lists or writes it; `entries` when it
   * has just been listed. Best effort: a failure leaves the files alone.
   */
  private sweepOnce(
    dir: string,
    entries?: readonly { name: string; type: string; modifyTime: number }[],
  ): Promise<void> {
    let sweep = this.swept.get(dir);
    if (!sweep) {
      sweep = this.run(`removal of stale temp files in ${dir}`, async (s) => {
        const listed = entries ?? (await s.client.list(dir));
        const temps = listed.filter((e) => e.type === '-' && isOwnTempName(e.name));
        if (temps.length === 0) return;
        const now = Date.now() + (await this.serverClockOffset(s, dir));
        const kept = await this.keptTempPaths();
        for (const e of temps) {
          const path = posix.join(dir, e.name);
          if (kept.has(path) || this.ownTemps.has(path)) continue;
          if (isStaleTempName(e.name, e.modifyTime, now)) {
            await s.client.delete(path, true);
          }
        }
      }).catch(() => undefined);
      this.swept.set(dir, sweep);
    }
    return sweep;
  }

  /** The temp files the project's upload records name on this remote (see keptTemps). */
  private keptTempPaths(): Promise<Set<string>> {
    this.keptTemps ??= (async () => {
      const records =
        (await this.records?.all<SftpRecord & UploadTarget>('ssh', this.location)) ?? [];
      return new Set(
        records
          .filter((r) => typeof r.tmp === 'string' && typeof r.key === 'string')
          .map((r) => posix.join(posix.dirname(r.key), r.tmp)),
      );
    })();
    return this.keptTemps;
  }

  /**
   * How far the server's clock is ahead of ours, from the mtime of a file made in `dir` (and
   * removed): a temp file is stale by the clock that stamped it, and a server clock behind ours
   * must not make another push's fresh temp file look an hour old.
   */
  private serverClockOffset(s: Session, dir: string): Promise<number> {
    this.clockOffset ??= (async () => {
      const probe = posix.join(dir, tempName());
      const handle = await sftpCall<Buffer>((cb) => s.sftp.open(probe, 'w', cb));
      const before = Date.now();
      try {
        const { mtime } = await sftpCall<Stats>((cb) => s.sftp.fstat(handle, cb));
        return mtime * 1000 - before;
      } finally {
        await new Promise<void>((done) => s.sftp.close(handle, () => done()));
        await s.client.delete(probe, true).catch(() => undefined);
      }
    })();
    return this.clockOffset;
  }

  async put(key: string, source: PutSource, opts: TransferOptions = {}): Promise<void> {
    if (this.records && typeof source === 'string') {
      const size = opts.size ?? (await stat(source)).size;
      if (size >= RESUMABLE_MIN) {
        const t: UploadTarget = { kind: 'ssh', where: this.location, key: this.path(key) };
        const release = await this.records.claim(t);
        // Claimed by another push of this project under way: that one resumes, not this.
        if (release) {
          try {
            return await this.putResumable(key, source, size, t, opts);
          } finally {
            await release();
          }
        }
      }
    }
    const target = this.path(key);
    const dir = posix.dirname(target);
    // Bytes reported by an attempt the connection cut short: taken back when it starts over.
    let reported = 0;
    let leftover: string | undefined;
    const upload = async (s: Session): Promise<void> => {
      if (reported) opts.onBytes?.(-reported);
      reported = 0;
      if (leftover) {
        // The temp file of the interrupted attempt, now that there is a connection again.
        await s.client.delete(leftover, true).catch(() => undefined);
      }
      const tmp = posix.join(dir, tempName());
      leftover = tmp;
      try {
        await this.ensureDir(s, dir);
        // A stop signal mid-upload removes the temp file (DVC leaves it behind).
        await withUndoOnStop(
          () => s.client.delete(tmp, true),
          async () => {
            if (typeof source === 'string') {
              await s.client.fastPut(source, tmp, {
                step: (_total: number, chunk: number) => {
                  reported += chunk;
                  opts.onBytes?.(chunk);
                },
              });
            } else {
              await s.client.put(source.stream, tmp);
              opts.onBytes?.(source.size);
            }
            await s.client.posixRename(tmp, target);
            leftover = undefined;
          },
          this.urlOf(tmp),
        );
      } catch (err) {
        // Over a live connection only: a lost one would never answer.
        if (!s.gone) {
          const removed = Promise.race([s.client.delete(tmp, true).then(() => true), s.lost]);
          if (await removed.catch(() => false)) leftover = undefined;
        }
        throw err;
      }
    };
    // The first write into an object directory also finds the temp files an interrupted or
    // killed push left there (alongside the upload: it cannot fail it).
    const sweep = isObjectDir(`${posix.dirname(key)}/`) ? this.sweepOnce(dir) : undefined;
    try {
      // A stream cannot be read twice: its upload is not retried.
      await this.run(`upload of ${key}`, upload, typeof source === 'string');
    } catch (err) {
      const size = opts.size ?? (typeof source === 'string' ? 0 : source.size);
      throw await this.uploadFailure(err, key, size);
    } finally {
      await sweep;
    }
  }

  /** The error for a failed upload of `key` (`size` bytes, 0 if not known). */
  private async uploadFailure(err: unknown, key: string, size: number): Promise<Error> {
    const what = `upload of ${key}`;
    const dir = posix.dirname(this.path(key));
    return (
      (await this.directoryAt(err, what, key)) ??
      (await this.noSpaceAt(err, what, dir, size)) ??
      this.fail(err, what, undefined, true, dir)
    );
  }

  /**
   * An upload that survives interruptions: written in order into a temp file the project's
   * upload records name, which keep how many bytes from the start the server has acknowledged
   * (brought up to date every {@link RECORD_EVERY} bytes). A stop or a failure leaves the
   * temp file; the next attempt (after a lost connection, or the next push) claims it by
   * renaming it to a new temp name (so no two pushes ever write into one file), checks that
   * it still holds at least the acknowledged bytes and that their last {@link TAIL_CHECK} are
   * those of the local file, and writes the rest from there. Bytes written but not known to
   * be acknowledged are written again. The bytes before the tail are not read back (that
   * would cost as much as sending them): they are trusted because the server acknowledged
   * each write, and the name of the file they went into is this project's alone.
   */
  private async putResumable(
    key: string,
    source: string,
    size: number,
    t: UploadTarget,
    opts: TransferOptions,
  ): Promise<void> {
    const records = this.records!;
    const target = t.key;
    const dir = posix.dirname(target);
    const md5 = oidFromKey(key)?.slice(0, 32);
    // What an attempt cut short by a lost connection reported: taken back when it starts over.
    let reported = 0;
    let resumed = 0;
    const upload = async (s: Session): Promise<void> => {
      if (reported) opts.onBytes?.(-reported);
      if (resumed) opts.onResumed?.(-resumed);
      reported = resumed = 0;
      await this.ensureDir(s, dir);
      const rec = await records.read<Partial<SftpRecord>>(t);
      let from: { tmp: string; offset: number } | undefined;
      if (rec && rec.size === size && rec.md5 === md5 && typeof rec.tmp === 'string') {
        const old = posix.join(dir, posix.basename(rec.tmp));
        if (isOwnTempName(posix.basename(old))) {
          from = await this.reclaim(s, old, Number(rec.confirmed) || 0, source, size);
        }
      }
      const tmp = from?.tmp ?? posix.join(dir, tempName());
      const offset = from?.offset ?? 0;
      this.ownTemps.add(tmp);
      const record = (confirmed: number) =>
        records.write(t, { tmp: posix.basename(tmp), size, md5, confirmed } as SftpRecord);
      let recording = record(offset);
      try {
        await withKeepOnStop(
          () => recording,
          async () => {
            await recording;
            if (offset > 0) {
              reported += offset;
              resumed += offset;
              opts.onBytes?.(offset);
              opts.onResumed?.(offset);
            }
            let recorded = offset;
            let writing = false;
            await this.writeFrom(s, source, tmp, offset, size, {
              onBytes: (n) => {
                reported += n;
                opts.onBytes?.(n);
              },
              onConfirmed: (confirmed) => {
                if (writing || confirmed - recorded < RECORD_EVERY) return;
                writing = true;
                recorded = confirmed;
                recording = record(confirmed).finally(() => (writing = false));
                recording.catch(() => undefined);
              },
            });
            await recording.catch(() => undefined);
            await s.client.posixRename(tmp, target);
            await records.remove(t);
          },
          this.urlOf(tmp),
        );
      } finally {
        this.ownTemps.delete(tmp);
      }
    };
    try {
      await this.run(`upload of ${key}`, upload);
    } catch (err) {
      throw await this.uploadFailure(err, key, size);
    }
  }

  /**
   * Claims the temp file `old` of an earlier upload (renamed to a new temp name) and returns
   * it with the offset to go on from, or undefined (it is removed if it was claimed) when it
   * cannot be trusted: gone, shorter than the `confirmed` bytes, longer than the object, or
   * whose bytes before `confirmed` end unlike the local file's.
   */
  private async reclaim(
    s: Session,
    old: string,
    confirmed: number,
    source: string,
    size: number,
  ): Promise<{ tmp: string; offset: number } | undefined> {
    const tmp = posix.join(posix.dirname(old), tempName());
    this.ownTemps.add(tmp);
    try {
      await s.client.posixRename(old, tmp);
    } catch (err) {
      this.ownTemps.delete(tmp);
      if (isGoneError(err)) throw err;
      return undefined; // gone (another push took it, or a sweep removed it)
    }
    try {
      const st = await sftpCall<Stats>((cb) => s.sftp.stat(tmp, cb));
      const offset = Math.min(confirmed, size);
      if (st.size >= offset && st.size <= size && (await this.sameTail(s, tmp, source, offset))) {
        return { tmp, offset };
      }
    } catch (err) {
      if (isGoneError(err)) throw err;
    }
    await s.client.delete(tmp, true).catch(() => undefined);
    this.ownTemps.delete(tmp);
    return undefined;
  }

  /** Whether the {@link TAIL_CHECK} bytes before `end` are the same in both files. */
  private async sameTail(s: Session, remote: string, local: string, end: number): Promise<boolean> {
    const n = Math.min(TAIL_CHECK, end);
    if (n === 0) return true;
    const theirs = Buffer.alloc(n);
    const handle = await sftpCall<Buffer>((cb) => s.sftp.open(remote, 'r', cb));
    try {
      let got = 0;
      while (got < n) {
        const r = await sftpCall<number>((cb) =>
          s.sftp.read(handle, theirs, got, n - got, end - n + got, cb),
        );
        if (r === 0) return false;
        got += r;
      }
    } finally {
      await new Promise<void>((done) => s.sftp.close(handle, () => done()));
    }
    const ours = Buffer.alloc(n);
    const fh = await open(local, 'r');
    try {
      await fh.read(ours, 0, n, end - n);
    } finally {
      await fh.close();
    }
    return ours.equals(theirs);
  }

  /**
   * Writes bytes `offset` to `size` of the local file into the remote file `remote` (created,
   * or opened for writing in place when `offset` > 0), {@link WRITES_IN_FLIGHT} writes at a
   * time, sent in order. `onConfirmed` is told how many bytes from the start the server has
   * acknowledged, all of them, as that grows.
   */
  private async writeFrom(
    s: Session,
    local: string,
    remote: string,
    offset: number,
    size: number,
    on: { onBytes: (n: number) => void; onConfirmed: (confirmed: number) => void },
  ): Promise<void> {
    const handle = await sftpCall<Buffer>((cb) => s.sftp.open(remote, offset > 0 ? 'r+' : 'w', cb));
    const fh = await open(local, 'r');
    try {
      // Writes in flight, in order of offset: the first not done bounds what is confirmed.
      const queue: Array<{ end: number; done: boolean }> = [];
      let failure: { err: unknown } | undefined;
      let wake: (() => void) | undefined;
      const settled = (): void => {
        const w = wake;
        wake = undefined;
        w?.();
      };
      let inFlight = 0;
      for (let pos = offset; pos < size && !failure;) {
        const block = Buffer.allocUnsafe(Math.min(READ_BLOCK, size - pos));
        const { bytesRead } = await fh.read(block, 0, block.length, pos);
        if (bytesRead < block.length) {
          throw Object.assign(new Error(`${local} shrank while it was sent`), { code: 'EIO' });
        }
        for (let at = 0; at < block.length && !failure; at += WRITE_CHUNK) {
          while (inFlight >= WRITES_IN_FLIGHT && !failure) {
            await new Promise<void>((r) => (wake = r));
          }
          if (failure) break;
          const len = Math.min(WRITE_CHUNK, block.length - at);
          const entry = { end: pos + at + len, done: false };
          queue.push(entry);
          inFlight++;
          s.sftp.write(handle, block, at, len, pos + at, (err) => {
            inFlight--;
            if (err) failure ??= { err };
            else {
              entry.done = true;
              on.onBytes(len);
              let confirmed: number | undefined;
              while (queue[0]?.done) confirmed = queue.shift()!.end;
              if (confirmed !== undefined) on.onConfirmed(confirmed);
            }
            settled();
          });
        }
        pos += block.length;
      }
      while (inFlight > 0) await new Promise<void>((r) => (wake = r));
      if (failure) throw failure.err;
    } finally {
      await fh.close();
      await new Promise<void>((done) => s.sftp.close(handle, () => done()));
    }
  }

  async get(key: string, target: GetTarget, opts: TransferOptions = {}): Promise<void> {
    const src = this.path(key);
    let reported = 0;
    let resume = typeof target === 'string' && !!opts.offset;
    const download = async (s: Session): Promise<void> => {
      if (resume && typeof target === 'string') {
        // The rest after what the file holds now: a retry goes on from where the last stopped.
        const at = statSync(target, { throwIfNoEntry: false })?.size ?? 0;
        const { size } = await sftpCall<Stats>((cb) => s.sftp.stat(src, cb));
        if (at > 0 && at < size) {
          await pipeline(
            s.client.createReadStream(src, { start: at }),
            counting(opts),
            createWriteStream(target, { flags: 'a' }),
          );
          return;
        }
        // Nothing to go on from, or the file holds as much as the object or more.
        opts.onRestart?.();
        resume = false;
      }
      if (reported) opts.onBytes?.(-reported);
      reported = 0;
      if (typeof target === 'string') {
        // fastGet truncates the file it writes: a retry starts over.
        await s.client.fastGet(src, target, {
          step: (_total: number, chunk: number) => {
            reported += chunk;
            opts.onBytes?.(chunk);
          },
        });
      } else {
        await pipeline(s.client.createReadStream(src), counting(opts), target);
      }
    };
    try {
      // What went into a stream cannot be taken back: a stream's download is not retried.
      await this.run(`download of ${key}`, download, typeof target === 'string');
    } catch (err) {
      throw localNoSpace(err, target) ?? (await this.downloadFailure(err, key));
    }
  }

  async read(key: string, limit: number, spill?: Spill): Promise<Buffer | undefined> {
    let small: Buffer | undefined;
    try {
      small = await this.run(`download of ${key}`, (s) => this.readSmall(s, key, limit));
    } catch (err) {
      throw await this.downloadFailure(err, key);
    }
    if (small) return small;
    if (spill) await this.get(key, spill.path, spill.opts);
    return undefined;
  }

  /**
   * open, fstat, read, close on the SFTP session: no existence check first and no local temp
   * file (fastGet makes both), which is most of the cost for small objects. Undefined for an
   * object of `limit` bytes or more.
   */
  private async readSmall(s: Session, key: string, limit: number): Promise<Buffer | undefined> {
    const path = this.path(key);
    const handle = await sftpCall<Buffer>((cb) => s.sftp.open(path, 'r', cb));
    try {
      const { size } = await sftpCall<Stats>((cb) => s.sftp.fstat(handle, cb));
      if (size >= limit) return undefined;
      // One byte more than the size: a short read proves the end (ssh2 splits long reads).
      const buf = Buffer.allocUnsafe(size + 1);
      const n = await sftpCall<number>((cb) => s.sftp.read(handle, buf, 0, size + 1, 0, cb));
      if (n > size) return undefined; // it grew: download it whole
      return buf.subarray(0, n);
    } finally {
      if (!s.gone) s.sftp.close(handle, () => undefined);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.run(`delete of ${key}`, (s) => s.client.delete(this.path(key), true));
    } catch (err) {
      throw this.fail(err, `delete of ${key}`, undefined, true, posix.dirname(this.path(key)));
    }
  }

  async close(): Promise<void> {
    const session = await this.current.catch(() => undefined);
    if (!session) return;
    session.closing = true;
    if (session.gone) return session.destroy();
    // end() waits for a close event that a dying connection may never send.
    await waitAtMost(session.client.end(), 2000);
    session.destroy();
  }
}

/** A callback-style request of the raw SFTP session, as a promise. */
function sftpCall<T>(
  fn: (cb: (err: Error | undefined | null, value: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) =>
    fn((err, value) => (err ? reject(err) : resolve(value))),
  );
}

/** An error that says the request's connection is gone. */
function isGoneError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && GONE_CODES.has(code)) return true;
  return GONE_MESSAGE.test((err as Error | undefined)?.message ?? String(err));
}

/** Key files that need a passphrase none was given for; `refused` when the login then failed. */
function keyEncrypted(files: string[], refused?: string): ConfigError {
  const list = files.join(', ');
  const one = files.length === 1;
  return new ConfigError(
    'SSH_KEY_ENCRYPTED',
    `The SSH key file${one ? '' : 's'} ${list} ${one ? 'is' : 'are'} protected by a passphrase and no passphrase is set for the remote, so ${one ? 'it was' : 'they were'} not used` +
      (refused ? ` (the server refused the other credentials, ${refused})` : ''),
    {
      hint:
        `Set the key's passphrase for the remote in .dvc/config.local: 'cmf init sshremote … --keyfile ${files[0]} --passphrase …' ` +
        `or 'dvc remote modify --local ssh-storage passphrase …'; or load the key into your SSH agent (ssh-add ${files[0]}).`,
      data: { keyfiles: files },
    },
  );
}

function wrongPassphrase(file: string): ConfigError {
  return new ConfigError(
    'SSH_KEY_PASSPHRASE',
    `The passphrase set for the remote does not decrypt the SSH key file ${file}`,
    {
      hint: "Fix passphrase in .dvc/config.local ('cmf init sshremote … --passphrase …', or 'dvc remote modify --local ssh-storage passphrase …').",
      data: { keyfile: file },
    },
  );
}

/**
 * The connection through a ProxyCommand failed before the server showed a host key: the
 * command (or the jump host behind it) is what failed, and its stderr says why.
 */
async function proxyFailed(
  proxy: ProxyProcess,
  command: string,
  hostPort: string,
  alias: string,
  cause: unknown,
): Promise<OperationError> {
  const timeout = new Promise<'running'>((r) => setTimeout(() => r('running'), 2000).unref());
  const status = await Promise.race([proxy.exited, timeout]);
  const why =
    proxy.stderr() ||
    (status === 'running'
      ? (cause as Error).message
      : `it exited with status ${status ?? 'unknown'}`);
  return new OperationError(
    'REMOTE_UNREACHABLE',
    `Cannot reach the remote at ${hostPort} through the proxy command \`${command}\`: ${why}`,
    {
      hint:
        `Check ProxyCommand / ProxyJump for ${alias} in your SSH config; 'ssh -v ${alias}' ` +
        'takes the same way. Jump hosts are reached without prompts (BatchMode): use a key or an agent.',
      data: { hostPort, proxyCommand: command },
      cause,
    },
  );
}

function hostKeyError(
  verdict: HostKeyVerdict,
  name: string,
  key: Buffer,
  knownHostsPath: string,
  cause: unknown,
): ConfigError {
  const fp = fingerprint(key);
  if (verdict === 'unknown') {
    return new ConfigError(
      'SSH_HOST_KEY_UNKNOWN',
      `The host key of ${name} (${fp}) is not in ${knownHostsPath}`,
      {
        hint:
          'Check the fingerprint with the server admin, then add the key (ssh-keyscan, or connect once with ssh), ' +
          'or accept it explicitly: run again with --accept-new-host-key (or set accept_new_host_key = true ' +
          'for the remote in .dvc/config.local). It is then recorded and checked on every later connection.',
        data: { host: name, fingerprint: fp, knownHostsPath },
        cause,
      },
    );
  }
  return new ConfigError(
    'SSH_HOST_KEY_MISMATCH',
    `The host key of ${name} (${fp}) ${verdict === 'revoked' ? 'is revoked' : `does not match ${knownHostsPath}`}: someone may be intercepting the connection`,
    {
      hint: `If the server's key really changed, remove its old entry (ssh-keygen -R '${name}') and connect again.`,
      data: { host: name, fingerprint: fp, knownHostsPath },
      cause,
    },
  );
}

/**
 * A download's write to a local file that found no room, as the errno error it was:
 * ssh2-sftp-client's fastGet keeps only the message of a local write error, so the caller
 * (which blames the cache for a full disk, never the remote) would see a remote failure.
 */
function localNoSpace(err: unknown, target: GetTarget): Error | undefined {
  if (typeof target !== 'string' || err instanceof CmfError) return undefined;
  const errno = /\b(ENOSPC|EDQUOT)\b/.exec((err as Error | undefined)?.message ?? '')?.[1];
  if (errno === undefined) return undefined;
  return Object.assign(new Error((err as Error).message, { cause: err }), {
    code: errno,
    path: target,
  });
}
