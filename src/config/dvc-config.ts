import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { CmfError, ConfigError } from '../errors/index.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { readRegularFile } from '../fs/regular-file.js';
import { styledLike } from '../util/line-ends.js';
import { DEFAULT_LINK_TYPES, parseLinkTypes, type LinkType } from '../hashing/link.js';
import {
  parseIni,
  parseRemoteSectionName,
  serializeIni,
  type IniDocument,
  type IniValue,
} from './configobj.js';

/** Keys whose relative values are relative to the directory of the config file (A5). */
const PATH_KEYS = new Set(['keyfile', 'credentialpath', 'configpath', 'cert_path', 'key_path']);

export interface DvcRemoteConfig {
  name: string;
  url: string;
  /** Every other key of the remote section, lowercased, values as written. */
  options: Record<string, string>;
}

export interface DvcConfig {
  /** `core.remote`, lowercased as DVC does. */
  defaultRemote?: string;
  /** Absolute cache directory (`cache.dir`, default `<repo>/.dvc/cache`). */
  cacheDir: string;
  /** `cache.type`, default reflink then copy. */
  cacheTypes: LinkType[];
  /** `cache.shared = group`: cache directories group-writable (setgid, 0o2775). */
  cacheShared: boolean;
  remotes: Record<string, DvcRemoteConfig>;
  /** The raw merged sections, for keys this summary does not name. */
  sections: IniDocument;
}

/** DVC's four config files, lowest precedence first (the order they are merged in). */
export interface DvcConfigPaths {
  system: string;
  global: string;
  repo: string;
  local: string;
}

/**
 * Where DVC reads its configuration on Linux: the system and global files follow the XDG
 * base directories (DVC_SYSTEM_CONFIG_DIR / DVC_GLOBAL_CONFIG_DIR override them), so a remote
 * or credential a user set with `dvc config --global` applies to cmf too.
 */
export function dvcConfigPaths(repoRoot: string, env = process.env): DvcConfigPaths {
  const firstXdgDir = (env.XDG_CONFIG_DIRS ?? '').split(':').find((d) => d !== '');
  const systemDir = env.DVC_SYSTEM_CONFIG_DIR || join(firstXdgDir || '/etc/xdg', 'dvc');
  const userConfig = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  const globalDir = env.DVC_GLOBAL_CONFIG_DIR || join(userConfig, 'dvc');
  return {
    system: join(systemDir, 'config'),
    global: join(globalDir, 'config'),
    repo: join(repoRoot, '.dvc', 'config'),
    local: join(repoRoot, '.dvc', 'config.local'),
  };
}

/** A config file's text, or undefined when it does not exist; other failures are ConfigErrors. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readRegularFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // Not a regular file (a FIFO would have hung the read): bad configuration, exit 4.
    if (err instanceof CmfError) {
      throw new ConfigError(err.code, err.message, { hint: err.hint, data: err.data });
    }
    throw new ConfigError('CONFIG_UNREADABLE', `Cannot read ${path}: ${(err as Error).message}`, {
      hint: 'Check the file permissions.',
    });
  }
}

/** Relative paths are resolved against the directory of the file that set them. */
function resolvePathValues(doc: IniDocument, file: string): void {
  const base = dirname(file);
  const abs = (p: string) => (p.startsWith('~') ? join(homedir(), p.slice(1)) : resolve(base, p));
  for (const [name, section] of doc) {
    for (const [key, value] of section) {
      if (typeof value !== 'string' || value === '') continue;
      const isLocalUrl =
        key === 'url' && parseRemoteSectionName(name) && !/^[a-z0-9+.-]+:\/\//i.test(value);
      const isCacheDir = name === 'cache' && key === 'dir';
      if (isLocalUrl || isCacheDir || PATH_KEYS.has(key)) {
        if (!isAbsolute(value) || value.startsWith('~')) section.set(key, abs(value));
      }
    }
  }
}

function mergeInto(target: IniDocument, source: IniDocument): void {
  for (const [name, section] of source) {
    const into = target.get(name) ?? new Map<string, IniValue>();
    for (const [k, v] of section) into.set(k, v);
    target.set(name, into);
  }
}

