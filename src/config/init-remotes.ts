import { createPrivateKey } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CmfError, UsageError } from '../errors/index.js';
import { stripBearer, tokenExpiry } from '../remotes/osdf-token.js';
import { DEFAULT_KEYS, inspectKey } from '../remotes/ssh-key.js';
import { parseSshUrl, type SshUrl } from '../remotes/ssh-url.js';
import { lookupSshConfig } from '../remotes/ssh-config.js';
import { maskUrlSecrets } from '../util/url-secrets.js';
import { readRegularFile, readRegularFileSync } from '../fs/regular-file.js';
import { unreadableReason } from '../fs/unreadable.js';
import { isWindowsAbsolutePath } from '../util/windows-path.js';

/**
 * What each `cmf init <type>` puts in the DVC remote (fixed names, as cmflib), split into
 * the shareable part (`.dvc/config`) and the secrets (`.dvc/config.local`). Pure planning:
 * reads token and key files to check them, writes nothing.
 */
export type RemoteType = 'local' | 'minioS3' | 'amazonS3' | 'sshremote' | 'osdfremote';

export const REMOTE_NAMES: Record<RemoteType, string> = {
  local: 'local-storage',
  minioS3: 'minio',
  amazonS3: 'amazons3',
  sshremote: 'ssh-storage',
  osdfremote: 'osdf',
};

export interface LocalRemoteOptions {
  type: 'local';
  path: string;
}
export interface MinioRemoteOptions {
  type: 'minioS3';
  url: string;
  endpointUrl: string;
  accessKeyId?: string;
  secretKey?: string;
}
export interface AmazonRemoteOptions {
  type: 'amazonS3';
  url: string;
  accessKeyId?: string;
  secretKey?: string;
  sessionToken?: string;
  profile?: string;
}
export interface SshRemoteOptions {
  type: 'sshremote';
  path: string;
  /** Default: the user of --path, else the User ~/.ssh/config gives the host. */
  user?: string;
  /** Default: the port of --path, else the Port ~/.ssh/config gives the host, else 22. */
  port?: string;
  password?: string;
  keyfile?: string;
  /** Passphrase of the key file (DVC's `passphrase` option), for .dvc/config.local. */
  passphrase?: string;
}
export interface OsdfRemoteOptions {
  type: 'osdfremote';
  path: string;
  cache?: string;
  accessToken?: string;
  keyId?: string;
  keyPath?: string;
  keyIssuer?: string;
  /** false writes `ssl_verify = false` (cmflib always did; we verify TLS by default). */
  sslVerify?: boolean;
}
export type RemoteOptions =
  | LocalRemoteOptions
  | MinioRemoteOptions
  | AmazonRemoteOptions
  | SshRemoteOptions
  | OsdfRemoteOptions;

export interface RemotePlan {
  name: string;
  url: string;
  /** Keys of the remote section in `.dvc/config`, after `url`. */
  options: [string, string][];
  /** Keys of the remote section in `.dvc/config.local` (secrets and per-user paths). */
  localOptions: [string, string][];
  /** The `[osdf]` section of `.cmfconfig` (osdfremote only). */
  osdfSection?: [string, string][];
  /** Where credentials come from, for the user. */
  credentials: string;
  warnings: string[];
}

export interface PlanContext {
  /** Directory init runs in (the project root). */
  root: string;
  env: NodeJS.ProcessEnv;
  home: string;
}

const usage = (message: string, hint: string) => new UsageError('INIT_INVALID', message, { hint });

export function requireNonEmpty(flag: string, value: string | undefined): string {
  if (value === undefined || value.trim() === '') {
    throw usage(`Missing value for --${flag}`, `Give --${flag} a non-empty value.`);
  }
  return value;
}

/**
 * A URL with one of `schemes` and a host (for s3://, the bucket): what the later commands
 * need, checked here so that init does not store a value that push or pull then refuses.
 */
