import { existsSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type SftpClient from 'ssh2-sftp-client';
import type { AuthMethod, ConnectConfig, SFTPWrapper, Stats } from 'ssh2';
import { CmfError, ConfigError, OperationError } from '../errors/index.js';
import { tempName } from '../fs/atomic.js';
import {
  isTempName,
  type GetTarget,
  type PutSource,
  type RemoteDriver,
  type Spill,
  type TransferOptions,
} from './driver.js';
import {
  authFailed,
  missingObject,
  networkCode,
  remoteFailed,
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
import { agentLimitedTo } from './ssh-agent-limit.js';
import { startProxyCommand, type ProxyProcess } from './ssh-proxy.js';
import { counting } from './streams.js';
import { withUndoOnStop } from './in-flight.js';

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
}

export function parseSshUrl(url: string): {
  user?: string;
  host: string;
  port?: number;
  path: string;
} {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    u = new URL('invalid://');
  }
  if (u.protocol !== 'ssh:' || !u.hostname) {
    throw new ConfigError('CONFIG_INVALID', `Not an SSH URL: ${url}`, {
      hint: 'Use ssh://[user@]host[:port]/absolute/path.',
    });
  }
  return {
    user: u.username ? decodeURIComponent(u.username) : undefined,
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : undefined,
    path: decodeURIComponent(u.pathname) || '/',
  };
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

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

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

/**
 * SFTP over one SSH connection (requests are pipelined, so parallel transfers share it).
 * Uploads go to `.<random>.tmp` in the target directory and are renamed into place with
 * posix-rename, as DVC does (A4.1). The configured port is honoured, a host of
 * ~/.ssh/config is resolved as ssh would (HostName, User, Port, IdentityFile), and host keys
 * are checked against known_hosts.
 */
export class SshDriver implements RemoteDriver {
  readonly kind = 'ssh' as const;
  readonly defaultJobs = 4;
  readonly canList = true;
  readonly location: string;
  /** Directories made (or being made): concurrent uploads share one mkdir per directory. */
  private readonly dirs = new Map<string, Promise<void>>();

  private readonly client: SftpClient;
  /** The raw SFTP session under the client, for small reads in few round trips. */
  private readonly sftp: SFTPWrapper;
  private readonly root: string;
  /** Whether the remote directory exists, asked once after the first missing object. */
  private rootExists: Promise<boolean> | undefined;
  /** The ProxyCommand (or ProxyJump's ssh) carrying the connection, if any. */
  private readonly proxy: ProxyProcess | undefined;

  private constructor(
    client: SftpClient,
    sftp: SFTPWrapper,
    root: string,
    location: string,
    proxy: ProxyProcess | undefined,
  ) {
    this.client = client;
    this.sftp = sftp;
    this.root = root;
    this.location = location;
    this.proxy = proxy;
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
    const knownText = await readKnownHosts(knownHostsPath);
    const name = sshConfig.hostKeyAlias ?? knownHostsName(host, port);
    // Set by the host verifier callback during connect.
    const seen: { verdict: HostKeyVerdict; key?: Buffer } = { verdict: 'unknown' };

    const methods: AuthMethod[] = [];
    const credentials: string[] = [];
    const keys = keyFilesFor(settings, sshConfig.identityFiles);
    for (const file of keys.files) {
      let key: Buffer;
      try {
        key = readFileSync(file);
      } catch (err) {
        throw new ConfigError('SSH_KEYFILE_UNREADABLE', `Cannot read the SSH key file ${file}`, {
          hint: 'Fix keyfile in the remote configuration.',
          cause: err,
        });
      }
      methods.push({
        type: 'publickey',
        username,
        key,
        passphrase: settings.passphrase,
      } as AuthMethod);
    }
    if (keys.files.length) credentials.push(keys.label);
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
      throw new ConfigError('SSH_NO_CREDENTIALS', `No SSH credentials for ${location}`, {
        hint: 'Set password or keyfile for the remote, or start an SSH agent.',
      });
    }

    const { default: Client } = await import('ssh2-sftp-client');
    // Without callbacks of its own, the client prints "Global … listener" lines to stdout and
    // stderr on connection events: failures reach us as rejected promises instead.
    const quiet = () => undefined;
    const client = new Client('cmf', { error: quiet, end: quiet, close: quiet });
    const config: ConnectConfig = {
      host,
      port,
      username,
      readyTimeout: settings.timeout ?? 20_000,
      authHandler: methods,
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
      expandTokens(sshConfig.proxyCommand, { host, port, user: username, original: parsed.host });
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
        throw authFailed(location, credentials.join(' or '), msg, err);
      }
      throw remoteFailed(location, 'SSH connection', err);
    }
    if (seen.verdict === 'unknown' && seen.key) await addKnownHost(knownHostsPath, name, seen.key);
    client.on('error', () => undefined);
    return new SshDriver(client, sftp, parsed.path, location, proxy);
  }

  private path(key: string): string {
    return posix.join(this.root, key);
  }

  private fail(err: unknown, what: string, key?: string): Error {
    const msg = (err as Error).message ?? String(err);
    if (key && /no such file|not exist|ENOENT/i.test(msg))
      return missingObject(this.location, key, err);
    return remoteFailed(this.location, what, err);
  }

  /** A missing object, or a missing remote directory (then every object is: one error). */
  private async downloadFailure(err: unknown, key: string): Promise<Error> {
    const failure = this.fail(err, `download of ${key}`, key);
    if (!(failure instanceof CmfError) || failure.code !== 'REMOTE_OBJECT_MISSING') return failure;
    this.rootExists ??= this.client.exists(this.root).then(
      (kind) => kind === 'd',
      () => true, // cannot tell: report the object
    );
    return (await this.rootExists) ? failure : remoteRootMissing(this.location, this.root, err);
  }

  /** mkdir -p that tolerates other uploads creating the same directories at the same time. */
  private ensureDir(dir: string): Promise<void> {
    let made = this.dirs.get(dir);
    if (!made) {
      made = (async () => {
        if ((await this.client.exists(dir)) === 'd') return;
        const parent = posix.dirname(dir);
        if (parent !== dir) await this.ensureDir(parent);
        try {
          await this.client.mkdir(dir, false);
        } catch (err) {
          if ((await this.client.exists(dir)) !== 'd') throw err;
        }
      })();
      made.catch(() => this.dirs.delete(dir));
      this.dirs.set(dir, made);
    }
    return made;
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await this.client.exists(this.path(key))) === '-';
    } catch (err) {
      throw this.fail(err, `stat ${key}`);
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    let entries;
    try {
      entries = await this.client.list(this.path(prefix));
    } catch (err) {
      if (/no such file|not exist|ENOENT/i.test((err as Error).message)) return;
      throw this.fail(err, `list ${prefix}`);
    }
    for (const e of entries) {
      if (isTempName(e.name)) continue;
      if (e.type === 'd') yield* this.list(`${prefix}${e.name}/`);
      else yield `${prefix}${e.name}`;
    }
  }

  async put(key: string, source: PutSource, opts: TransferOptions = {}): Promise<void> {
    const target = this.path(key);
    const dir = posix.dirname(target);
    const tmp = posix.join(dir, tempName());
    try {
      await this.ensureDir(dir);
      // A stop signal mid-upload removes the temp file (DVC leaves it behind).
      await withUndoOnStop(
        () => this.client.delete(tmp, true),
        async () => {
          if (typeof source === 'string') {
            await this.client.fastPut(source, tmp, {
              step: (_total: number, chunk: number) => opts.onBytes?.(chunk),
            });
          } else {
            await this.client.put(source.stream, tmp);
            opts.onBytes?.(source.size);
          }
          await this.client.posixRename(tmp, target);
        },
      );
    } catch (err) {
      await this.client.delete(tmp, true).catch(() => undefined);
      throw this.fail(err, `upload of ${key}`);
    }
  }

  async get(key: string, target: GetTarget, opts: TransferOptions = {}): Promise<void> {
    const src = this.path(key);
    try {
      if (typeof target === 'string') {
        await this.client.fastGet(src, target, {
          step: (_total: number, chunk: number) => opts.onBytes?.(chunk),
        });
      } else {
        await pipeline(this.client.createReadStream(src), counting(opts), target);
      }
    } catch (err) {
      throw await this.downloadFailure(err, key);
    }
  }

  async read(key: string, limit: number, spill?: Spill): Promise<Buffer | undefined> {
    const small = await this.readSmall(key, limit);
    if (small) return small;
    if (spill) await this.get(key, spill.path, spill.opts);
    return undefined;
  }

  /**
   * open, fstat, read, close on the SFTP session: no existence check first and no local temp
   * file (fastGet makes both), which is most of the cost for small objects. Undefined for an
   * object of `limit` bytes or more.
   */
  private async readSmall(key: string, limit: number): Promise<Buffer | undefined> {
    const path = this.path(key);
    const call = <T>(fn: (cb: (err: Error | undefined | null, value: T) => void) => void) =>
      new Promise<T>((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));
    let handle: Buffer;
    try {
      handle = await call<Buffer>((cb) => this.sftp.open(path, 'r', cb));
    } catch (err) {
      throw await this.downloadFailure(err, key);
    }
    try {
      const { size } = await call<Stats>((cb) => this.sftp.fstat(handle, cb));
      if (size >= limit) return undefined;
      // One byte more than the size: a short read proves the end (ssh2 splits long reads).
      const buf = Buffer.allocUnsafe(size + 1);
      const n = await call<number>((cb) => this.sftp.read(handle, buf, 0, size + 1, 0, cb));
      if (n > size) return undefined; // it grew: download it whole
      return buf.subarray(0, n);
    } catch (err) {
      throw await this.downloadFailure(err, key);
    } finally {
      this.sftp.close(handle, () => undefined);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.delete(this.path(key), true);
    } catch (err) {
      throw this.fail(err, `delete of ${key}`);
    }
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
    this.proxy?.stop();
  }
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
