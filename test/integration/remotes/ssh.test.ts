import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CmfError, ConfigError, OperationError } from '../../../src/errors/index.js';
import { objectKey } from '../../../src/remotes/driver.js';
import { openRemote, type RemoteConfig } from '../../../src/remotes/factory.js';
import { freePort } from '../../servers/common.js';
import { startSshd, type SshdServer } from '../../servers/sshd.js';
import { remoteContract } from '../../helpers/remote-contract.js';
import { resumeTests } from '../../helpers/remote-resume.js';
import { killAndResumeTest } from '../../helpers/remote-kill.js';
import { tempDir } from '../../helpers/tmp.js';
import { canMount, mountSmallTmpfs } from '../../helpers/full-fs.js';

let sshd: SshdServer;
let knownHosts: string;

beforeAll(async () => {
  sshd = await startSshd();
  knownHosts = join(sshd.dataDir, '..', 'known_hosts');
  await writeFile(knownHosts, sshd.knownHostsLine);
});
afterAll(async () => {
  await sshd?.stop();
});

function remote(
  options: Record<string, string> = {},
  root = randomBytes(6).toString('hex'),
): RemoteConfig {
  return {
    name: 'ssh-storage',
    url: `ssh://127.0.0.1${sshd.dataDir}/${root}`,
    options: {
      user: sshd.user,
      port: String(sshd.port),
      // cmf init sshremote stores the password base64-encoded.
      password: Buffer.from(sshd.password).toString('base64'),
      known_hosts: knownHosts,
      ...options,
    },
  };
}

remoteContract('ssh', () => openRemote(remote()), { bigBytes: 50 << 20 });

resumeTests('ssh', async () => {
  const d = await openRemote(remote());
  return { up: d, down: async () => d };
});

