import { join } from 'node:path';
import {
  CMF_SERVER_DB_SECTION,
  DEFAULT_CMF_SERVER_URL,
  flattenCmfConfig,
  NEO4J_DB_SECTION,
  readCmfConfig,
} from './cmfconfig.js';
import { parseIni, type IniDocument } from './configobj.js';
import { dvcConfigPaths, readIfExists } from './dvc-config.js';
import { cmfConfigFileName, requireProjectRoot } from './project.js';
import { hasUrlSecret, maskUrlSecrets } from '../util/url-secrets.js';

/**
 * The configuration cmf resolves for a project, one entry per key with where its value
 * came from, in the precedence of DESIGN.md: environment > `.dvc/config.local` >
 * `.dvc/config` > DVC's global and system files > `.cmfconfig` > defaults. Keys are spelled as `cmf init show` prints
 * them: DVC's `dvc config -l` names (`core.remote`, `remote.<name>.<key>`) and cmflib's
 * flattened `.cmfconfig` names (`cmf-server-url`, `neo4j-user`, `osdf-path`, ...).
 */
export interface ConfigEntry {
  key: string;
  value: string;
  /**
   * `.dvc/config`, `.dvc/config.local`, the absolute path of DVC's global or system config
   * file, the cmf config file name, `environment` or `default`.
   */
  source: string;
  /** The environment variable, when source is `environment`. */
  variable?: string;
  /** A credential option, or a value holding a URL with a password (`scheme://u:pw@host`). */
  secret: boolean;
}

export interface ResolvedConfig {
  root: string;
  entries: ConfigEntry[];
}

/** Remote option names that hold credentials (DVC's schema), masked by `cmf init show`. */
const SECRET_OPTIONS = new Set([
  'password',
  'passphrase',
  'access_key_id',
  'secret_access_key',
  'session_token',
  'sse_customer_key',
  'token',
  'account_key',
  'client_secret',
  'sas_token',
  'connection_string',
  'oss_key_secret',
  'gdrive_client_secret',
]);

/** Standard AWS variables, read for every `s3://` remote that does not configure its own (see awsEnvInUse). */
const AWS_ENV: [string, string][] = [
  ['AWS_ACCESS_KEY_ID', 'access_key_id'],
  ['AWS_SECRET_ACCESS_KEY', 'secret_access_key'],
  ['AWS_SESSION_TOKEN', 'session_token'],
  ['AWS_PROFILE', 'profile'],
];

/**
 * The AWS variables push and pull would use for the S3 remote `prefix` (`remote.<name>`), in
 * the S3 driver's and the AWS SDK's order: keys configured for the remote (both of them) are
 * used as they are; else a profile, the remote's own before AWS_PROFILE, and then no
 * environment keys (the SDK skips them when a profile is named); else the environment's keys.
 */
function awsEnvInUse(
  prefix: string,
  configured: ReadonlyMap<string, ConfigEntry>,
  env: NodeJS.ProcessEnv,
): Array<[variable: string, option: string]> {
  const has = (option: string) => !!configured.get(`${prefix}.${option}`)?.value;
  if (has('access_key_id') && has('secret_access_key')) return [];
  if (has('profile')) return [];
  const present = AWS_ENV.filter(([variable]) => !!env[variable]);
  if (env.AWS_PROFILE) return present.filter(([, option]) => option === 'profile');
  return present;
}

/** Environment overrides of `.cmfconfig` keys. */
const CMF_ENV: [string, string][] = [
  ['CMF_SERVER_URL', 'cmf-server-url'],
  ['CMF_SERVER_TOKEN', 'cmf-server-token'],
  ['NEO4J_USER', 'neo4j-user'],
  ['NEO4J_PASSWORD', 'neo4j-password'],
  ['NEO4J_URI', 'neo4j-uri'],
];

function isSecretKey(key: string): boolean {
  return (
    key === 'neo4j-password' ||
    key === 'cmf-server-token' ||
    SECRET_OPTIONS.has(key.slice(key.lastIndexOf('.') + 1))
  );
}

