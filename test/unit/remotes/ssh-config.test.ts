import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandTokens, lookupSshConfig } from '../../../src/remotes/ssh-config.js';
import { tempDir } from '../../helpers/tmp.js';

async function configFile(text: string, extra: Record<string, string> = {}): Promise<string> {
  const dir = await tempDir();
  for (const [name, body] of Object.entries(extra)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  writeFileSync(join(dir, 'config'), text);
  return join(dir, 'config');
}

describe('~/.ssh/config lookup', () => {
  it('resolves an alias to HostName, User, Port and IdentityFile; the first value wins', async () => {
    const path = await configFile(
      [
        '# a comment',
        'Host backup store',
        '  HostName 10.1.2.3',
        '  User alice',
        '  Port 2222',
        '  IdentityFile ~/.ssh/id_backup',
        'Host *',
        '  User everyone',
        '  Port 22',
        '  IdentityFile %d/.ssh/id_%h',
      ].join('\n'),
    );
    expect(lookupSshConfig('backup', path)).toEqual({
      hostname: '10.1.2.3',
      user: 'alice',
      port: 2222,
      identityFiles: [join(homedir(), '.ssh/id_backup'), join(homedir(), '.ssh/id_10.1.2.3')],
    });
    expect(lookupSshConfig('other', path)).toEqual({
      user: 'everyone',
      port: 22,
      identityFiles: [join(homedir(), '.ssh/id_other')],
    });
  });

  it('matches patterns with * and ?, honours negation, ignores case of keywords and host', async () => {
    const path = await configFile(
      [
        'HOST *.lab !gpu?.lab',
        'hostname=%h.example.org',
        'Host gpu?.lab',
        '  HostName "gpu box"',
      ].join('\n'),
    );
    expect(lookupSshConfig('node7.LAB', path).hostname).toBe('node7.LAB.example.org');
    expect(lookupSshConfig('gpu1.lab', path).hostname).toBe('gpu box');
    expect(lookupSshConfig('gpu10.lab', path).hostname).toBe('gpu10.lab.example.org');
    expect(lookupSshConfig('lab', path)).toEqual({ identityFiles: [] });
  });

  it('reads Include files in place (relative to the config folder, with wildcards) and skips Match blocks', async () => {
    const path = await configFile(
      [
        'Include conf.d/*.conf',
        'Match host backup',
        '  User matched',
        'Host backup',
        '  Port 2200',
      ].join('\n'),
      {
        'conf.d/10-backup.conf': 'Host backup\n  User fromInclude\n  Port 2201\n',
        'conf.d/20-other.conf': 'Host backup\n  User second\n',
        'conf.d/ignored.txt': 'Host backup\n  HostName nope\n',
      },
    );
    expect(lookupSshConfig('backup', path)).toEqual({
      user: 'fromInclude',
      port: 2201,
      identityFiles: [],
    });
  });

  it('a missing file, a bad port or an empty value says nothing', async () => {
    expect(lookupSshConfig('x', '/nonexistent/ssh/config')).toEqual({ identityFiles: [] });
    const path = await configFile('Host x\n  Port 99999\n  User\n  IdentityFile %r-%u\n');
    const me = userInfo().username;
    expect(lookupSshConfig('x', path)).toEqual({ identityFiles: [`${me}-${me}`] });
  });

  it('keeps ProxyCommand as written; the first of ProxyCommand and ProxyJump wins', async () => {
    const path = await configFile(
      [
        'Host inner',
        '  HostName 10.0.0.5',
        '  ProxyCommand ssh -q -W "%h:%p" bastion  # via the bastion',
        '  ProxyJump other',
        'Host direct',
        '  ProxyCommand none',
        'Host *',
        '  ProxyJump gw',
      ].join('\n'),
    );
    expect(lookupSshConfig('inner', path).proxyCommand).toBe(
      'ssh -q -W "%h:%p" bastion  # via the bastion',
    );
    expect(lookupSshConfig('direct', path).proxyCommand).toBeUndefined();
    // The file read here is not ssh's own ~/.ssh/config: ssh is told to read it with -F.
    expect(lookupSshConfig('x', path).proxyCommand).toBe(
      `ssh -o BatchMode=yes -F ${path} -W '[%h]:%p' gw`,
    );
  });

  it('turns ProxyJump into the ssh -W command OpenSSH runs, hops before the last with -J', async () => {
    const path = await configFile(
      [
        'Host a',
        '  ProxyJump alice@hop1:2201,ssh://bob@[::1]:2202',
        'Host b',
        '  ProxyJump none',
        'Host c',
        '  ProxyJump me@corp@gw:2203',
      ].join('\n'),
    );
    expect(lookupSshConfig('a', path).proxyCommand).toBe(
      `ssh -o BatchMode=yes -F ${path} -J alice@hop1:2201 -l bob -p 2202 -W '[%h]:%p' ::1`,
    );
    // The user ends at the last '@', as ssh reads it.
    expect(lookupSshConfig('c', path).proxyCommand).toBe(
      `ssh -o BatchMode=yes -F ${path} -l me@corp -p 2203 -W '[%h]:%p' gw`,
    );
    expect(lookupSshConfig('b', path).proxyCommand).toBeUndefined();
  });

  it('expands %h %p %r %n and %% in a proxy command', () => {
    expect(
      expandTokens('nc %h %p # %r %n %%', {
        host: '10.0.0.5',
        port: 2222,
        user: 'alice',
        original: 'inner',
      }),
    ).toBe('nc 10.0.0.5 2222 # alice inner %');
  });

  it('reads IdentitiesOnly and HostKeyAlias, first value winning', async () => {
    const path = await configFile(
      [
        'Host a',
        '  IdentitiesOnly yes',
        '  HostKeyAlias node-a',
        'Host *',
        '  IdentitiesOnly no',
        '  HostKeyAlias other',
      ].join('\n'),
    );
    expect(lookupSshConfig('a', path)).toMatchObject({
      identitiesOnly: true,
      hostKeyAlias: 'node-a',
    });
    expect(lookupSshConfig('b', path)).toMatchObject({
      identitiesOnly: false,
      hostKeyAlias: 'other',
    });
  });

  it('reads ServerAliveInterval (in seconds, time formats too) and ServerAliveCountMax; a bad value is ignored', async () => {
    const path = await configFile(
      [
        'Host a',
        '  ServerAliveInterval 5',
        '  ServerAliveCountMax 0',
        'Host b',
        '  ServerAliveInterval 5x',
        '  ServerAliveCountMax -1',
        'Host d',
        '  ServerAliveInterval 1m30S',
        'Host *',
        '  ServerAliveInterval 30',
        '  ServerAliveCountMax 4',
      ].join('\n'),
    );
    expect(lookupSshConfig('a', path)).toMatchObject({
      serverAliveInterval: 5,
      serverAliveCountMax: 0,
    });
    expect(lookupSshConfig('b', path)).toMatchObject({
      serverAliveInterval: 30,
      serverAliveCountMax: 4,
    });
    expect(lookupSshConfig('d', path)).toMatchObject({ serverAliveInterval: 90 });
    expect(lookupSshConfig('c', await configFile('Host c\n  User x\n'))).not.toHaveProperty(
      'serverAliveInterval',
    );
  });

  it('evaluates Match lines: host, originalhost, user, localuser, exec, all, negation', async () => {
    const dir = await tempDir();
    const path = await configFile(
      [
        'Host gpu*',
        '  HostName %h.cluster.example',
        'Match host *.cluster.example user alice',
        '  Port 2201',
        'Match originalhost gpu2 !localuser nobody-here',
        '  IdentityFile ~/.ssh/gpu2',
        `Match exec "test -e ${dir}/flag-%h"`,
        '  User from-exec',
        'Match localnetwork 10.0.0.0/8',
        '  Port 9',
        'Match bogus x',
        '  Port 8',
        'Match all',
        '  Port 2222',
      ].join('\n'),
    );
    // HostName so far decides `host`; the user given outside the config decides `user`.
    expect(lookupSshConfig('gpu1', path, 'alice')).toMatchObject({
      hostname: 'gpu1.cluster.example',
      port: 2201,
    });
    expect(lookupSshConfig('gpu1', path, 'bob').port).toBe(2222);
    expect(lookupSshConfig('gpu2', path).identityFiles).toEqual([join(homedir(), '.ssh/gpu2')]);
    expect(lookupSshConfig('gpu1', path).identityFiles).toEqual([]);
    // exec runs the command (tokens expanded): exit 0 is a match.
    expect(lookupSshConfig('web', path).user).toBeUndefined();
    writeFileSync(join(dir, 'flag-web'), '');
    expect(lookupSshConfig('web', path).user).toBe('from-exec');
  });
});
