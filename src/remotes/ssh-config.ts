import { readdirSync, readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';

/**
 * The part of OpenSSH's client configuration (`~/.ssh/config`) that an SSH remote needs: for
 * a host as written in the remote URL, its real HostName, User, Port and IdentityFiles. DVC
 * reads the same four settings, so a remote such as `ssh://backup/dvc` with a `Host backup`
 * block works in both. Semantics as ssh_config(5): keywords are case-insensitive, the first
 * value found for a setting wins (IdentityFile accumulates), `Host` takes patterns with `*`,
 * `?` and `!negation`, and `Include` reads other files (relative to ~/.ssh) in place. `Match`
 * blocks cannot be evaluated here and are skipped, as are all other keywords.
 */

export interface SshHostConfig {
  hostname?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
}

interface Line {
  keyword: string;
  args: string[];
}

/** Splits a config line into keyword and arguments (`Key value`, `Key=value`, quotes). */
function parseLine(raw: string): Line | undefined {
  const line = raw.trim();
  if (line === '' || line.startsWith('#')) return undefined;
  const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
  if (!m) return { keyword: line.toLowerCase(), args: [] };
  const args: string[] = [];
  for (const t of m[2]!.matchAll(/"([^"]*)"|(\S+)/g)) {
    const word = t[1] ?? t[2]!;
    if (t[1] === undefined && word.startsWith('#')) break; // a trailing comment
    args.push(word);
  }
  return { keyword: m[1]!.toLowerCase(), args };
}

/** A glob of ssh_config patterns (`*` any run, `?` one character), whole string, no case. */
function globMatch(pattern: string, text: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(text);
}

/** A `Host` line matches when one pattern does and no negated one does. */
function hostMatches(patterns: readonly string[], host: string): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), host)) return false;
    } else if (globMatch(p, host)) matched = true;
  }
  return matched;
}

/** Paths an `Include` argument names: `~` expanded, relative to ~/.ssh, `*`/`?` in the name. */
function includedFiles(arg: string, sshDir: string): string[] {
  const path = arg.startsWith('~/')
    ? join(homedir(), arg.slice(2))
    : isAbsolute(arg)
      ? arg
      : join(sshDir, arg);
  const name = basename(path);
  if (!/[*?]/.test(name)) return [path];
  try {
    return readdirSync(dirname(path))
      .filter((f) => globMatch(name, f))
      .sort()
      .map((f) => join(dirname(path), f));
  } catch {
    return [];
  }
}

/** Lines of a config file and of the files it includes, in reading order. */
function readLines(path: string, sshDir: string, depth = 0): Line[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: Line[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = parseLine(raw);
    if (!line) continue;
    if (line.keyword === 'include' && depth < 8) {
      for (const arg of line.args)
        for (const f of includedFiles(arg, sshDir)) out.push(...readLines(f, sshDir, depth + 1));
    } else out.push(line);
  }
  return out;
}

/** Expands the tokens ssh_config allows in HostName and IdentityFile that we can know. */
function expandTokens(value: string, host: string, user: string | undefined): string {
  const expanded = value.replace(/%([%hdur])/g, (_, t: string) => {
    switch (t) {
      case 'h':
        return host;
      case 'd':
        return homedir();
      case 'u':
        return userInfo().username;
      case 'r':
        return user ?? userInfo().username;
      default:
        return '%';
    }
  });
  return expanded.startsWith('~/') ? join(homedir(), expanded.slice(2)) : expanded;
}

/**
 * What the config at `path` (default `~/.ssh/config`) says about `host`. A missing or
 * unreadable file says nothing.
 */
export function lookupSshConfig(host: string, path?: string): SshHostConfig {
  const file = path ?? join(homedir(), '.ssh', 'config');
  const out: SshHostConfig = { identityFiles: [] };
  let active = true; // lines before the first Host or Match apply to every host
  const identity: string[] = [];
  for (const { keyword, args } of readLines(file, dirname(file))) {
    if (keyword === 'host') {
      active = hostMatches(args, host);
      continue;
    }
    if (keyword === 'match') {
      active = false;
      continue;
    }
    if (!active || args.length === 0) continue;
    const value = args[0]!;
    if (keyword === 'hostname') out.hostname ??= value;
    else if (keyword === 'user') out.user ??= value;
    else if (keyword === 'port') {
      const port = Number(value);
      if (out.port === undefined && Number.isInteger(port) && port > 0 && port < 65536)
        out.port = port;
    } else if (keyword === 'identityfile') identity.push(value);
  }
  if (out.hostname !== undefined) out.hostname = expandTokens(out.hostname, host, out.user);
  out.identityFiles = identity.map((f) => expandTokens(f, out.hostname ?? host, out.user));
  return out;
}