/** `dvc config -l` key of a section/key pair. */
function dvcKey(section: string, key: string): string {
  const named = /^(remote|db|machine)\s+"(.*)"$/.exec(section);
  return named ? `${named[1]}.${named[2]}.${key}` : `${section}.${key}`;
}

async function readDvcFile(path: string): Promise<IniDocument | undefined> {
  const text = await readIfExists(path);
  if (text === undefined) return undefined;
  return parseIni(text, { lowercase: true, file: path });
}

export async function resolveConfig(
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResolvedConfig> {
  const root = requireProjectRoot(cwd, env);
  const entry = (key: string, value: string, source: string, variable?: string): ConfigEntry => ({
    key,
    value,
    source,
    ...(variable ? { variable } : {}),
    secret: isSecretKey(key) || hasUrlSecret(value),
  });
  const entries = new Map<string, ConfigEntry>();
  const set = (key: string, value: string, source: string, variable?: string) =>
    entries.set(key, entry(key, value, source, variable));

  // .cmfconfig first so that its keys come after DVC's only when DVC does not set them.
  const cmfName = cmfConfigFileName(env);
  const cmfDoc = await readCmfConfig(join(root, cmfName));
  const cmfEntries = new Map<string, ConfigEntry>();
  const setCmf = (key: string, value: string, source: string, variable?: string) =>
    cmfEntries.set(key, entry(key, value, source, variable));
  setCmf('cmf-server-url', DEFAULT_CMF_SERVER_URL, 'default');
  for (const [k, v] of cmfDoc ? flattenCmfConfig(cmfDoc) : []) setCmf(k, v, cmfName);

  const paths = dvcConfigPaths(root, env);
  for (const [file, label] of [
    [paths.system, paths.system],
    [paths.global, paths.global],
    [paths.repo, '.dvc/config'],
    [paths.local, '.dvc/config.local'],
  ] as const) {
    const doc = await readDvcFile(file);
    for (const [section, keys] of doc ?? []) {
      for (const [k, v] of keys) {
        const value = Array.isArray(v) ? v.join(',') : v;
        if (section === NEO4J_DB_SECTION && k === 'password')
          setCmf('neo4j-password', value, label);
        else if (section === CMF_SERVER_DB_SECTION && k === 'password')
          setCmf('cmf-server-token', value, label);
        else if (section !== '') set(dvcKey(section, k), value, label);
      }
    }
  }

  const s3Remotes = [...entries.values()]
    .filter((e) => /^remote\.[^.]+\.url$/.test(e.key) && e.value.startsWith('s3://'))
    .map((e) => e.key.slice(0, -'.url'.length));
  for (const prefix of s3Remotes) {
    for (const [variable, option] of awsEnvInUse(prefix, entries, env)) {
      set(`${prefix}.${option}`, env[variable]!, 'environment', variable);
    }
  }
  for (const [variable, key] of CMF_ENV) {
    const value = env[variable];
    if (value) setCmf(key, value, 'environment', variable);
  }
  return { root, entries: [...entries.values(), ...cmfEntries.values()] };
}

/** Entries with secret values replaced, unless `showSecrets`. */
export function maskSecrets(entries: ConfigEntry[], showSecrets = false): ConfigEntry[] {
  if (showSecrets) return entries;
  return entries.map((e) => (e.secret ? { ...e, value: maskValue(e.key, e.value) } : e));
}

function maskValue(key: string, value: string): string {
  // Any value may hold a URL with a password (a hand-written url or endpointurl, a server
  // URL): only the password is hidden, so that the host still shows.
  if (!isSecretKey(key)) return maskUrlSecrets(value);
  if (value === '') return '';
  // An access key id's last characters identify the key without revealing it (as AWS shows it).
  if (key.endsWith('.access_key_id') && value.length >= 12) return `****${value.slice(-4)}`;
  return '********';
}
