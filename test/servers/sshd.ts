import { spawn } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePackages, freePort, killOnExit, run, stopPid, waitForPort } from './common.js';

/**
 * A private OpenSSH sshd on 127.0.0.1 (test-servers.md §3): its own config, host key and
 * authorized keys in a temp dir, password and key login for a test user. Needs root (the
 * test user is created with useradd; password login reads /etc/shadow).
 */
export interface SshdServer {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Private key file authorised for `user`. */
  keyPath: string;
  /** A known_hosts line for this server's host key. */
  knownHostsLine: string;
  /** A directory the test user can write, for remote roots. */
  dataDir: string;
  stop(): Promise<void>;
}

export const SSH_TEST_USER = 'cmftest-sftp';

export async function startSshd(): Promise<SshdServer> {
  ensurePackages(['openssh-server']);
  const dir = await mkdtemp(join(tmpdir(), 'cmf-sshd-'));
  let pid: number | undefined;
  // Whatever got started is stopped, also when start-up fails half-way.
  const forget = killOnExit(() => pid);
  const stop = async (): Promise<void> => {
    await stopPid(pid);
    forget();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await chmod(dir, 0o755);
    const port = await freePort();
    const user = SSH_TEST_USER;
    const password = 'cmf-test-pw';
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
    await run('sh', ['-c', `id ${user} >/dev/null 2>&1 || useradd -m -s /bin/sh ${user}`]);
    await run('sh', ['-c', `echo '${user}:${password}' | chpasswd`]);
    await mkdir(join(dir, 'keys'));
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
    await run('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-f',
      join(dir, 'client_key'),
      '-C',
      'cmf-test',
    ]);
    await writeFile(join(dir, 'keys', user), await readFile(join(dir, 'client_key.pub')), {
      mode: 0o644,
    });
    const dataDir = join(dir, 'data');
    await mkdir(dataDir);
    const { stdout: ids } = await run('id', ['-u', user]);
    const { stdout: gids } = await run('id', ['-g', user]);
    await chown(dataDir, Number(ids.trim()), Number(gids.trim()));
    const config = [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'keys')}/%u`,
      'StrictModes no',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'UsePAM no',
      'PermitRootLogin no',
      `AllowUsers ${user}`,
      'Subsystem sftp internal-sftp',
      'MaxStartups 100:30:200',
      'MaxSessions 50',
      'MaxAuthTries 10',
      '',
    ].join('\n');
    await writeFile(join(dir, 'sshd_config'), config);
    await run('/usr/sbin/sshd', ['-t', '-f', join(dir, 'sshd_config')]);
    pid = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], {
      stdio: 'ignore',
    }).pid;
    await waitForPort(port);
    const pub = (await readFile(join(dir, 'host_key.pub'), 'utf8')).trim().split(/\s+/);
    return {
      host: '127.0.0.1',
      port,
      user,
      password,
      keyPath: join(dir, 'client_key'),
      knownHostsLine: `[127.0.0.1]:${port} ${pub[0]} ${pub[1]}\n`,
      dataDir,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