export function requireUrl(flag: string, value: string, schemes: string[]): URL {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  const example = `Example: --${flag} ${schemes[0]}://${schemes[0] === 's3' ? 'bucket/prefix' : 'host:port/path'}`;
  if (url && schemes.includes(url.protocol.slice(0, -1)) && url.host === '') {
    const what = url.protocol === 's3:' ? 'bucket' : 'host';
    throw usage(`--${flag} '${value}' names no ${what}`, example);
  }
  if (!url || !schemes.includes(url.protocol.slice(0, -1))) {
    throw usage(
      `--${flag} must be a ${schemes.map((s) => `${s}://`).join(' or ')} URL, got '${value}'`,
      example,
    );
  }
  return url;
}

export async function planRemote(opts: RemoteOptions, ctx: PlanContext): Promise<RemotePlan> {
  switch (opts.type) {
    case 'local':
      return planLocal(opts, ctx);
    case 'minioS3':
      return planS3(opts, ctx, [['endpointurl', opts.endpointUrl]]);
    case 'amazonS3':
      return planS3(opts, ctx, opts.profile ? [['profile', opts.profile]] : []);
    case 'sshremote':
      return planSsh(opts, ctx);
    case 'osdfremote':
      return planOsdf(opts, ctx);
  }
}

/** As `dvc remote add` stores a relative local path: relative to `.dvc/`, with `/` separators. */
function planLocal(opts: LocalRemoteOptions, ctx: PlanContext): RemotePlan {
  const path = requireNonEmpty('path', opts.path);
  if (process.platform !== 'win32' && isWindowsAbsolutePath(path)) {
    // Relative here: it would become `../C:\…`, a directory inside the project.
    throw usage(
      `--path '${path}' is a Windows path; on this system it would name a directory '${path}' inside the project`,
      'Give the remote directory as a path of this system (e.g. /mnt/share/remote, or the mount point of the share).',
    );
  }
  const keep = isAbsolute(path) || path.startsWith('~') || /^[a-z][a-z0-9+.-]*:\/\//i.test(path);
  const url = keep
    ? path
    : relative(join(ctx.root, '.dvc'), resolve(ctx.root, path)).split(sep).join('/');
  return {
    name: REMOTE_NAMES.local,
    url,
    options: [],
    localOptions: [],
    credentials: 'none needed',
    warnings: [],
  };
}

function planS3(
  opts: MinioRemoteOptions | AmazonRemoteOptions,
  ctx: PlanContext,
  options: [string, string][],
): RemotePlan {
  const url = requireNonEmpty('url', opts.url);
  requireUrl('url', url, ['s3']);
  if (opts.type === 'minioS3')
    requireUrl('endpoint-url', requireNonEmpty('endpoint-url', opts.endpointUrl), [
      'http',
      'https',
    ]);
  const given = [opts.accessKeyId, opts.secretKey].filter(
    (v) => v !== undefined && v !== '',
  ).length;
  if (given === 1) {
    throw usage(
      '--access-key-id and --secret-key go together',
      'Give both, or neither and set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE).',
    );
  }
  const sessionToken = opts.type === 'amazonS3' ? opts.sessionToken : undefined;
  if (sessionToken && given === 0) {
    throw usage('--session-token needs --access-key-id and --secret-key', 'Give all three.');
  }
  const localOptions: [string, string][] = [];
  const warnings: string[] = [];
  let credentials: string;
  if (given === 2) {
    localOptions.push(['access_key_id', opts.accessKeyId!], ['secret_access_key', opts.secretKey!]);
    if (sessionToken) localOptions.push(['session_token', sessionToken]);
    credentials = '.dvc/config.local';
    if (opts.type === 'amazonS3' && opts.profile) {
      warnings.push(
        `--profile ${opts.profile} is recorded but not used: push and pull use the keys given with it. Leave out either the keys or --profile.`,
      );
    }
  } else if (ctx.env.AWS_ACCESS_KEY_ID && ctx.env.AWS_SECRET_ACCESS_KEY) {
    credentials = 'environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)';
  } else if (opts.type === 'amazonS3' && opts.profile) {
    credentials = `AWS profile '${opts.profile}'`;
    warnings.push(...missingProfile(opts.profile, ctx));
  } else if (ctx.env.AWS_PROFILE) {
    credentials = `AWS profile '${ctx.env.AWS_PROFILE}' (AWS_PROFILE)`;
    warnings.push(...missingProfile(ctx.env.AWS_PROFILE, ctx));
  } else if (existsSync(awsSharedFiles(ctx).credentials)) {
    credentials = 'AWS shared credentials file (default profile)';
  } else {
    credentials = 'none found';
    warnings.push(
      'No S3 credentials given or found (flags, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws/credentials); only anonymous or instance-role access will work.',
    );
  }
  return { name: REMOTE_NAMES[opts.type], url, options, localOptions, credentials, warnings };
}

