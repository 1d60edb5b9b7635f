import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { readRegularFileSync } from '../fs/regular-file.js';
import { shellCommand } from '../util/shell-quote.js';

/**
 * The part of OpenSSH's client configuration (`~/.ssh/config`) that an SSH remote needs: for
 * a host as written in the remote URL, its real HostName, User, Port, IdentityFiles (and
 * IdentitiesOnly), HostKeyAlias, keepalives (ServerAliveInterval and -CountMax), and how to
 * get there (ProxyCommand, or ProxyJump through bastion hosts). DVC reads HostName, User,
 * Port, IdentityFile and ProxyCommand too, so a remote such as `ssh://backup/dvc` with a
 * `Host backup` block works in both. Semantics as
 * ssh_config(5): keywords are case-insensitive, the first value found for a setting wins
 * (IdentityFile accumulates), `Host` takes patterns with `*`, `?` and `!negation`, and
 * `Include` reads other files (relative to ~/.ssh) in place. `Match` lines are evaluated as
 * far as they can be here (see matchCriteria); other keywords are skipped.
 */

export interface SshHostConfig {
  hostname?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  /** IdentitiesOnly: offer only the configured keys, not every key an agent holds. */
  identitiesOnly?: boolean;
  /**
   * HostKeyAlias: the name the host key is checked and recorded under in known_hosts, as
   * written (no port), instead of the host's own (tunnels, several servers on one address).
   */
  hostKeyAlias?: string;
  /**
   * A command whose stdin and stdout carry the SSH connection, as ssh would run it (tokens
   * expanded; ProxyJump is turned into the `ssh -W` command OpenSSH itself would use).
   */
  proxyCommand?: string;
  /** ServerAliveInterval in seconds (0 turns keepalives off). */
  serverAliveInterval?: number;
  /** ServerAliveCountMax: unanswered keepalives before the connection is given up. */
  serverAliveCountMax?: number;
}

interface Line {
  keyword: string;
  args: string[];
  /** Everything after the keyword, as written (ProxyCommand is a shell command line). */
  rest: string;
}

/** Splits a config line into keyword and arguments (`Key value`, `Key=value`, quotes). */
function parseLine(raw: string): Line | undefined {
  const line = raw.trim();
  if (line === '' || line.startsWith('#')) return undefined;
  const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
  if (!m) return { keyword: line.toLowerCase(), args: [], rest: '' };
  const args: string[] = [];
  for (const t of m[2]!.matchAll(/"([^"]*)"|(\S+)/g)) {
    const word = t[1] ?? t[2]!;
    if (t[1] === undefined && word.startsWith('#')) break; // a trailing comment
    args.push(word);
  }
  return { keyword: m[1]!.toLowerCase(), args, rest: m[2]! };
}

/** A setting that must be a whole number ≥ 0; anything else leaves it unset, as if absent. */
function wholeNumber(value: string): number | undefined {
  return /^\d{1,9}$/.test(value) ? Number(value) : undefined;
}

