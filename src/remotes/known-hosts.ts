import { createHash, createHmac } from 'node:crypto';
import { mkdir, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../fs/atomic.js';
import { withLockFile } from '../fs/lock-file.js';
import { OperationError } from '../errors/index.js';
import { readRegularFile } from '../fs/regular-file.js';

/**
 * OpenSSH known_hosts checks for the SSH driver. cmf (paramiko AutoAddPolicy) and DVC accept
 * any host key; we refuse unknown and changed keys unless the user explicitly accepts a new
 * one, as `ssh` does with StrictHostKeyChecking=yes / accept-new.
 */

export type HostKeyVerdict = 'known' | 'unknown' | 'mismatch' | 'revoked';

/** `host` for port 22, `[host]:port` otherwise: the name known_hosts files use. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** OpenSSH's SHA256 fingerprint of a public key blob. */
export function fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

function hostMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  let matched = false;
  for (const pattern of field.split(',')) {
    if (pattern.startsWith('!')) {
      if (globToRegExp(pattern.slice(1)).test(name)) return false;
    } else if (globToRegExp(pattern).test(name)) matched = true;
  }
  return matched;
}

/** Looks `keyBlob` up for `name` in the text of a known_hosts file. */
export function checkKnownHosts(text: string, name: string, keyBlob: Buffer): HostKeyVerdict {
  const key = keyBlob.toString('base64');
  let sawHost = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let marker: string | undefined;
    if (fields[0]!.startsWith('@')) marker = fields.shift();
    const [hosts, , blob] = fields;
    if (!hosts || !blob || !hostMatches(hosts, name)) continue;
    if (marker === '@cert-authority') continue;
    if (marker === '@revoked') {
      if (blob === key) return 'revoked';
      continue;
    }
    if (blob === key) return 'known';
    sawHost = true;
  }
  return sawHost ? 'mismatch' : 'unknown';
}

/** The key type named inside an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, …). */
export function keyType(keyBlob: Buffer): string {
  const len = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + len).toString('latin1');
}

export async function readKnownHosts(path: string): Promise<string> {
  try {
    return await readRegularFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

/**
 * Adds an entry for `name`, creating the file (and ~/.ssh, 0700) when needed. The file is
 * rewritten whole through a temp file and a rename, keeping its mode: a crash leaves the old
 * file or the new one, never a torn line that `ssh` would then stumble over.
 */
export async function addKnownHost(file: string, name: string, keyBlob: Buffer): Promise<void> {
  // A symlinked known_hosts (dotfile managers) stays a symlink: its target is replaced.
  const path = await realpath(file).catch(() => file);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // Read, add and replace under OpenSSH's own lock name, so that two cmf processes (or ssh)
  // accepting new hosts at once do not drop each other's lines.
  const busy = () =>
    new OperationError('KNOWN_HOSTS_LOCKED', `${path}.lock is held by another process`, {
      hint: `Retry; if no ssh or cmf process is running, delete ${path}.lock.`,
    });
  await withLockFile(`${path}.lock`, { timeoutMs: 10_000, staleMs: 10_000, busy }, async () => {
    const existing = await readKnownHosts(path);
    if (checkKnownHosts(existing, name, keyBlob) === 'known') return; // someone just added it
    const mode = await stat(path).then(
      (s) => s.mode & 0o777,
      () => 0o600,
    );
    const sep = existing && !existing.endsWith('\n') ? '\n' : '';
    const line = `${name} ${keyType(keyBlob)} ${keyBlob.toString('base64')}\n`;
    await writeFileAtomic(path, existing + sep + line, { mode });
  });
}