/**
 * A warning when no AWS shared file defines profile `name` (a typo, or a machine not set up
 * yet): init goes on, since the profile may be created later, but push would fail then.
 * `[name]` in the credentials file, `[profile name]` (or `[default]`) in the config file.
 */
function missingProfile(name: string, ctx: AwsContext): string[] {
  const { credentials: credentialsFile, config: configFile } = awsSharedFiles(ctx);
  const configSection = name === 'default' ? 'default' : `profile ${name}`;
  if (iniSections(credentialsFile).has(name) || iniSections(configFile).has(configSection)) {
    return [];
  }
  return [
    `The AWS profile '${name}' is in neither ${credentialsFile} nor ${configFile}: push and pull will fail until it exists ('aws configure --profile ${name}').`,
  ];
}

type AwsContext = { env: NodeJS.ProcessEnv; home: string };

/** The AWS shared credentials and config files, where the AWS SDK looks for them. */
function awsSharedFiles(ctx: AwsContext): { credentials: string; config: string } {
  return {
    credentials: ctx.env.AWS_SHARED_CREDENTIALS_FILE ?? join(ctx.home, '.aws', 'credentials'),
    config: ctx.env.AWS_CONFIG_FILE ?? join(ctx.home, '.aws', 'config'),
  };
}

/** The section names of an INI file (trimmed, inner spaces collapsed); none if unreadable. */
function iniSections(file: string): Set<string> {
  let text: string;
  try {
    text = readRegularFileSync(file, 'utf8');
  } catch {
    return new Set();
  }
  const names = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*\[([^\]]+)\]/.exec(line);
    if (m) names.add(m[1]!.trim().replace(/\s+/g, ' '));
  }
  return names;
}

/**
 * --path read as push and pull will read it, and as DVC does (see parseSshUrl): a `?` would
 * end the directory's name there, so it is refused rather than silently cut.
 */
function sshPath(url: string): SshUrl {
  const example = 'Example: --path ssh://host:port/path';
  if (!/^ssh:\/\//i.test(url.trimStart())) {
    throw usage(`--path must be a ssh:// URL, got '${url}'`, example);
  }
  let parsed: SshUrl;
  try {
    parsed = parseSshUrl(url);
  } catch (err) {
    const why = err instanceof CmfError ? err.data?.why : undefined;
    throw usage(`--path '${url}' is not a valid SSH URL${why ? `: ${String(why)}` : ''}`, example);
  }
  if (parsed.query !== undefined) {
    throw usage(
      `--path '${url}' has a '?': DVC reads what follows it as a URL query, not as part of the directory`,
      `Give a directory whose name has no '?' (DVC would use ${parsed.path}).`,
    );
  }
  return parsed;
}