const TIME_UNITS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** An ssh_config time (`30`, `1m`, `1h30m`: sshd_config(5) TIME FORMATS) in seconds. */
function seconds(value: string): number | undefined {
  if (!/^(\d{1,9}[smhdw]?)+$/i.test(value)) return undefined;
  let total = 0;
  for (const [, n, unit] of value.matchAll(/(\d+)([smhdw]?)/gi)) {
    total += Number(n) * TIME_UNITS[unit!.toLowerCase()]!;
  }
  return total;
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
    text = readRegularFileSync(path, 'utf8');
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

interface TokenValues {
  /** The host to connect to (HostName, else the host as written). */
  host: string;
  user: string | undefined;
  /** Only known when the connection is made (ProxyCommand); left as is before. */
  port?: number;
  /** The host as written in the URL. */
  original?: string;
}

/** Expands the tokens ssh_config allows in HostName, IdentityFile and ProxyCommand. */
export function expandTokens(value: string, v: TokenValues): string {
  const expanded = value.replace(/%([%hdurpn])/g, (all, t: string) => {
    switch (t) {
      case 'h':
        return v.host;
      case 'd':
        return homedir();
      case 'u':
        return userInfo().username;
      case 'r':
        return v.user ?? userInfo().username;
      case 'p':
        return v.port === undefined ? all : String(v.port);
      case 'n':
        return v.original ?? all;
      default:
        return '%';
    }
  });
  return expanded.startsWith('~/') ? join(homedir(), expanded.slice(2)) : expanded;
}

/**
 * The command OpenSSH runs for `ProxyJump hop1,hop2`: `ssh -J hop1 -W '[%h]:%p' hop2`, each hop
 * `[user@]host[:port]` or an `ssh://` URL; `none` means no jump. With BatchMode: the jump
 * hosts' ssh never prompts (cmf must not block on a prompt), so they need a key or an agent.
 * ssh reads the config of the home directory in the password database, not of $HOME: when the
 * file read here is another one, it is handed to ssh with `-F`, so both read the same.
 */
function jumpCommand(spec: string, configFile: string): string | undefined {
  const hops = spec
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  if (hops.length === 0 || (hops.length === 1 && hops[0]!.toLowerCase() === 'none'))
    return undefined;
  const last = hops.pop()!.replace(/^ssh:\/\//, '');
  // The user ends at the last '@', as ssh splits it (a user may hold an '@': me@corp@gw).
  const m = /^(?:(.+)@)?(\[[^\]]+\]|[^:@]+)(?::(\d+))?$/.exec(last);
  const words = ['ssh', '-o', 'BatchMode=yes'];
  if (configFile !== join(userInfo().homedir, '.ssh', 'config')) words.push('-F', configFile);
  if (hops.length > 0) words.push('-J', hops.join(','));
  if (m?.[1]) words.push('-l', m[1]);
  if (m?.[3]) words.push('-p', m[3]);
  words.push('-W', '[%h]:%p', m ? m[2]!.replace(/^\[|\]$/g, '') : last);
  return shellCommand(words);
}

interface MatchContext {
  /** The host to connect to as far as the config has said (HostName so far). */
  host: string;
  /** The host as written in the URL. */
  original: string;
  /** The remote user as far as the config has said. */
  user: string;
  port: number;
}

/** A comma-separated pattern list as `Host` takes it (with `!` negation). */
const listMatches = (list: string, value: string): boolean => hostMatches(list.split(','), value);

/**
 * Whether a `Match` line applies: every criterion must hold (each may be negated with `!`).
 * `all`, `host`, `originalhost`, `user`, `localuser` and `exec` (the command is run, as ssh
 * runs it; exit 0 is a match) are evaluated; this is the only pass over the file, so
 * `canonical` and `final` hold; `localnetwork` and `tagged` never do. An unknown criterion
 * makes the line not apply.
 */
function matchCriteria(args: readonly string[], ctx: MatchContext): boolean {
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    const negated = word.startsWith('!');
    const criterion = (negated ? word.slice(1) : word).toLowerCase();
    let holds: boolean;
    if (criterion === 'all' || criterion === 'canonical' || criterion === 'final') holds = true;
    else {
      const arg = args[++i];
      if (arg === undefined) return false;
      switch (criterion) {
        case 'host':
          holds = listMatches(arg, ctx.host);
          break;
        case 'originalhost':
          holds = listMatches(arg, ctx.original);
          break;
        case 'user':
          holds = listMatches(arg, ctx.user);
          break;
        case 'localuser':
          holds = listMatches(arg, userInfo().username);
          break;
        case 'exec': {
          const command = expandTokens(arg, ctx);
          holds = spawnSync('/bin/sh', ['-c', command], { stdio: 'ignore' }).status === 0;
          break;
        }
        case 'localnetwork':
        case 'tagged':
          holds = false;
          break;
        default:
          return false;
      }
    }
    if (holds === negated) return false;
  }
  return true;
}

/**
 * What the config at `path` (default `~/.ssh/config`) says about `host`; `user` is the remote
 * user given outside the config (URL or remote settings), which `Match user` looks at. A
 * missing or unreadable file says nothing.
 */
export function lookupSshConfig(host: string, path?: string, user?: string): SshHostConfig {
  const file = path ?? join(homedir(), '.ssh', 'config');
  const out: SshHostConfig = { identityFiles: [] };
  let active = true; // lines before the first Host or Match apply to every host
  const identity: string[] = [];
  // ProxyCommand and ProxyJump exclude each other: the first one found wins.
  let proxy: { command: string } | { jump: string } | undefined;
  // The host to connect to as far as the config has said (HostName, tokens expanded).
  const hostname = (): string =>
    out.hostname === undefined
      ? host
      : expandTokens(out.hostname, { host, user: out.user, original: host });
  for (const { keyword, args, rest } of readLines(file, dirname(file))) {
    if (keyword === 'host') {
      active = hostMatches(args, host);
      continue;
    }
    if (keyword === 'match') {
      active = matchCriteria(args, {
        host: hostname(),
        original: host,
        user: user ?? out.user ?? userInfo().username,
        port: out.port ?? 22,
      });
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
    else if (keyword === 'identitiesonly') out.identitiesOnly ??= value.toLowerCase() === 'yes';
    else if (keyword === 'hostkeyalias') out.hostKeyAlias ??= value;
    else if (keyword === 'serveraliveinterval') out.serverAliveInterval ??= seconds(value);
    else if (keyword === 'serveralivecountmax') out.serverAliveCountMax ??= wholeNumber(value);
    else if (keyword === 'proxycommand') proxy ??= { command: rest.trim() };
    else if (keyword === 'proxyjump') proxy ??= { jump: value };
  }
  const resolved = hostname();
  if (out.hostname !== undefined) out.hostname = resolved;
  const tokens = { host: resolved, user: out.user, original: host };
  out.identityFiles = identity.map((f) => expandTokens(f, tokens));
  const command = proxy && ('command' in proxy ? proxy.command : jumpCommand(proxy.jump, file));
  if (command && command.toLowerCase() !== 'none') out.proxyCommand = command;
  return out;
}
