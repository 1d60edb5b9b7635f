import { createRequire } from 'node:module';

/** The keys in ~/.ssh an SSH login tries when none is configured, best first. */
export const DEFAULT_KEYS: readonly string[] = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

/**
 * What a private key file holds for a login: usable as is (or with the given passphrase),
 * encrypted with no passphrase given, encrypted with another passphrase, or nothing ssh2 can
 * read (`detail` says why). Parsed by ssh2 itself, loaded synchronously so that `cmf init`
 * (synchronous checks) can use it too.
 */
export type KeyState =
  | { state: 'usable' }
  | { state: 'encrypted' }
  | { state: 'wrong-passphrase' }
  | { state: 'unreadable'; detail: string };

interface Ssh2Utils {
  parseKey(data: Buffer | string, passphrase?: string): unknown;
}

let utils: Ssh2Utils | undefined;

export function inspectKey(data: Buffer, passphrase?: string): KeyState {
  utils ??= (createRequire(import.meta.url)('ssh2') as { utils: Ssh2Utils }).utils;
  const parsed = utils.parseKey(data, passphrase || undefined);
  if (!(parsed instanceof Error)) return { state: 'usable' };
  // ssh2's words: "Encrypted … key detected, but no passphrase given", "… bad passphrase?".
  if (/no passphrase given/i.test(parsed.message)) return { state: 'encrypted' };
  if (/bad passphrase/i.test(parsed.message)) return { state: 'wrong-passphrase' };
  return { state: 'unreadable', detail: parsed.message };
}