function planSsh(opts: SshRemoteOptions, ctx: PlanContext): RemotePlan {
  const url = requireNonEmpty('path', opts.path);
  const parsed = sshPath(url);
  // Push and pull read ~/.ssh/config (as DVC does); init reads it for what the flags leave
  // out, and writes user and port down, as Python cmf (which reads them back) needs them.
  const sshConfig = lookupSshConfig(
    parsed.host,
    join(ctx.home, '.ssh', 'config'),
    opts.user || parsed.user,
  );
  const user =
    opts.user !== undefined ? requireNonEmpty('user', opts.user) : (parsed.user ?? sshConfig.user);
  if (user === undefined) {
    throw usage(
      `No SSH user for ${parsed.host}: give --user`,
      `Or put the user in --path (ssh://USER@${parsed.host}/...), or a User line for the host in ~/.ssh/config.`,
    );
  }
  const port =
    opts.port !== undefined
      ? requireNonEmpty('port', opts.port)
      : String(parsed.port ?? sshConfig.port ?? 22);
  if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    // Worded as the command's integer flag words it (src/cli/flags.ts).
    throw usage(
      `Invalid value for --port: expected an integer from 1 to 65535, got '${port}'`,
      'Example: --port 22',
    );
  }
  // A transfer connects with one of the two (the remote's `port`/`user` options win over the
  // URL's), so a conflict would silently ignore half of what the user typed.
  if (parsed.port !== undefined && parsed.port !== Number(port)) {
    const host = parsed.host.includes(':') ? `[${parsed.host}]` : parsed.host;
    throw usage(
      `--path gives port ${parsed.port} but --port gives ${port}`,
      `Give the same port in both, or leave it out of --path (ssh://${host}${parsed.path} --port ${port}).`,
    );
  }
  // As written: DVC does not percent-decode the user of the URL either.
  if (parsed.user !== undefined && parsed.user !== user) {
    throw usage(
      `--path gives user '${parsed.user}' but --user gives '${user}'`,
      'Give the same user in both, or leave it out of --path.',
    );
  }
  const localOptions: [string, string][] = [];
  const ways: string[] = [];
  if (opts.password !== undefined && opts.password !== '') {
    // Base64, as cmflib stores it: Python cmf's artifact pull decodes it, and so do we.
    localOptions.push(['password', Buffer.from(opts.password, 'utf8').toString('base64')]);
    ways.push('password in .dvc/config.local');
  }
  const warnings: string[] = [];
  const passphrase = opts.passphrase || undefined;
  if (opts.keyfile !== undefined) {
    const keyfile = resolveHome(requireNonEmpty('keyfile', opts.keyfile), ctx);
    if (!statSync(keyfile, { throwIfNoEntry: false })?.isFile()) {
      throw usage(
        `SSH key file ${keyfile} does not exist`,
        'Give the path of your private key, e.g. --keyfile ~/.ssh/id_ed25519.',
      );
    }
    // Checked as push and pull will load it: an encrypted key needs its passphrase.
    const key = inspectKey(readRegularFileSync(keyfile), passphrase);
    if (key.state === 'wrong-passphrase') {
      throw usage(
        `--passphrase does not decrypt the SSH key file ${keyfile}`,
        `Give the passphrase the key is protected with ('ssh-keygen -y -f ${keyfile}' asks for it and checks it).`,
      );
    }
    if (key.state === 'unreadable') {
      throw usage(
        `${keyfile} is not a private key cmf can use: ${key.detail}`,
        'Give an OpenSSH, PEM or PuTTY private key, e.g. --keyfile ~/.ssh/id_ed25519.',
      );
    }
    if (key.state === 'encrypted') {
      const locked = `The SSH key file ${keyfile} is protected by a passphrase and no --passphrase was given`;
      if (!ctx.env.SSH_AUTH_SOCK && !opts.password) {
        throw usage(
          locked,
          `Give --passphrase, or load the key into your SSH agent (ssh-add ${keyfile}) and run init again with the agent running.`,
        );
      }
      warnings.push(
        `${locked}: logins use it only through your SSH agent (ssh-add ${keyfile})${opts.password ? ', else the password' : ''}.`,
      );
    }
    localOptions.push(['keyfile', keyfile]);
    ways.push(`key file ${keyfile}`);
  }
  if (passphrase !== undefined) {
    // As DVC stores it (plain), with the other secrets.
    localOptions.push(['passphrase', passphrase]);
  }
  const configuredKeys = sshConfig.identityFiles.filter((f) => existsSync(f));
  if (ways.length === 0 && configuredKeys.length > 0) {
    ways.push(`IdentityFile of ~/.ssh/config (${configuredKeys.join(', ')})`);
  } else if (ways.length === 0) {
    ways.push('ssh agent or default keys (~/.ssh/id_*)');
    const hasDefaultKey = DEFAULT_KEYS.some((k) => existsSync(join(ctx.home, '.ssh', k)));
    if (!ctx.env.SSH_AUTH_SOCK && !hasDefaultKey) {
      warnings.push(
        'No --password or --keyfile, no SSH agent (SSH_AUTH_SOCK), no IdentityFile in ~/.ssh/config and no ~/.ssh/id_* key: SSH logins will fail.',
      );
    }
  }
  return {
    name: REMOTE_NAMES.sshremote,
    url,
    options: [
      ['user', user],
      ['port', port],
    ],
    localOptions,
    credentials: ways.join(', '),
    warnings,
  };
}

