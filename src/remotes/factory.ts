import { X509Certificate } from 'node:crypto';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../errors/index.js';
import { unreadableReason } from '../fs/unreadable.js';
import type { RemoteDriver } from './driver.js';
import { readRegularFile } from '../fs/regular-file.js';
import { embeddedWindowsPath } from '../util/windows-path.js';

/** A DVC remote as `loadDvcConfig` resolves it (`remote "<name>"` section). */
export interface RemoteConfig {
  name: string;
  url: string;
  /** Lowercased keys of the section, values as written. */
  options: Record<string, string>;
}

/** cmf's `[osdf]` settings from .cmfconfig (cmf-reference §2.1), for the `osdf` remote. */
export interface OsdfCmfSettings {
  cache?: string;
  keyId?: string;
  keyPath?: string;
  keyIssuer?: string;
  /** A token file path, a literal token, `provided`, or empty (mint from the key). */
  accessToken?: string;
}

export interface OpenRemoteOptions {
  /** Base for a relative local remote path (the project root). */
  cwd?: string;
  osdf?: OsdfCmfSettings;
  /** Accept and record an SSH host key seen for the first time. */
  acceptNewHostKey?: boolean;
  /** Parallel transfers planned, to size connection pools. */
  jobs?: number;
  /**
   * The project's upload records (upload-records.ts): large uploads that are interrupted are
   * kept there, and resumed by the next push. Without it they are undone.
   */
  uploadRecords?: string;
}

/** Config words for on and off, as DVC's config schema reads booleans (any case). */
const TRUE_WORDS = /^(true|yes|1|on)$/i;
const FALSE_WORDS = /^(false|no|0|off)$/i;

function bool(v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  return TRUE_WORDS.test(v);
}

/** How an HTTPS driver checks certificates: see {@link tlsOptions}. */
export interface TlsOptions {
  sslVerify?: boolean;
  /** PEM CA bundle to verify with instead of Node's built-in CAs. */
  ca?: string;
}

/**
 * DVC's ssl_verify: true or false, or the path of a CA bundle to verify with (DVC hands it to
 * requests / botocore as `verify`). Only explicit false values turn verification off; a value
 * that is neither a boolean nor a readable bundle is refused, not taken as off. A relative
 * path is read from the project root, where DVC (run there) would read it.
 */
export async function tlsOptions(remote: RemoteConfig, cwd = '.'): Promise<TlsOptions> {
  const v = remote.options.ssl_verify?.trim();
  if (v === undefined || v === '') return {};
  if (TRUE_WORDS.test(v)) return { sslVerify: true };
  if (FALSE_WORDS.test(v)) return { sslVerify: false };
  const path = resolve(cwd, expandHome(v));
  const bad = (why: string, cause?: unknown) =>
    new ConfigError(
      'CONFIG_INVALID',
      `Remote '${remote.name}' has ssl_verify = ${v}, which is neither true/false nor a readable CA bundle: ${why}`,
      {
        hint:
          'Set ssl_verify to the path of a PEM file with the CA certificates to trust, to true, ' +
          'or (only on a trusted network) to false.',
        data: { path },
        cause,
      },
    );
  let pem: string;
  try {
    pem = await readRegularFile(path, 'utf8');
  } catch (err) {
    throw bad(`${path}: ${unreadableReason(err)}`, err);
  }
  try {
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate');
    new X509Certificate(pem);
  } catch (err) {
    throw bad(`${path} holds no PEM certificate`, err);
  }
  return { sslVerify: true, ca: pem };
}

/**
 * A timeout option of the remote (DVC's read_timeout / connect_timeout, SSH's timeout:
 * seconds), in ms.
 */
function timeoutMs(remote: RemoteConfig, name: string): number | undefined {
  const v = remote.options[name];
  if (v === undefined || v.trim() === '') return undefined;
  const s = Number(v);
  if (!(Number.isFinite(s) && s > 0)) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `Remote '${remote.name}' has an invalid ${name}: ${v}`,
      { hint: `Set ${name} to a number of seconds greater than 0, or remove it.` },
    );
  }
  return Math.round(s * 1000);
}

function expandHome(p: string): string {
  return p.startsWith('~') ? join(homedir(), p.slice(1)) : p;
}

/** Which driver a remote needs: by URL scheme, and `https://` counts as OSDF (cmf's only HTTP remote). */
export function remoteKind(remote: RemoteConfig): RemoteDriver['kind'] {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(remote.url)?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === 'file') return 'local';
  if (scheme === 's3') return 's3';
  if (scheme === 'ssh' || scheme === 'sftp') return 'ssh';
  if (scheme === 'https' || scheme === 'http') return 'osdf';
  throw new ConfigError(
    'REMOTE_UNSUPPORTED',
    `Remote '${remote.name}' uses an unsupported URL: ${remote.url}`,
    {
      hint: 'cmf supports local paths, s3://, ssh:// and https:// (OSDF) remotes.',
    },
  );
}

/**
 * Builds the driver for a configured remote. Heavy client libraries (AWS SDK, ssh2, jose) are
 * imported here, on first use, so commands that never touch a remote start fast.
 */
