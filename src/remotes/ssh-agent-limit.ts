import { readFileSync } from 'node:fs';
import type { BaseAgent, IdentityCallback, ParsedKey } from 'ssh2';

/**
 * IdentitiesOnly as OpenSSH applies it to an agent: the agent may only offer keys that are
 * among the configured IdentityFiles (a passphrase-protected key is typically used that way:
 * its file is named in the config, its unlocked copy held by the agent). A key file's public
 * half is read from `<file>.pub`, else from the file itself: in OpenSSH's own format the
 * public key is stored unencrypted even when the private key is locked.
 */
export async function agentLimitedTo(
  socket: string,
  keyFiles: readonly string[],
): Promise<BaseAgent> {
  const { OpenSSHAgent, utils } = await import('ssh2');
  const allowed: Buffer[] = [];
  for (const file of keyFiles) {
    const blob = publicBlob(`${file}.pub`, utils.parseKey) ?? publicBlob(file, utils.parseKey);
    if (blob) allowed.push(blob);
  }
  class LimitedAgent extends OpenSSHAgent {
    override getIdentities(cb: IdentityCallback<ParsedKey>): void {
      super.getIdentities((err, keys) => {
        // An OpenSSH agent answers with parsed keys (ssh2's typing also allows entries).
        const parsed = keys as ParsedKey[] | undefined;
        cb(
          err,
          parsed?.filter((k) => allowed.some((b) => b.equals(k.getPublicSSH()))),
        );
      });
    }
  }
  return new LimitedAgent(socket);
}

type ParseKey = (data: Buffer) => ParsedKey | Error;

/** The SSH wire form of the public key in a key file, if one can be read without a passphrase. */
function publicBlob(path: string, parseKey: ParseKey): Buffer | undefined {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch {
    return undefined;
  }
  const key = parseKey(data);
  if (!(key instanceof Error)) return key.getPublicSSH();
  return opensshPublicBlob(data.toString('latin1'));
}

const MAGIC = 'openssh-key-v1\0';

/**
 * The public key of an `-----BEGIN OPENSSH PRIVATE KEY-----` file: after the magic come the
 * cipher name, the KDF name, the KDF options, a key count, then the first public key, none of
 * them encrypted (PROTOCOL.key in OpenSSH's sources).
 */
function opensshPublicBlob(text: string): Buffer | undefined {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(
    text,
  );
  if (!m) return undefined;
  const buf = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  if (buf.toString('latin1', 0, MAGIC.length) !== MAGIC) return undefined;
  let at = MAGIC.length;
  const skipString = (): boolean => {
    if (at + 4 > buf.length) return false;
    at += 4 + buf.readUInt32BE(at);
    return at <= buf.length;
  };
  if (!skipString() || !skipString() || !skipString() || at + 4 > buf.length) return undefined;
  at += 4; // the number of keys
  if (at + 4 > buf.length) return undefined;
  const len = buf.readUInt32BE(at);
  if (at + 4 + len > buf.length) return undefined;
  return buf.subarray(at + 4, at + 4 + len);
}