/** Reads the system, global, `.dvc/config` and `.dvc/config.local` files (the later wins), as DVC merges them. */
export async function loadDvcConfig(repoRoot: string, env = process.env): Promise<DvcConfig> {
  const merged: IniDocument = new Map();
  for (const file of Object.values(dvcConfigPaths(repoRoot, env))) {
    const text = await readIfExists(file);
    if (text === undefined) continue;
    const doc = parseIni(text, { lowercase: true, file });
    resolvePathValues(doc, file);
    mergeInto(merged, doc);
  }
  return summarize(repoRoot, merged);
}

function scalar(v: IniValue | undefined): string | undefined {
  return Array.isArray(v) ? v.join(',') : v;
}

function summarize(repoRoot: string, sections: IniDocument): DvcConfig {
  const remotes: Record<string, DvcRemoteConfig> = {};
  for (const [name, section] of sections) {
    const remote = parseRemoteSectionName(name);
    if (remote === undefined) continue;
    const options: Record<string, string> = {};
    for (const [k, v] of section) if (k !== 'url') options[k] = scalar(v) ?? '';
    remotes[remote] = { name: remote, url: scalar(section.get('url')) ?? '', options };
  }
  for (const remote of Object.values(remotes)) resolveRemoteInheritance(remote, remotes);

  const cache = sections.get('cache');
  const typeValue = cache?.get('type');
  const types = Array.isArray(typeValue) ? typeValue : typeValue?.split(',');
  let cacheTypes: LinkType[];
  try {
    cacheTypes = types
      ? parseLinkTypes(types.map((t) => t.toLowerCase()))
      : [...DEFAULT_LINK_TYPES];
  } catch (err) {
    // Same check as for a flag, but here the fix is in the config file.
    throw new ConfigError(
      'CONFIG_INVALID',
      `Invalid cache.type in .dvc/config: ${(err as CmfError).message}`,
      {
        hint: (err as CmfError).hint,
      },
    );
  }
  const shared = scalar(cache?.get('shared'));
  if (shared !== undefined && shared.toLowerCase() !== 'group') {
    throw new ConfigError(
      'CONFIG_INVALID',
      `Invalid cache.shared in .dvc/config: '${shared}' (DVC knows only 'group')`,
      {
        hint: 'Set it to group (`dvc config cache.shared group`), or remove the line.',
      },
    );
  }
  return {
    defaultRemote: scalar(sections.get('core')?.get('remote'))?.toLowerCase(),
    cacheDir: scalar(cache?.get('dir')) ?? join(repoRoot, '.dvc', 'cache'),
    cacheTypes,
    cacheShared: shared !== undefined,
    remotes,
    sections,
  };
}

/** `url = remote://base/sub` inherits the settings of remote `base` and appends `sub`. */
function resolveRemoteInheritance(
  remote: DvcRemoteConfig,
  all: Record<string, DvcRemoteConfig>,
  seen = new Set<string>(),
): void {
  const m = /^remote:\/\/([^/]+)\/?(.*)$/.exec(remote.url);
  if (!m) return;
  const base = all[m[1]!.toLowerCase()];
  if (!base || seen.has(base.name)) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `Remote '${remote.name}' refers to an unknown remote '${m[1]}'`,
      {
        hint: 'Fix the url of the remote in .dvc/config.',
      },
    );
  }
  seen.add(remote.name);
  resolveRemoteInheritance(base, all, seen);
  remote.url = m[2] ? `${base.url.replace(/\/+$/, '')}/${m[2]}` : base.url;
  remote.options = { ...base.options, ...remote.options };
}

/**
 * Reads one INI file (raw, case kept), lets `mutate` change it, and writes it back
 * atomically. Sections the mutation does not touch are kept as they were. `mode` sets the
 * file's permissions (0o600 for files holding secrets); `skipIfAbsentAndEmpty` creates no
 * empty file where there was none.
 */
export async function updateIniFile(
  path: string,
  mutate: (doc: IniDocument) => void,
  opts: { mode?: number; skipIfAbsentAndEmpty?: boolean } = {},
): Promise<void> {
  const text = await readIfExists(path);
  const doc = text === undefined ? new Map() : parseIni(text, { file: path });
  mutate(doc);
  if (text === undefined && doc.size === 0 && opts.skipIfAbsentAndEmpty) return;
  // A byte order mark and CRLF line ends (a file edited on Windows) are kept, as configobj
  // keeps them when DVC rewrites the file.
  await writeFileAtomic(
    path,
    styledLike(serializeIni(doc), text ?? ''),
    opts.mode === undefined ? {} : { mode: opts.mode },
  );
}
