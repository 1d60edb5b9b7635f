import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCmfConfig, serializeCmfConfig } from '../../../src/config/cmfconfig.js';
import { maskSecrets, resolveConfig } from '../../../src/config/resolved.js';
import { ConfigError } from '../../../src/errors/index.js';
import { tempDir } from '../../helpers/tmp.js';

async function project(files: Record<string, string>): Promise<string> {
  const dir = await tempDir('cmf-show-');
  mkdirSync(join(dir, '.dvc'));
  for (const [rel, text] of Object.entries(files)) writeFileSync(join(dir, rel), text);
  return dir;
}

describe('.cmfconfig dialect', () => {
  it('reads what Python configparser writes (colons, comments, %%, continuation)', () => {
    const doc = parseCmfConfig(
      '# comment\n[cmf]\nServer-URL: http://h/%%41\n\n[neo4j]\nuser = u\nuri = bolt://a\n  :7687\n',
    );
    expect(doc.get('cmf')?.get('server-url')).toBe('http://h/%41');
    expect(doc.get('neo4j')?.get('uri')).toBe('bolt://a\n:7687');
  });

  it('round-trips through the writer', () => {
    const text = '[cmf]\nserver-url = http://h/%%41\n\n[osdf]\ncache = \n\n';
    expect(serializeCmfConfig(parseCmfConfig(text))).toBe(text);
  });

  it('the writer refuses a CR anywhere, and a newline in a section name or key: Python would read a line of its own', () => {
    const doc = (name: string, key: string, value: string) =>
      new Map([[name, new Map([[key, value]])]]);
    expect(serializeCmfConfig(doc('cmf', 'k', 'a\nb'))).toBe('[cmf]\nk = a\n\tb\n\n');
    for (const [name, key, value] of [
      ['cmf', 'k', 'a\r[x]\revil = 1'],
      ['cmf', 'k\nx', 'v'],
      ['cmf]\n[x', 'k', 'v'],
    ] as const) {
      expect(() => serializeCmfConfig(doc(name, key, value))).toThrow(
        expect.objectContaining({ code: 'CONFIG_LINE_BREAK', exitCode: 2 }),
      );
    }
  });

  it('a line it cannot parse is bad configuration (exit 4) that cmf init can replace', () => {
    let err: unknown;
    try {
      parseCmfConfig('garbage\n[cmf]\n');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(4);
    expect((err as ConfigError).message).toBe('Text before any [section] at .cmfconfig:1');
    expect((err as ConfigError).hint).toMatch(
      /re-run 'cmf init .*keeps the old one as \.cmfconfig\.bak/,
    );
  });
});

describe('resolveConfig (cmf init show)', () => {
  it('says where each value comes from', async () => {
    const dir = await project({
      '.cmfconfig': '[cmf]\nserver-url = http://s:8080\n\n[neo4j]\nuser = u\nuri = bolt://h\n\n',
      '.dvc/config': `[core]\n    remote = minio\n['remote "minio"']\n    url = s3://b\n    endpointurl = http://m:9000\n`,
      '.dvc/config.local': `['remote "minio"']\n    access_key_id = AKIAABCDEFGH1234\n    secret_access_key = SECRET\n['db "neo4j"']\n    password = NEOPASS\n`,
    });
    // The remote's keys are what push uses: environment keys do not show over them.
    const r = await resolveConfig(join(dir, '.dvc'), {
      AWS_ACCESS_KEY_ID: 'ENVKEY',
      AWS_SECRET_ACCESS_KEY: 'ENVSECRET',
    });
    expect(r.root).toBe(dir);
    const view = r.entries.map((e) => [e.key, e.value, e.source, e.variable ?? '']);
    expect(view).toEqual([
      ['core.remote', 'minio', '.dvc/config', ''],
      ['remote.minio.url', 's3://b', '.dvc/config', ''],
      ['remote.minio.endpointurl', 'http://m:9000', '.dvc/config', ''],
      ['remote.minio.access_key_id', 'AKIAABCDEFGH1234', '.dvc/config.local', ''],
      ['remote.minio.secret_access_key', 'SECRET', '.dvc/config.local', ''],
      ['cmf-server-url', 'http://s:8080', '.cmfconfig', ''],
      ['neo4j-user', 'u', '.cmfconfig', ''],
      ['neo4j-uri', 'bolt://h', '.cmfconfig', ''],
      ['neo4j-password', 'NEOPASS', '.dvc/config.local', ''],
    ]);
    const masked = maskSecrets(r.entries).map((e) => e.value);
    expect(masked).toContain('****1234');
    expect(masked.join(' ')).not.toMatch(/SECRET|NEOPASS|AKIAABCDEFGH/);
    expect(maskSecrets(r.entries, true)).toEqual(r.entries);
  });

  it('shows the AWS variables an S3 remote without its own keys uses, as push would', async () => {
    const files = (remoteOptions: string) => ({
      '.cmfconfig': '[cmf]\nserver-url = http://s:8080\n\n',
      '.dvc/config': `[core]\n    remote = s3\n['remote "s3"']\n    url = s3://b\n${remoteOptions}`,
    });
    const env = {
      AWS_ACCESS_KEY_ID: 'ENVKEY',
      AWS_SECRET_ACCESS_KEY: 'ENVSECRET',
      AWS_SESSION_TOKEN: 'ENVTOKEN',
    };
    const aws = async (remoteOptions: string, vars: NodeJS.ProcessEnv) => {
      const r = await resolveConfig(await project(files(remoteOptions)), vars);
      return r.entries
        .filter((e) => e.key.startsWith('remote.s3.') && e.key !== 'remote.s3.url')
        .map((e) => `${e.key.slice('remote.s3.'.length)}=${e.value} (${e.variable ?? e.source})`);
    };
    expect(await aws('', env)).toEqual([
      'access_key_id=ENVKEY (AWS_ACCESS_KEY_ID)',
      'secret_access_key=ENVSECRET (AWS_SECRET_ACCESS_KEY)',
      'session_token=ENVTOKEN (AWS_SESSION_TOKEN)',
    ]);
    // A named profile: the AWS SDK then leaves the environment's keys alone.
    expect(await aws('', { ...env, AWS_PROFILE: 'dev' })).toEqual(['profile=dev (AWS_PROFILE)']);
    expect(await aws('    profile = team\n', { ...env, AWS_PROFILE: 'dev' })).toEqual([
      'profile=team (.dvc/config)',
    ]);
    // Only one of the two keys configured: not usable alone, so the chain decides.
    expect(await aws('    access_key_id = CONF\n', env)).toEqual([
      'access_key_id=ENVKEY (AWS_ACCESS_KEY_ID)',
      'secret_access_key=ENVSECRET (AWS_SECRET_ACCESS_KEY)',
      'session_token=ENVTOKEN (AWS_SESSION_TOKEN)',
    ]);
  });

  it('masks the password of any URL value, whoever wrote it, unless showSecrets', async () => {
    const dir = await project({
      '.cmfconfig':
        '[cmf]\nserver-url = http://admin:hunter2@srv:8080\n\n[neo4j]\nuser = u\nuri = bolt://u:NEOPW@h\n\n',
      '.dvc/config': `[core]\n    remote = minio\n['remote "minio"']\n    url = s3://b\n    endpointurl = http://AK:SK@minio:9000\n['remote "ssh"']\n    url = ssh://u:sshpw@host/srv\n`,
    });
    const r = await resolveConfig(dir, { CMF_SERVER_URL: 'http://e:ENVPW@env:1' });
    const masked = Object.fromEntries(maskSecrets(r.entries).map((e) => [e.key, e]));
    expect(masked['remote.minio.endpointurl']).toMatchObject({
      value: 'http://AK:****@minio:9000',
      secret: true,
    });
    expect(masked['remote.ssh.url']?.value).toBe('ssh://u:****@host/srv');
    expect(masked['cmf-server-url']?.value).toBe('http://e:****@env:1');
    expect(masked['neo4j-uri']?.value).toBe('bolt://u:****@h');
    expect(masked['remote.minio.url']).toMatchObject({ value: 's3://b', secret: false });
    expect(JSON.stringify(maskSecrets(r.entries))).not.toMatch(/hunter2|SK@|sshpw|ENVPW|NEOPW/);
    expect(maskSecrets(r.entries, true)).toEqual(r.entries);
    expect(JSON.stringify(r.entries)).toContain('sshpw');
  });

  it('names the global DVC config file a value came from; the project file wins', async () => {
    const dir = await project({
      '.cmfconfig': '',
      '.dvc/config': `['remote "team"']\n    url = s3://project\n`,
    });
    const globalDir = await tempDir('cmf-dvc-global-');
    writeFileSync(
      join(globalDir, 'config'),
      `[core]\n    remote = team\n['remote "team"']\n    url = s3://global\n    profile = ml\n`,
    );
    const r = await resolveConfig(dir, { DVC_GLOBAL_CONFIG_DIR: globalDir });
    const view = r.entries
      .filter((e) => e.key !== 'cmf-server-url')
      .map((e) => [e.key, e.value, e.source]);
    expect(view).toEqual([
      ['core.remote', 'team', join(globalDir, 'config')],
      ['remote.team.url', 's3://project', '.dvc/config'],
      ['remote.team.profile', 'ml', join(globalDir, 'config')],
    ]);
  });

  it('defaults the server URL, decodes a legacy base64 neo4j password, honours CMF_SERVER_URL', async () => {
    const legacy = Buffer.from('old-pass').toString('base64');
    const dir = await project({ '.cmfconfig': `[neo4j]\npassword = ${legacy}\n\n` });
    const r1 = await resolveConfig(dir, {});
    expect(r1.entries).toContainEqual({
      key: 'cmf-server-url',
      value: 'http://127.0.0.1:80',
      source: 'default',
      secret: false,
    });
    expect(r1.entries).toContainEqual({
      key: 'neo4j-password',
      value: 'old-pass',
      source: '.cmfconfig',
      secret: true,
    });
    const r2 = await resolveConfig(dir, { CMF_SERVER_URL: 'http://env:1' });
    expect(r2.entries).toContainEqual({
      key: 'cmf-server-url',
      value: 'http://env:1',
      source: 'environment',
      variable: 'CMF_SERVER_URL',
      secret: false,
    });
  });

  it('outside a project is a ConfigError (exit 4)', async () => {
    const dir = await tempDir('cmf-none-');
    const err = await resolveConfig(dir, {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(4);
  });
});