function resolveHome(p: string, ctx: PlanContext): string {
  if (p === '~' || p.startsWith('~/')) return join(ctx.home, p.slice(1));
  return resolve(ctx.root, p);
}

async function readToken(path: string): Promise<string> {
  return stripBearer(await readRegularFile(path, 'utf8'));
}

/**
 * An OSDF --path or --cache: an http(s) URL without a query or fragment. Object URLs are the
 * path plus `/files/md5/…` (Python cmf builds them so from what MLMD records), so a `?…` or
 * `#…` would either be lost or end up in the middle of every object's URL.
 */
function osdfUrl(flag: string, value: string): void {
  requireUrl(flag, value, ['https', 'http']);
  const at = value.search(/[?#]/);
  if (at < 0) return;
  const what = value[at] === '?' ? "a query ('?')" : "a fragment ('#')";
  throw usage(
    `--${flag} '${maskUrlSecrets(value)}' has ${what}: OSDF object URLs are the path followed by /files/md5/…, so it cannot be kept`,
    `Give the URL up to the namespace path only (--${flag} ${value.slice(0, at)}); a token goes in --access-token.`,
  );
}

async function planOsdf(opts: OsdfRemoteOptions, ctx: PlanContext): Promise<RemotePlan> {
  const url = requireNonEmpty('path', opts.path);
  osdfUrl('path', url);
  const cache = opts.cache ?? '';
  if (cache !== '') osdfUrl('cache', cache);
  const keys = [opts.keyId, opts.keyPath, opts.keyIssuer].filter(
    (v) => v !== undefined && v !== '',
  );
  const keyHint =
    'Give --access-token <file or token>, or put a token in ~/.fdp/osdf_token (or BEARER_TOKEN_FILE), or give all of --key-id, --key-path and --key-issuer.';
  if (keys.length > 0 && keys.length < 3) {
    throw usage('--key-id, --key-path and --key-issuer go together', keyHint);
  }
  // Stored as resolved here: push and pull may run from anywhere in the project.
  const keyPath = keys.length === 3 ? resolveHome(opts.keyPath!, ctx) : opts.keyPath;
  // Token selection order of cmflib (spec §8.2), with the WLCG BEARER_TOKEN_FILE added.
  let token: string | undefined;
  let marker = '';
  let credentials: string;
  let tokenSource: string | undefined;
  const defaultTokenFile = join(ctx.home, '.fdp', 'osdf_token');
  const isFile = (p: string) => {
    try {
      return statSync(p, { throwIfNoEntry: false })?.isFile() === true;
    } catch {
      return false; // e.g. ENAMETOOLONG: a raw token is longer than a file name may be
    }
  };
  if (opts.accessToken !== undefined && opts.accessToken !== '') {
    const asPath = resolveHome(opts.accessToken, ctx);
    if (isFile(asPath)) {
      token = await readToken(asPath);
      marker = asPath;
      credentials = `token file ${asPath}`;
    } else {
      token = stripBearer(opts.accessToken);
      marker = 'provided';
      credentials = 'token in .dvc/config.local';
      tokenSource = 'The --access-token value is neither a token file nor a JWT';
    }
  } else if (ctx.env.BEARER_TOKEN_FILE && isFile(ctx.env.BEARER_TOKEN_FILE)) {
    marker = resolve(ctx.root, ctx.env.BEARER_TOKEN_FILE);
    token = await readToken(marker);
    credentials = `token file ${marker} (BEARER_TOKEN_FILE)`;
  } else if (isFile(defaultTokenFile)) {
    token = await readToken(defaultTokenFile);
    marker = defaultTokenFile;
    credentials = `token file ${defaultTokenFile}`;
  } else if (keys.length === 3) {
    checkSigningKey(keyPath!, opts.keyIssuer!);
    credentials = 'tokens minted from the key at each push and pull';
  } else {
    throw usage('OSDF needs a token or a signing key', keyHint);
  }
  const warnings: string[] = [];
  if (token !== undefined && keys.length === 3) {
    warnings.push(
      `--key-id, --key-path and --key-issuer are recorded but not used: the ${credentials} comes first (cmflib's order); push and pull use it.`,
    );
  }
  if (token !== undefined) {
    // Refuse now what every push and pull would refuse; the token itself is never shown.
    let exp: number | undefined;
    try {
      exp = tokenExpiry(token);
    } catch {
      throw usage(
        tokenSource ?? `The OSDF token in ${marker} is not a JWT`,
        'An OSDF token is a JWT (three base64url parts separated by dots). ' + keyHint,
      );
    }
    if (exp !== undefined && exp * 1000 < Date.now()) {
      warnings.push('The OSDF token has expired; refresh it before pushing or pulling.');
    }
  }
  const options: [string, string][] = [
    ['method', 'PUT'],
    ['ask_password', 'false'],
    ['auth', 'custom'],
    ['custom_auth_header', 'Authorization'],
  ];
  if (opts.sslVerify === false) options.push(['ssl_verify', 'false']);
  return {
    name: REMOTE_NAMES.osdfremote,
    url,
    options,
    localOptions: token !== undefined ? [['password', `Bearer ${token}`]] : [],
    osdfSection: [
      ['path', url],
      ['cache', cache],
      ['key_id', opts.keyId ?? ''],
      ['key_path', keyPath ?? ''],
      ['key_issuer', opts.keyIssuer ?? ''],
      ['access_token', marker],
    ],
    credentials,
    warnings,
  };
}

/** Checks what token minting will need: an unencrypted RSA or P-256 PEM key and an issuer URL. */
function checkSigningKey(keyPath: string, issuer: string): void {
  let url: URL | undefined;
  try {
    url = new URL(issuer);
  } catch {
    url = undefined;
  }
  if (!url || url.host === '') {
    throw usage(
      `--key-issuer must be a URL with a host, got '${issuer}'`,
      'Example: --key-issuer https://issuer.example.org/ns',
    );
  }
  let key;
  try {
    key = createPrivateKey({ key: readFileSyncSafe(keyPath), format: 'pem' });
  } catch (err) {
    throw usage(
      `Cannot load the private key ${keyPath}: ${(err as Error).message}`,
      'Give an unencrypted PEM private key (RSA or EC P-256) with --key-path.',
    );
  }
  const ok =
    key.asymmetricKeyType === 'rsa' ||
    (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1');
  if (!ok) {
    throw usage(
      `The key ${keyPath} is neither RSA nor EC P-256`,
      'OSDF tokens are signed with RS256 or ES256.',
    );
  }
}

function readFileSyncSafe(path: string): string {
  try {
    return readRegularFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(unreadableReason(err));
  }
}
