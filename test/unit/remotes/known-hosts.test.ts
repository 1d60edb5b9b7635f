import { createHmac, randomBytes } from 'node:crypto';
import { chmod, readdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  addKnownHost,
  checkKnownHosts,
  fingerprint,
  keyType,
  knownHostsName,
} from '../../../src/remotes/known-hosts.js';
import { tempDir } from '../../helpers/tmp.js';

function blob(type = 'ssh-ed25519'): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, Buffer.from([0, 0, 0, 32]), randomBytes(32)]);
}

describe('known_hosts', () => {
  const key = blob();
  const other = blob();
  const b64 = key.toString('base64');

  it('names non-22 ports in brackets', () => {
    expect(knownHostsName('h', 22)).toBe('h');
    expect(knownHostsName('h', 2222)).toBe('[h]:2222');
  });

  it('finds plain, listed, wildcard and hashed entries', () => {
    expect(checkKnownHosts(`h ssh-ed25519 ${b64}\n`, 'h', key)).toBe('known');
    expect(checkKnownHosts(`x,[h]:2222 ssh-ed25519 ${b64}\n`, '[h]:2222', key)).toBe('known');
    expect(checkKnownHosts(`*.example.org ssh-ed25519 ${b64}\n`, 'a.example.org', key)).toBe(
      'known',
    );
    expect(
      checkKnownHosts(
        `*.example.org,!bad.example.org ssh-ed25519 ${b64}\n`,
        'bad.example.org',
        key,
      ),
    ).toBe('unknown');
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update('[h]:2222').digest('base64');
    expect(
      checkKnownHosts(
        `|1|${salt.toString('base64')}|${hash} ssh-ed25519 ${b64}\n`,
        '[h]:2222',
        key,
      ),
    ).toBe('known');
  });

  it('tells an unknown host from a changed key and a revoked one', () => {
    expect(checkKnownHosts('# nothing\n', 'h', key)).toBe('unknown');
    expect(checkKnownHosts(`h ssh-ed25519 ${other.toString('base64')}\n`, 'h', key)).toBe(
      'mismatch',
    );
    expect(checkKnownHosts(`@revoked h ssh-ed25519 ${b64}\nh ssh-ed25519 ${b64}\n`, 'h', key)).toBe(
      'revoked',
    );
  });

  it('reads the key type and prints OpenSSH fingerprints', () => {
    expect(keyType(key)).toBe('ssh-ed25519');
    expect(fingerprint(key)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('adds an entry to a new file (and ~/.ssh) or after the existing ones, keeping mode and symlink', async () => {
    const dir = await tempDir();
    const fresh = join(dir, '.ssh', 'known_hosts');
    await addKnownHost(fresh, '[h]:2222', key);
    expect(await readFile(fresh, 'utf8')).toBe(`[h]:2222 ssh-ed25519 ${b64}\n`);
    expect((await stat(fresh)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, '.ssh'))).mode & 0o777).toBe(0o700);

    const target = join(dir, 'dotfiles-known_hosts');
    await writeFile(target, '# mine\nother ssh-ed25519 AAAA'); // no final newline
    await chmod(target, 0o644);
    const link = join(dir, 'link');
    await symlink(target, link);
    await addKnownHost(link, 'h', other);
    expect(await readFile(target, 'utf8')).toBe(
      `# mine\nother ssh-ed25519 AAAA\nh ssh-ed25519 ${other.toString('base64')}\n`,
    );
    expect((await stat(target)).mode & 0o777).toBe(0o644);
    expect(checkKnownHosts(await readFile(link, 'utf8'), 'h', other)).toBe('known');
    // Written through a temp file that is renamed into place: nothing is left beside it.
    expect((await readdir(dir)).sort()).toEqual(['.ssh', 'dotfiles-known_hosts', 'link']);
  });

  it('keeps every line when several processes accept new hosts at the same time', async () => {
    const file = join(await tempDir(), 'known_hosts');
    await writeFile(file, `old ssh-ed25519 ${b64}\n`);
    const keys = Array.from({ length: 12 }, () => blob());
    // Each call reads, adds its line and replaces the file: without a lock, concurrent calls
    // overwrite each other's lines. The same host twice is recorded once.
    await Promise.all([
      ...keys.map((k, i) => addKnownHost(file, `h${i}`, k)),
      addKnownHost(file, 'h0', keys[0]!),
    ]);
    const text = await readFile(file, 'utf8');
    expect(text.trim().split('\n')).toHaveLength(13);
    for (const [i, k] of keys.entries()) expect(checkKnownHosts(text, `h${i}`, k)).toBe('known');
    expect(checkKnownHosts(text, 'old', key)).toBe('known');
    expect(await readdir(join(file, '..'))).toEqual(['known_hosts']);
  });

  it('removes a lock left behind by a killed process', async () => {
    const file = join(await tempDir(), 'known_hosts');
    await writeFile(`${file}.lock`, '');
    const old = new Date(Date.now() - 60_000);
    await utimes(`${file}.lock`, old, old);
    await addKnownHost(file, 'h', key);
    expect(checkKnownHosts(await readFile(file, 'utf8'), 'h', key)).toBe('known');
    expect(await readdir(join(file, '..'))).toEqual(['known_hosts']);
  });
});
