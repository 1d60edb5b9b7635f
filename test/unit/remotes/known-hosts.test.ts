import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkKnownHosts,
  fingerprint,
  keyType,
  knownHostsName,
} from '../../../src/remotes/known-hosts.js';

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
});
