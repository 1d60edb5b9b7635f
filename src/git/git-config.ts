/**
 * The few git config values cmf reads itself, looked up where git looks: the repository's
 * config (parsed by isomorphic-git, which reads git's syntax), then the user's global
 * files, then the system file. `include` directives and `GIT_CONFIG_*` overrides are not
 * followed: the git CLI, when cmf runs it, applies them all anyway.
 */
import fs from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { parseIni, type IniDocument } from '../config/configobj.js';
import { readRegularFile } from '../fs/regular-file.js';

async function mergeFiles(files: readonly string[]): Promise<IniDocument> {
  const merged: IniDocument = new Map();
  for (const file of files) {
    try {
      for (const [name, section] of parseIni(await readRegularFile(file, 'utf8'), {
        lowercase: true,
      })) {
        merged.set(name, new Map([...(merged.get(name) ?? []), ...section]));
      }
    } catch {
      // Missing or unparsable config: git itself would fall back too.
    }
  }
  return merged;
}

/** The user's global git config (XDG file, then ~/.gitconfig, the later winning), lowercased keys. */
export async function readGlobalGitConfig(): Promise<IniDocument> {
  const xdg = process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config');
  return mergeFiles([join(xdg, 'git', 'config'), join(homedir(), '.gitconfig')]);
}

export async function readGlobalGitUser(): Promise<{ name?: string; email?: string }> {
  const user = (await readGlobalGitConfig()).get('user');
  const n = user?.get('name');
  const e = user?.get('email');
  return {
    ...(typeof n === 'string' ? { name: n } : {}),
    ...(typeof e === 'string' ? { email: e } : {}),
  };
}

/**
 * `section.key` (lowercase) from the repository config in `commondir`, else global, else
 * system; undefined when none sets it.
 */
export async function gitConfigValue(
  commondir: string,
  section: string,
  key: string,
): Promise<string | undefined> {
  let local: unknown;
  try {
    local = await git.getConfig({ fs, gitdir: commondir, path: `${section}.${key}` });
  } catch {
    local = undefined;
  }
  if (local !== undefined && local !== null) return String(local);
  const pick = (doc: IniDocument): string | undefined => {
    const v = doc.get(section)?.get(key);
    return Array.isArray(v) ? v.at(-1) : v;
  };
  const global = pick(await readGlobalGitConfig());
  if (global !== undefined) return global;
  if (process.env.GIT_CONFIG_NOSYSTEM) return undefined;
  return pick(await mergeFiles([process.env.GIT_CONFIG_SYSTEM ?? '/etc/gitconfig']));
}

/** A git boolean: true, yes, on, or a non-zero number. */
export function gitTrue(value: string | undefined): boolean {
  if (value === undefined) return false;
  const v = value.trim().toLowerCase();
  return v === 'true' || v === 'yes' || v === 'on' || (/^-?\d+$/.test(v) && Number(v) !== 0);
}