export async function openRemote(
  remote: RemoteConfig,
  opts: OpenRemoteOptions = {},
): Promise<RemoteDriver> {
  const o = remote.options;
  const kind = remoteKind(remote);
  if (!remote.url) {
    throw new ConfigError('REMOTE_NO_URL', `Remote '${remote.name}' has no url`, {
      hint: `Set it with cmf init, or add url to the remote "${remote.name}" section of .dvc/config.`,
    });
  }
  switch (kind) {
    case 'local': {
      const { LocalDriver } = await import('./local.js');
      const path = expandHome(remote.url.replace(/^file:\/\//i, ''));
      const root = isAbsolute(path) ? path : resolve(opts.cwd ?? '.', path);
      const windows = process.platform === 'win32' ? undefined : embeddedWindowsPath(root);
      return new LocalDriver(root, {
        warnings: windows
          ? [
              `remote '${remote.name}' is the directory ${root}: its url holds the Windows path ${windows}, which is a plain directory name on this system; set the url to a path of this system (cmf init local --path …)`,
            ]
          : [],
      });
    }
    case 's3': {
      const { S3Driver } = await import('./s3.js');
      return S3Driver.open({
        url: remote.url,
        endpoint: o.endpointurl || undefined,
        region: o.region || undefined,
        accessKeyId: o.access_key_id || undefined,
        secretAccessKey: o.secret_access_key || undefined,
        sessionToken: o.session_token || undefined,
        profile: o.profile || undefined,
        ...(await tlsOptions(remote, opts.cwd)),
        maxSockets: Math.max(64, opts.jobs ?? 0),
        readTimeoutMs: timeoutMs(remote, 'read_timeout'),
        connectTimeoutMs: timeoutMs(remote, 'connect_timeout'),
        uploadRecords: opts.uploadRecords,
      });
    }
    case 'ssh': {
      const { SshDriver } = await import('./ssh.js');
      const port = o.port ? Number(o.port) : undefined;
      if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
        throw new ConfigError(
          'CONFIG_INVALID',
          `Remote '${remote.name}' has an invalid port: ${o.port}`,
          {
            hint: 'Set port to a number between 1 and 65535.',
          },
        );
      }
      return SshDriver.open({
        url: remote.url.replace(/^sftp:/i, 'ssh:'),
        user: o.user || undefined,
        port,
        password: o.password || undefined,
        keyfile: o.keyfile ? expandHome(o.keyfile) : undefined,
        passphrase: o.passphrase || undefined,
        allowAgent: bool(o.allow_agent),
        knownHostsPath: o.known_hosts ? expandHome(o.known_hosts) : undefined,
        // The command-line option or the remote's setting: either one is an explicit yes.
        acceptNewHostKey: opts.acceptNewHostKey === true || bool(o.accept_new_host_key) === true,
        timeout: timeoutMs(remote, 'timeout'),
        uploadRecords: opts.uploadRecords,
      });
    }
    case 'osdf': {
      const { OsdfDriver } = await import('./osdf.js');
      return OsdfDriver.open({
        url: remote.url,
        cache: opts.osdf?.cache || undefined,
        // cmf writes ssl_verify false for uploads; we keep verification on unless the user
        // set it off themselves (cmf-reference §8.4: downloads verify TLS).
        ...(await tlsOptions(remote, opts.cwd)),
        readTimeoutMs: timeoutMs(remote, 'read_timeout'),
        connectTimeoutMs: timeoutMs(remote, 'connect_timeout'),
        ...osdfToken(remote, opts.osdf, opts.cwd ?? '.'),
      });
    }
  }
}

/**
 * Where the OSDF token comes from, in cmflib's order (cmf-reference §8.2): the token file or
 * literal token of access_token; for `provided` (init was given the token itself), the token
 * init stored as the remote's password; else one minted from the signing key. A token given
 * to init therefore wins over key flags given with it, at init and here alike. Relative
 * paths (a hand-written or Python-written .cmfconfig) are read from the project root `cwd`.
 */
function osdfToken(
  remote: RemoteConfig,
  osdf: OsdfCmfSettings | undefined,
  cwd: string,
): Pick<import('./osdf.js').OsdfSettings, 'tokenFile' | 'token' | 'key'> {
  const access = osdf?.accessToken?.trim();
  const password = remote.options.password;
  if (access && access !== 'provided') {
    // A path that looks like a file is read as one (and re-read as it nears expiry).
    if (isAbsolute(access) || access.startsWith('~') || access.includes('/'))
      return { tokenFile: resolve(cwd, expandHome(access)) };
    return { token: access };
  }
  if (access === 'provided' && password) return { token: password };
  if (osdf?.keyId && osdf.keyPath && osdf.keyIssuer) {
    const keyPath = resolve(cwd, expandHome(osdf.keyPath));
    return { key: { keyId: osdf.keyId, keyPath, issuer: osdf.keyIssuer } };
  }
  if (password) return { token: password };
  throw new ConfigError(
    'OSDF_NO_TOKEN',
    `Remote '${remote.name}' has no OSDF access token or signing key`,
    {
      hint: 'Run cmf init osdfremote with --access-token, or with --key-id, --key-path and --key-issuer.',
    },
  );
}