describe('ssh remote connections', () => {
  it('logs in with a plain password and with a key file', async () => {
    const plain = await openRemote(remote({ password: sshd.password }));
    expect(await plain.exists('files/md5/00/nothing')).toBe(false);
    await plain.close();
    const keyed = await openRemote(remote({ password: '', keyfile: sshd.keyPath }));
    expect(await keyed.exists('files/md5/00/nothing')).toBe(false);
    await keyed.close();
  });

  it('logs in with a key held by ssh-agent', async () => {
    const dir = await tempDir();
    const sock = join(dir, 'agent.sock');
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync('ssh-agent', ['-s', '-a', sock], { encoding: 'utf8' });
    const agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(out)![1]);
    const saved = process.env.SSH_AUTH_SOCK;
    try {
      execFileSync('ssh-add', ['-q', sshd.keyPath], {
        env: { ...process.env, SSH_AUTH_SOCK: sock },
      });
      process.env.SSH_AUTH_SOCK = sock;
      const d = await openRemote(remote({ password: '', allow_agent: 'true' }));
      expect(await d.exists('files/md5/00/nothing')).toBe(false);
      await d.close();
    } finally {
      if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved;
      process.kill(agentPid);
    }
  });

  it('resolves a host of ~/.ssh/config (HostName, Port, User, IdentityFile), as ssh and DVC do', async () => {
    // No agent: the key must come from the config.
    await withSshConfig([...hostBlock('cmf-backup'), 'Host *', '  Port 1'], async () => {
      const content = Buffer.from('through an alias\n');
      const key = objectKey(createHash('md5').update(content).digest('hex'));
      const d = await openRemote({
        name: 'aliased',
        url: `ssh://cmf-backup${sshd.dataDir}/${randomBytes(6).toString('hex')}`,
        options: { known_hosts: knownHosts },
      });
      expect(d.location.startsWith(`ssh://${sshd.user}@127.0.0.1:${sshd.port}/`)).toBe(true);
      await d.put(key, { stream: Readable.from([content]), size: content.length });
      expect(await d.exists(key)).toBe(true);
      await d.close();

      // The remote's own settings come first: its port beats the config's.
      const wrongPort = await freePort();
      const err = await openRemote({
        name: 'aliased',
        url: `ssh://cmf-backup${sshd.dataDir}/x`,
        options: { known_hosts: knownHosts, port: String(wrongPort) },
      }).catch((e: unknown) => e);
      expect((err as CmfError).code).toBe('REMOTE_UNREACHABLE');
      expect((err as CmfError).message).toContain(`127.0.0.1:${wrongPort}`);
    });
  });

  /** Runs `fn` with HOME set to a fresh directory whose .ssh/config is `lines`, and no agent. */
  async function withSshConfig(lines: string[], fn: (home: string) => Promise<void>) {
    const home = await tempDir();
    await mkdir(join(home, '.ssh'), { mode: 0o700 });
    await writeFile(join(home, '.ssh', 'config'), [...lines, ''].join('\n'), { mode: 0o600 });
    const saved = { home: process.env.HOME, agent: process.env.SSH_AUTH_SOCK };
    process.env.HOME = home;
    delete process.env.SSH_AUTH_SOCK;
    try {
      await fn(home);
    } finally {
      process.env.HOME = saved.home;
      if (saved.agent === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = saved.agent;
    }
  }

  /** Puts one object through a remote of `url` and reads it back. */
  async function roundTrip(url: string): Promise<string> {
    const content = randomBytes(1000);
    const key = objectKey(createHash('md5').update(content).digest('hex'));
    const d = await openRemote({ name: 'proxied', url, options: { known_hosts: knownHosts } });
    try {
      await d.put(key, { stream: Readable.from([content]), size: content.length });
      expect(await d.read!(key, 1 << 20)).toEqual(content);
      return d.location;
    } finally {
      await d.close();
    }
  }

  const hostBlock = (alias: string) => [
    `Host ${alias}`,
    '  HostName 127.0.0.1',
    `  Port ${sshd.port}`,
    `  User ${sshd.user}`,
    `  IdentityFile ${sshd.keyPath}`,
  ];

  it('connects through the ProxyCommand of ~/.ssh/config, tokens expanded', async () => {
    // A TCP relay on stdin/stdout, as `nc %h %p` would be; it logs where it was asked to go.
    const dir = await tempDir();
    const relay = join(dir, 'relay.mjs');
    const log = join(dir, 'relay.log');
    await writeFile(
      relay,
      [
        "import { appendFileSync } from 'node:fs';",
        "import { connect } from 'node:net';",
        'const [host, port, log] = process.argv.slice(2);',
        'appendFileSync(log, `${host}:${port}\\n`);',
        'const s = connect(Number(port), host);',
        'process.stdin.pipe(s).pipe(process.stdout);',
        "s.on('error', (e) => { console.error(e.message); process.exit(1); });",
      ].join('\n'),
    );
    const proxy = `  ProxyCommand ${process.execPath} ${relay} %h %p ${log}`;
    await withSshConfig([...hostBlock('behind-proxy'), proxy], async () => {
      const location = await roundTrip(
        `ssh://behind-proxy${sshd.dataDir}/${randomBytes(6).toString('hex')}`,
      );
      expect(location.startsWith(`ssh://${sshd.user}@127.0.0.1:${sshd.port}/`)).toBe(true);
    });
    expect(await readFile(log, 'utf8')).toBe(`127.0.0.1:${sshd.port}\n`);
  });

  it('connects through a jump host of ProxyJump with the system ssh, as OpenSSH does', async () => {
    // The test sshd is both the jump host and the target: ssh -W opens the tunnel through it.
    await withSshConfig(
      [
        ...hostBlock('bastion'),
        `  UserKnownHostsFile ${knownHosts}`,
        ...hostBlock('inside'),
        '  ProxyJump bastion',
      ],
      async () => {
        await roundTrip(`ssh://inside${sshd.dataDir}/${randomBytes(6).toString('hex')}`);
      },
    );
  });

  it('explains a proxy command that fails, with its own error output', async () => {
    await withSshConfig(
      [
        ...hostBlock('unreachable'),
        "  ProxyCommand echo 'bastion.example: no route to host' >&2; exit 255",
      ],
      async () => {
        const err = await openRemote({
          name: 'proxied',
          url: `ssh://unreachable${sshd.dataDir}/x`,
          options: { known_hosts: knownHosts },
        }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(OperationError);
        expect((err as CmfError).code).toBe('REMOTE_UNREACHABLE');
        expect((err as CmfError).message).toContain('bastion.example: no route to host');
        expect((err as CmfError).hint).toContain('ProxyJump');
      },
    );
  });

  it('with IdentitiesOnly, lets the agent offer only the keys of the configured files', async () => {
    // The agent holds the authorised key. A config naming another key gets nothing from it;
    // one naming the authorised key's passphrase-protected file (as people keep keys: the file
    // locked, the agent holding it unlocked) logs in through the agent.
    const dir = await tempDir();
    const sock = join(dir, 'agent.sock');
    const other = join(dir, 'other_key');
    const locked = join(dir, 'locked_key');
    const { execFileSync } = await import('node:child_process');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    execFileSync('cp', [sshd.keyPath, locked]);
    execFileSync('ssh-keygen', ['-q', '-p', '-N', 'secret', '-f', locked]);
    const out = execFileSync('ssh-agent', ['-s', '-a', sock], { encoding: 'utf8' });
    const agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(out)![1]);
    try {
      execFileSync('ssh-add', ['-q', sshd.keyPath], {
        env: { ...process.env, SSH_AUTH_SOCK: sock },
      });
      const block = (file: string, only: string) => [
        'Host keyed',
        '  HostName 127.0.0.1',
        `  Port ${sshd.port}`,
        `  User ${sshd.user}`,
        `  IdentityFile ${file}`,
        `  IdentitiesOnly ${only}`,
      ];
      const open = async () => {
        process.env.SSH_AUTH_SOCK = sock;
        return openRemote({
          name: 'keyed',
          url: `ssh://keyed${sshd.dataDir}/x`,
          options: { known_hosts: knownHosts },
        });
      };
      await withSshConfig(block(other, 'no'), async () => {
        await (await open()).close(); // every key of the agent is offered
      });
      await withSshConfig(block(other, 'yes'), async () => {
        const err = await open().catch((e: unknown) => e);
        expect((err as CmfError).code).toBe('REMOTE_AUTH');
        expect((err as CmfError).hint).toContain(other);
      });
      await withSshConfig(block(locked, 'yes'), async () => {
        await (await open()).close();
      });
    } finally {
      process.kill(agentPid);
    }
  });

  it('checks the host key under HostKeyAlias, as written, when the config sets one', async () => {
    const dir = await tempDir();
    const aliased = join(dir, 'known_hosts');
    const keyPart = sshd.knownHostsLine.trim().split(' ').slice(1).join(' ');
    await writeFile(aliased, `storage-node-7 ${keyPart}\n`);
    const open = () =>
      openRemote({
        name: 'aliased',
        url: `ssh://tunnelled${sshd.dataDir}/x`,
        options: { known_hosts: aliased },
      });
    await withSshConfig(
      [...hostBlock('tunnelled'), '  HostKeyAlias storage-node-7'],
      async () => await (await open()).close(),
    );
    // Without the alias the key is looked up as [127.0.0.1]:port, which this file lacks.
    await withSshConfig(hostBlock('tunnelled'), async () => {
      const err = await open().catch((e: unknown) => e);
      expect((err as CmfError).code).toBe('SSH_HOST_KEY_UNKNOWN');
    });
  });

  it('a passphrase-protected key file: named with a hint when no passphrase is set, used with it, refused with a wrong one', async () => {
    const dir = await tempDir();
    const locked = join(dir, 'locked_key');
    const { execFileSync } = await import('node:child_process');
    execFileSync('cp', [sshd.keyPath, locked]);
    execFileSync('ssh-keygen', ['-q', '-p', '-N', 'secret', '-f', locked]);
    const keyed = (options: Record<string, string>) =>
      remote({ password: '', keyfile: locked, allow_agent: 'false', ...options });

    const err = await openRemote(keyed({})).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as CmfError).code).toBe('SSH_KEY_ENCRYPTED');
    expect((err as CmfError).message).toContain(`${locked} is protected by a passphrase`);
    expect((err as CmfError).hint).toContain('--passphrase');
    expect((err as CmfError).hint).toContain('passphrase');

    // With a password that the server refuses, too: still the key is what to fix.
    const both = await openRemote(keyed({ password: 'wrong' })).catch((e: unknown) => e);
    expect((both as CmfError).code).toBe('SSH_KEY_ENCRYPTED');
    expect((both as CmfError).message).toContain('refused the other credentials');

    const d = await openRemote(keyed({ passphrase: 'secret' }));
    expect(await d.exists('files/md5/00/nothing')).toBe(false);
    await d.close();

    const wrong = await openRemote(keyed({ passphrase: 'not-it' })).catch((e: unknown) => e);
    expect((wrong as CmfError).code).toBe('SSH_KEY_PASSPHRASE');
    expect((wrong as CmfError).message).toContain(locked);
  });

  it('rejects a wrong password with a clear error naming the credential', async () => {
    const err = await openRemote(remote({ password: 'wrong' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as CmfError).code).toBe('REMOTE_AUTH');
    expect((err as CmfError).hint).toContain('password');
    expect((err as CmfError).exitCode).not.toBe(0);
  });

  it('pulling from a remote directory that does not exist is one REMOTE_ROOT_MISSING error', async () => {
    const { buildRemoteFixture } = await import('../../helpers/remote-fixture.js');
    const { LocalCache } = await import('../../../src/hashing/cache.js');
    const { pullObjects } = await import('../../../src/remotes/transfer.js');
    const dir = await tempDir();
    const fx = await buildRemoteFixture(dir, { many: 5 });
    const d = await openRemote(remote({}, 'no-such-dir'));
    try {
      await expect(
        pullObjects(new LocalCache(join(dir, 'clone')), d, fx.roots),
      ).rejects.toMatchObject({
        code: 'REMOTE_ROOT_MISSING',
        exitCode: 3,
        message: expect.stringContaining(`${sshd.dataDir}/no-such-dir`),
      });
    } finally {
      await d.close();
    }
  });

  it('a directory where an object belongs is named (SFTP says only "Failure"), on upload and download', async () => {
    const root = randomBytes(6).toString('hex');
    const d = await openRemote(remote({}, root));
    const dir = await tempDir();
    try {
      const bytes = Buffer.from('an object\n');
      const key = objectKey(createHash('md5').update(bytes).digest('hex'));
      await writeFile(join(dir, 'obj'), bytes);
      await d.put(key, join(dir, 'obj'));
      const onServer = join(sshd.dataDir, root, key);
      await rm(onServer);
      await mkdir(join(onServer, 'inside'), { recursive: true });
      const expected = {
        code: 'REMOTE_OBJECT_IS_DIRECTORY',
        message: expect.stringContaining(
          `${onServer} is a directory, where the object's file belongs`,
        ),
      };
      await expect(d.get(key, join(dir, 'back'))).rejects.toMatchObject(expected);
      await expect(d.put(key, join(dir, 'obj'))).rejects.toMatchObject(expected);
    } finally {
      await d.close();
    }
  });

  it.skipIf(!canMount)(
    '(root) an upload into a full remote file system is one REMOTE_FULL (SFTP says only "Failure")',
    async () => {
      const root = randomBytes(6).toString('hex');
      const onServer = join(sshd.dataDir, root);
      const unmount = mountSmallTmpfs(onServer);
      if (!unmount) return;
      const d = await openRemote(remote({}, root));
      const dir = await tempDir();
      try {
        execFileSync('chown', [sshd.user, onServer]);
        const bytes = randomBytes(2 << 20); // more than the 1 MiB file system holds
        const key = objectKey(createHash('md5').update(bytes).digest('hex'));
        await writeFile(join(dir, 'big'), bytes);
        await expect(d.put(key, join(dir, 'big'), { size: bytes.length })).rejects.toMatchObject({
          code: 'REMOTE_FULL',
          message: expect.stringContaining('no space left'),
          hint: expect.stringContaining(`${onServer}/files/md5/`),
        });
        // The temp file of the failed upload went too.
        expect(execFileSync('find', [onServer, '-type', 'f']).toString()).toBe('');
      } finally {
        await d.close();
        unmount();
      }
    },
  );

  it('reports a server that is down with host:port', async () => {
    const port = await freePort();
    const err = await openRemote(remote({ port: String(port) })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OperationError);
    expect((err as CmfError).code).toBe('REMOTE_UNREACHABLE');
    expect((err as CmfError).message).toContain(`127.0.0.1:${port}`);
  });

  it('rejects an unknown host key unless accepted explicitly, and a changed one always', async () => {
    const dir = await tempDir();
    const empty = join(dir, 'known_hosts');
    const err = await openRemote(remote({ known_hosts: empty })).catch((e: unknown) => e);
    expect((err as CmfError).code).toBe('SSH_HOST_KEY_UNKNOWN');
    expect((err as CmfError).message).toMatch(/SHA256:/);

    const accepted = await openRemote(remote({ known_hosts: empty }), { acceptNewHostKey: true });
    await accepted.close();
    expect(await readFile(empty, 'utf8')).toContain(`[127.0.0.1]:${sshd.port} ssh-ed25519 `);
    const again = await openRemote(remote({ known_hosts: empty }));
    await again.close();

    const other = join(dir, 'other');
    const fakeKey = Buffer.concat([
      Buffer.from([0, 0, 0, 11]),
      Buffer.from('ssh-ed25519'),
      Buffer.from([0, 0, 0, 32]),
      randomBytes(32),
    ]).toString('base64');
    await writeFile(other, `[127.0.0.1]:${sshd.port} ssh-ed25519 ${fakeKey}\n`);
    const changed = await openRemote(remote({ known_hosts: other }), {
      acceptNewHostKey: true,
    }).catch((e: unknown) => e);
    expect((changed as CmfError).code).toBe('SSH_HOST_KEY_MISMATCH');
  });
});

describe('interruptions', () => {
  killAndResumeTest('ssh', () => remote());
});
