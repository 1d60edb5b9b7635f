import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import {
  appendFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  existsSync,
  writeFileSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initProject, type InitOptions } from '../../../src/config/init.js';
import { ConfigError, OperationError, UsageError } from '../../../src/errors/index.js';
import { fill, mountSmallTmpfs, unfill, withGrowingSpace } from '../../helpers/full-fs.js';
import { tempDir } from '../../helpers/tmp.js';

const GIT_URL = 'https://github.com/example/project.git';
/** A JWT-shaped OSDF token (init refuses anything else) ending in `marker`. */
const jwt = (marker: string) => `eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.${marker}`;

async function setup(): Promise<{ dir: string; home: string }> {
  const root = await tempDir('cmf-init-');
  const dir = join(root, 'project');
  const home = join(root, 'home');
  mkdirSync(dir);
  mkdirSync(home);
  return { dir, home };
}

/** Runs init with an empty environment, so the machine's AWS_* or tokens never leak in. */
function init(
  dir: string,
  home: string,
  opts: Partial<InitOptions> & Pick<InitOptions, 'type'>,
  env: NodeJS.ProcessEnv = {},
) {
  return initProject({ cwd: dir, home, env, gitRemoteUrl: GIT_URL, ...opts } as InitOptions);
}

const read = (dir: string, rel: string) => readFileSync(join(dir, rel), 'utf8');
const git = (dir: string, ...args: string[]) =>
  execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();

/** Every file under `dir` except `.dvc/config.local`, as text. */
function trackedTexts(dir: string): string {
  let all = '';
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p !== join(dir, '.dvc', 'config.local')) all += readFileSync(p, 'latin1');
    }
  };
  walk(dir);
  return all;
}

describe('cmf init local: a Windows --path', () => {
  it('is refused on POSIX before anything is written (it would be a directory in the project)', async () => {
    const { dir, home } = await setup();
    for (const path of ['C:\\Users\\me\\remote', 'd:/remote', '\\\\server\\share\\remote']) {
      await expect(init(dir, home, { type: 'local', path })).rejects.toMatchObject({
        code: 'INIT_INVALID',
        exitCode: 2,
        message: expect.stringContaining('is a Windows path'),
      });
    }
    expect(existsSync(join(dir, '.dvc'))).toBe(false);
    expect(existsSync(join(dir, '.cmfconfig'))).toBe(false);
  });
});

describe('cmf init: files written', () => {
  it('local writes .cmfconfig, .dvc/config and the DVC skeleton, and no config.local', async () => {
    const { dir, home } = await setup();
    const r = await init(dir, home, { type: 'local', path: '../store' });
    expect(read(dir, '.cmfconfig')).toBe('[cmf]\nserver-url = http://127.0.0.1:80\n\n');
    // As `dvc remote add`, a relative path is stored relative to .dvc/.
    expect(read(dir, '.dvc/config')).toBe(
      `[core]\n    remote = local-storage\n['remote "local-storage"']\n    url = ../../store\n`,
    );
    expect(existsSync(join(dir, '.dvc/config.local'))).toBe(false);
    expect(read(dir, '.dvc/.gitignore')).toBe('/config.local\n/tmp\n/cache\n');
    expect(read(dir, '.dvcignore')).toMatch(/^# Add patterns of files dvc should ignore/);
    expect(r.remote).toMatchObject({ name: 'local-storage', url: '../../store' });
    expect(r.git.initialized).toBe(true);
    expect(git(dir, 'branch', '--show-current')).toBe(r.git.branch);
    expect(git(dir, 'remote', 'get-url', 'cmf_origin')).toBe(GIT_URL);
    expect(git(dir, 'config', 'core.filemode')).toBe('true');
  });

  it('minioS3 puts the keys in config.local only', async () => {
    const { dir, home } = await setup();
    const r = await init(dir, home, {
      type: 'minioS3',
      url: 's3://dvc-art',
      endpointUrl: 'http://localhost:9000',
      accessKeyId: 'MINIOKEYID-SECRET1',
      secretKey: 'minio-SECRET2',
      cmfServerUrl: 'http://cmf.example.org:8080/%20x',
    });
    expect(read(dir, '.dvc/config')).toBe(
      `[core]\n    remote = minio\n['remote "minio"']\n    url = s3://dvc-art\n    endpointurl = http://localhost:9000\n`,
    );
    expect(read(dir, '.dvc/config.local')).toBe(
      `['remote "minio"']\n    access_key_id = MINIOKEYID-SECRET1\n    secret_access_key = minio-SECRET2\n`,
    );
    expect(statSync(join(dir, '.dvc/config.local')).mode & 0o777).toBe(0o600);
    // configparser escapes % as %%.
    expect(read(dir, '.cmfconfig')).toBe(
      '[cmf]\nserver-url = http://cmf.example.org:8080/%%20x\n\n',
    );
    expect(trackedTexts(dir)).not.toMatch(/SECRET/);
    expect(r.secretKeys).toEqual(['access_key_id', 'secret_access_key']);
  });

  it('amazonS3 stores keys and session token in config.local, the profile in config', async () => {
    const { dir, home } = await setup();
    await init(dir, home, {
      type: 'amazonS3',
      url: 's3://bucket/prefix',
      accessKeyId: 'AKIA-SECRET-A',
      secretKey: 'SECRET-B',
      sessionToken: 'SECRET-C',
      profile: 'research',
    });
    expect(read(dir, '.dvc/config')).toBe(
      `[core]\n    remote = amazons3\n['remote "amazons3"']\n    url = s3://bucket/prefix\n    profile = research\n`,
    );
    expect(read(dir, '.dvc/config.local')).toBe(
      `['remote "amazons3"']\n    access_key_id = AKIA-SECRET-A\n    secret_access_key = SECRET-B\n    session_token = SECRET-C\n`,
    );
    expect(trackedTexts(dir)).not.toMatch(/SECRET/);
  });

  it('amazonS3 accepts credentials from the environment and stores none', async () => {
    const { dir, home } = await setup();
    const env = { AWS_ACCESS_KEY_ID: 'ENVKEY', AWS_SECRET_ACCESS_KEY: 'ENVSECRET' };
    const r = await init(dir, home, { type: 'amazonS3', url: 's3://bucket' }, env);
    expect(r.remote.credentials).toMatch(/environment/);
    expect(r.warnings).toEqual([]);
    expect(existsSync(join(dir, '.dvc/config.local'))).toBe(false);
    expect(trackedTexts(dir)).not.toMatch(/ENVKEY|ENVSECRET/);
  });

  it('amazonS3 accepts AWS_PROFILE, and warns when no credentials are found anywhere', async () => {
    const a = await setup();
    const r1 = await init(a.dir, a.home, { type: 'amazonS3', url: 's3://b' }, { AWS_PROFILE: 'p' });
    expect(r1.remote.credentials).toMatch(/profile 'p'/);
    const b = await setup();
    const r2 = await init(b.dir, b.home, { type: 'amazonS3', url: 's3://b' });
    expect(r2.remote.credentials).toBe('none found');
    expect(r2.warnings[0]).toMatch(/No S3 credentials/);
  });

  it('amazonS3 warns when the profile it relies on is in no AWS shared file', async () => {
    const a = await setup();
    const r1 = await init(a.dir, a.home, { type: 'amazonS3', url: 's3://b', profile: 'reserch' });
    expect(r1.warnings).toEqual([
      expect.stringMatching(/AWS profile 'reserch' is in neither .*credentials nor .*config/),
    ]);
    // Found in either file, under the name each one uses; or through AWS_PROFILE.
    mkdirSync(join(a.home, '.aws'));
    writeFileSync(join(a.home, '.aws', 'credentials'), '[default]\nx=1\n[ research ]\n');
    writeFileSync(join(a.home, '.aws', 'config'), '[profile  sso-dev]\nregion = eu\n');
    for (const [profile, env] of [
      ['research', {}],
      ['sso-dev', {}],
      ['default', {}],
      [undefined, { AWS_PROFILE: 'research' }],
    ] as const) {
      const b = await setup();
      const r = await init(b.dir, a.home, { type: 'amazonS3', url: 's3://b', profile }, env);
      expect(r.warnings, String(profile)).toEqual([]);
    }
    const c = await setup();
    const r2 = await init(
      c.dir,
      a.home,
      { type: 'amazonS3', url: 's3://b' },
      { AWS_PROFILE: 'dev' },
    );
    expect(r2.warnings).toEqual([expect.stringMatching(/AWS profile 'dev' is in neither/)]);
    // Keys given: the profile is not what push uses, and init says so.
    const d = await setup();
    const r3 = await init(d.dir, d.home, {
      type: 'amazonS3',
      url: 's3://b',
      profile: 'nowhere',
      accessKeyId: 'K',
      secretKey: 'S',
    });
    expect(r3.warnings).toEqual([
      '--profile nowhere is recorded but not used: push and pull use the keys given with it. Leave out either the keys or --profile.',
    ]);
  });

  it('sshremote stores the password base64-encoded in config.local, user and port in config', async () => {
    const { dir, home } = await setup();
    await init(dir, home, {
      type: 'sshremote',
      path: 'ssh://data.example.org/srv/cmf',
      user: 'alice',
      port: '2222',
      password: 'pa55-SECRET',
    });
    expect(read(dir, '.dvc/config')).toBe(
      `[core]\n    remote = ssh-storage\n['remote "ssh-storage"']\n    url = ssh://data.example.org/srv/cmf\n    user = alice\n    port = 2222\n`,
    );
    const b64 = Buffer.from('pa55-SECRET').toString('base64');
    expect(read(dir, '.dvc/config.local')).toBe(
      `['remote "ssh-storage"']\n    password = ${b64}\n`,
    );
    expect(trackedTexts(dir)).not.toContain(b64);
    expect(trackedTexts(dir)).not.toContain('SECRET');
  });

  it('sshremote takes a key file instead of a password', async () => {
    const { dir, home } = await setup();
    mkdirSync(join(home, '.ssh'));
    // A real (unencrypted) private key: init checks that ssh2 can use it.
    const { privateKey: sshKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    writeFileSync(join(home, '.ssh', 'id_test'), sshKey);
    const r = await init(dir, home, {
      type: 'sshremote',
      path: 'ssh://h/srv',
      user: 'u',
      port: '22',
      keyfile: '~/.ssh/id_test',
    });
    expect(read(dir, '.dvc/config.local')).toBe(
      `['remote "ssh-storage"']\n    keyfile = ${join(home, '.ssh', 'id_test')}\n`,
    );
    expect(r.remote.credentials).toMatch(/key file/);
  });

  it('sshremote without --user/--port takes them from --path, else ~/.ssh/config (Host alias)', async () => {
    const { dir, home } = await setup();
    mkdirSync(join(home, '.ssh'));
    const key = join(home, '.ssh', 'work_key');
    writeFileSync(key, 'not read by init\n');
    writeFileSync(
      join(home, '.ssh', 'config'),
      `Host store\n  HostName data.example.org\n  User carol\n  Port 2200\n  IdentityFile ${key}\n`,
    );
    const r = await init(dir, home, { type: 'sshremote', path: 'ssh://store/srv/cmf' });
    expect(read(dir, '.dvc/config')).toContain(
      'url = ssh://store/srv/cmf\n    user = carol\n    port = 2200\n',
    );
    expect(r.remote.credentials).toBe(`IdentityFile of ~/.ssh/config (${key})`);
    expect(r.warnings).toEqual([]);

    // The URL's user and port win over the config's; the port defaults to 22.
    await init(dir, home, { type: 'sshremote', path: 'ssh://dave@store:2022/srv' });
    expect(read(dir, '.dvc/config')).toContain('user = dave\n    port = 2022\n');
    await init(dir, home, { type: 'sshremote', path: 'ssh://erin@other/srv' });
    expect(read(dir, '.dvc/config')).toContain('user = erin\n    port = 22\n');

    const err = await init(dir, home, { type: 'sshremote', path: 'ssh://other/srv' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toBe('No SSH user for other: give --user');
  });

  it('osdfremote with a token file: Bearer token in config.local, the path in [osdf]', async () => {
    const { dir, home } = await setup();
    const tokenFile = join(home, 'tok');
    writeFileSync(tokenFile, `${jwt('TOKEN-SECRET')}\n`);
    await init(dir, home, {
      type: 'osdfremote',
      path: 'https://origin.example.org:8443/ns',
      accessToken: tokenFile,
    });
    expect(read(dir, '.dvc/config')).toBe(
      `[core]\n    remote = osdf\n['remote "osdf"']\n    url = https://origin.example.org:8443/ns\n` +
        `    method = PUT\n    ask_password = false\n    auth = custom\n    custom_auth_header = Authorization\n`,
    );
    expect(read(dir, '.dvc/config.local')).toBe(
      `['remote "osdf"']\n    password = Bearer ${jwt('TOKEN-SECRET')}\n`,
    );
    expect(read(dir, '.cmfconfig')).toBe(
      '[cmf]\nserver-url = http://127.0.0.1:80\n\n[osdf]\npath = https://origin.example.org:8443/ns\n' +
        `cache = \nkey_id = \nkey_path = \nkey_issuer = \naccess_token = ${tokenFile}\n\n`,
    );
    expect(trackedTexts(dir)).not.toContain('TOKEN-SECRET');
  });

  it('osdfremote with a raw token records `provided`; ~/.fdp/osdf_token is used when nothing is given', async () => {
    const a = await setup();
    await init(a.dir, a.home, {
      type: 'osdfremote',
      path: 'https://o/ns',
      accessToken: jwt('RAW-SECRET'),
    });
    expect(read(a.dir, '.cmfconfig')).toContain('access_token = provided\n');
    expect(read(a.dir, '.dvc/config.local')).toContain(`password = Bearer ${jwt('RAW-SECRET')}\n`);
    expect(trackedTexts(a.dir)).not.toContain('RAW-SECRET');

    const b = await setup();
    mkdirSync(join(b.home, '.fdp'));
    writeFileSync(join(b.home, '.fdp', 'osdf_token'), jwt('FDP-SECRET'));
    await init(b.dir, b.home, { type: 'osdfremote', path: 'https://o/ns', sslVerify: false });
    expect(read(b.dir, '.cmfconfig')).toContain(
      `access_token = ${join(b.home, '.fdp', 'osdf_token')}\n`,
    );
    expect(read(b.dir, '.dvc/config')).toContain('    ssl_verify = false\n');
  });

  it('osdfremote refuses an authz token in --path/--cache (masked), and any query or fragment', async () => {
    const { dir, home } = await setup();
    const tokenFile = join(home, 'tok');
    writeFileSync(tokenFile, jwt('T'));
    const osdf = (path: string, cache?: string) =>
      init(dir, home, { type: 'osdfremote', path, cache, accessToken: tokenFile }).then(
        () => expect.fail('init accepted it'),
        (e: unknown) => e as UsageError,
      );
    const secret = await osdf('https://o:8443/ns/z?authz=SECRET1', 'https://c/ns?authz=SECRET2');
    expect(secret).toMatchObject({ code: 'INIT_URL_PASSWORD', exitCode: 2 });
    expect(`${secret.message} ${secret.hint}`).not.toMatch(/SECRET/);
    const cacheSecret = await osdf('https://o:8443/ns/z', 'https://c/ns?authz=SECRET2');
    expect(`${cacheSecret.message} ${cacheSecret.hint}`).not.toMatch(/SECRET/);

    const query = await osdf('https://o:8443/ns/q?x=1');
    expect(query).toMatchObject({ code: 'INIT_INVALID', exitCode: 2 });
    expect(query.message).toContain("has a query ('?')");
    expect(query.hint).toContain('(--path https://o:8443/ns/q)');
    const fragment = await osdf('https://o:8443/ns', 'https://c:8443/ns#x');
    expect(fragment.message).toContain("--cache 'https://c:8443/ns#x' has a fragment ('#')");
    expect(readdirSync(dir)).toEqual([]);
  });

  it('osdfremote stores a relative --key-path resolved, and says a token given with key flags wins', async () => {
    const { dir, home } = await setup();
    mkdirSync(join(dir, 'keys'));
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileSync(join(dir, 'keys/k.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const keyFlags = {
      keyId: 'b2d3',
      keyPath: 'keys/k.pem',
      keyIssuer: 'https://issuer.example.org',
    };
    await init(dir, home, { type: 'osdfremote', path: 'https://o/ns', ...keyFlags });
    expect(read(dir, '.cmfconfig')).toContain(`key_path = ${join(dir, 'keys/k.pem')}\n`);

    // A raw token (its scheme in any case) with the key flags: the token is stored and used.
    const r = await init(dir, home, {
      type: 'osdfremote',
      path: 'https://o/ns',
      accessToken: `bearer ${jwt('RAW')}`,
      ...keyFlags,
    });
    expect(read(dir, '.dvc/config.local')).toContain(`password = Bearer ${jwt('RAW')}\n`);
    expect(read(dir, '.cmfconfig')).toContain('access_token = provided\n');
    expect(r.remote.credentials).toBe('token in .dvc/config.local');
    expect(r.warnings.join('\n')).toContain(
      '--key-id, --key-path and --key-issuer are recorded but not used: the token in .dvc/config.local comes first',
    );
  });

  it('osdfremote with a signing key checks it and stores no token', async () => {
    const { dir, home } = await setup();
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const keyPath = join(home, 'osdf.pem');
    writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const r = await init(dir, home, {
      type: 'osdfremote',
      path: 'https://o/ns',
      cache: 'https://cache/ns',
      keyId: 'b2d3',
      keyPath,
      keyIssuer: 'https://issuer.example.org/ns',
    });
    expect(existsSync(join(dir, '.dvc/config.local'))).toBe(false);
    expect(read(dir, '.cmfconfig')).toContain(
      `[osdf]\npath = https://o/ns\ncache = https://cache/ns\nkey_id = b2d3\nkey_path = ${keyPath}\n` +
        'key_issuer = https://issuer.example.org/ns\naccess_token = \n',
    );
    expect(r.remote.credentials).toMatch(/minted/);
    const bad = await setup();
    writeFileSync(join(bad.home, 'bad.pem'), 'not a key');
    await expect(
      init(bad.dir, bad.home, {
        type: 'osdfremote',
        path: 'https://o/ns',
        keyId: 'k',
        keyPath: join(bad.home, 'bad.pem'),
        keyIssuer: 'https://i',
      }),
    ).rejects.toThrow(/Cannot load the private key/);
    expect(readdirSync(bad.dir)).toEqual([]);
    await expect(
      init(bad.dir, bad.home, {
        type: 'osdfremote',
        path: 'https://o/ns',
        keyId: 'k',
        keyPath: bad.home,
        keyIssuer: 'https://i',
      }),
    ).rejects.toThrow(`Cannot load the private key ${bad.home}: it is a directory`);
  });
});

describe('cmf init: neo4j', () => {
  it('the trio writes user/uri to .cmfconfig and the password to config.local', async () => {
    const { dir, home } = await setup();
    const r = await init(dir, home, {
      type: 'local',
      path: '/srv/store',
      neo4jUser: 'neo4j',
      neo4jPassword: 'NEO-SECRET',
      neo4jUri: 'bolt://localhost:7687',
    });
    expect(read(dir, '.cmfconfig')).toBe(
      '[cmf]\nserver-url = http://127.0.0.1:80\n\n[neo4j]\nuser = neo4j\nuri = bolt://localhost:7687\n\n',
    );
    expect(read(dir, '.dvc/config.local')).toBe(`['db "neo4j"']\n    password = NEO-SECRET\n`);
    expect(trackedTexts(dir)).not.toContain('NEO-SECRET');
    expect(trackedTexts(dir)).not.toContain(Buffer.from('NEO-SECRET').toString('base64'));
    expect(r.neo4j).toEqual({
      user: 'neo4j',
      uri: 'bolt://localhost:7687',
      password: 'config.local',
    });
  });

  it('a partial trio is a usage error and writes nothing at all', async () => {
    const { dir, home } = await setup();
    const err = await init(dir, home, {
      type: 'local',
      path: '/srv/store',
      neo4jUser: 'neo4j',
      neo4jUri: 'bolt://localhost:7687',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('the password may stay in NEO4J_PASSWORD', async () => {
    const { dir, home } = await setup();
    const r = await init(
      dir,
      home,
      { type: 'local', path: '/s', neo4jUser: 'u', neo4jUri: 'bolt://h:7687' },
      { NEO4J_PASSWORD: 'ENV-SECRET' },
    );
    expect(r.neo4j?.password).toBe('environment');
    expect(existsSync(join(dir, '.dvc/config.local'))).toBe(false);
  });
});

describe('cmf init: re-running and existing repositories', () => {
  it('keeps sections it does not replace', async () => {
    const { dir, home } = await setup();
    await init(dir, home, {
      type: 'minioS3',
      url: 's3://a',
      endpointUrl: 'http://m:9000',
      accessKeyId: 'k',
      secretKey: 's',
      cmfServerUrl: 'http://server:8080',
      neo4jUser: 'u',
      neo4jPassword: 'p',
      neo4jUri: 'bolt://h:7687',
    });
    writeFileSync(
      join(dir, '.dvc/config'),
      read(dir, '.dvc/config') +
        `['remote "backup"']\n    url = /mnt/backup\n[cache]\n    type = symlink\n`,
    );
    writeFileSync(join(dir, '.cmfconfig'), read(dir, '.cmfconfig') + '[other]\nkey = value\n\n');
    await init(dir, home, { type: 'local', path: '/srv/store' });

    expect(read(dir, '.cmfconfig')).toBe(
      '[cmf]\nserver-url = http://server:8080\n\n[neo4j]\nuser = u\nuri = bolt://h:7687\n\n[other]\nkey = value\n\n',
    );
    expect(read(dir, '.dvc/config')).toBe(
      `[core]\n    remote = local-storage\n['remote "minio"']\n    url = s3://a\n    endpointurl = http://m:9000\n` +
        `['remote "backup"']\n    url = /mnt/backup\n[cache]\n    type = symlink\n` +
        `['remote "local-storage"']\n    url = /srv/store\n`,
    );
    // The minio keys stay for the minio remote; the neo4j password stays too.
    expect(read(dir, '.dvc/config.local')).toBe(
      `['remote "minio"']\n    access_key_id = k\n    secret_access_key = s\n['db "neo4j"']\n    password = p\n`,
    );
  });

  it('re-running a remote type replaces its stale secrets (environment credentials then apply)', async () => {
    const { dir, home } = await setup();
    await init(dir, home, {
      type: 'amazonS3',
      url: 's3://a',
      accessKeyId: 'OLD',
      secretKey: 'OLD',
    });
    await init(dir, home, { type: 'amazonS3', url: 's3://a' }, { AWS_PROFILE: 'x' });
    expect(read(dir, '.dvc/config.local')).toBe('');
  });

  it('replaces a .cmfconfig it cannot parse, keeping the old one as .cmfconfig.bak', async () => {
    const { dir, home } = await setup();
    writeFileSync(join(dir, '.cmfconfig'), 'garbage\n[cmf]\nserver-url = http://x:1\n');
    const r = await init(dir, home, { type: 'local', path: '/srv/store' });
    expect(read(dir, '.cmfconfig')).toBe('[cmf]\nserver-url = http://127.0.0.1:80\n\n');
    expect(read(dir, '.cmfconfig.bak')).toBe('garbage\n[cmf]\nserver-url = http://x:1\n');
    expect(r.files.cmfconfigBackup).toBe(join(dir, '.cmfconfig.bak'));
    expect(r.warnings.join('\n')).toMatch(
      /could not be read .*kept the old one as .*\.cmfconfig\.bak/,
    );
  });

  it('never overwrites an earlier .cmfconfig backup', async () => {
    const { dir, home } = await setup();
    writeFileSync(join(dir, '.cmfconfig.bak'), 'first backup\n');
    writeFileSync(join(dir, '.cmfconfig'), 'garbage\n');
    const r = await init(dir, home, { type: 'local', path: '/srv/store' });
    expect(read(dir, '.cmfconfig.bak')).toBe('first backup\n');
    expect(read(dir, '.cmfconfig.bak.1')).toBe('garbage\n');
    expect(r.files.cmfconfigBackup).toBe(join(dir, '.cmfconfig.bak.1'));
  });

  it('a full disk while writing .cmfconfig is DISK_FULL, and the moved-aside backup comes back', async (ctx) => {
    const { dir, home } = await setup();
    const full = join(dir, 'full');
    const unmount = mountSmallTmpfs(full);
    if (!unmount) return ctx.skip();
    try {
      writeFileSync(join(full, '.cmfconfig.bak'), 'first backup\n');
      writeFileSync(join(full, '.cmfconfig'), 'garbage\n');
      fill(full);
      const err = await init(
        dir,
        home,
        { type: 'local', path: '/srv/store' },
        { CONFIG_FILE: 'full/.cmfconfig' },
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OperationError);
      expect((err as OperationError).code).toBe('DISK_FULL');
      expect((err as OperationError).hint).toMatch(/Init changed nothing\.$/);
      unfill(full);
      expect(readdirSync(full).sort()).toEqual(['.cmfconfig', '.cmfconfig.bak']);
      expect(read(full, '.cmfconfig')).toBe('garbage\n');
      expect(readdirSync(dir)).toEqual(['full']);
    } finally {
      unmount();
    }
  });

  it('(root) an existing repository on a full disk keeps its git config byte for byte, and a retry sets cmf_origin', async (ctx) => {
    const { dir: outer, home } = await setup();
    const mount = join(outer, 'full');
    const unmount = mountSmallTmpfs(mount);
    if (!unmount) return ctx.skip();
    try {
      const dir = join(mount, 'project');
      mkdirSync(dir);
      git(dir, 'init', '-q', '-b', 'main');
      const config = join(dir, '.git', 'config');
      // Over a page: written in place, a full disk cut it at 4096 bytes.
      const aliases = Array.from({ length: 200 }, (_, i) => `\ta${i} = log --oneline -${i}\n`);
      appendFileSync(config, `[alias]\n${aliases.join('')}`);
      const before = readFileSync(config);
      expect(before.length).toBeGreaterThan(4096);
      const { failures } = await withGrowingSpace(
        mount,
        () => init(dir, home, { type: 'local', path: '/srv/store' }),
        (err) => {
          expect(err).toMatchObject({ code: 'DISK_FULL', hint: /Init changed nothing\.$/ });
          expect(readFileSync(config)).toEqual(before);
          expect(readdirSync(dir)).toEqual(['.git']);
          expect(readdirSync(join(dir, '.git'))).not.toContain('config.lock');
        },
      );
      // The last failure was git's config, with everything else written (and undone).
      expect((failures.at(-1) as OperationError).data?.path).toBe(config);
      expect(git(dir, 'config', '--get', 'remote.cmf_origin.url')).toBe(GIT_URL);
      expect(git(dir, 'config', '--get', 'alias.a199')).toBe('log --oneline -199');
    } finally {
      unmount();
    }
  });

  it('(root) in a plain directory on a full disk: DISK_FULL (not GIT_INIT_FAILED), no .git left, and a retry initialises', async (ctx) => {
    const { dir: outer, home } = await setup();
    const mount = join(outer, 'full');
    const unmount = mountSmallTmpfs(mount);
    if (!unmount) return ctx.skip();
    try {
      const dir = join(mount, 'project');
      mkdirSync(dir);
      const { failures } = await withGrowingSpace(
        mount,
        () => init(dir, home, { type: 'local', path: '/srv/store' }),
        (err) => {
          expect(err).toMatchObject({ code: 'DISK_FULL', hint: /Init changed nothing\.$/ });
          expect((err as OperationError).data?.path).toMatch(new RegExp(`^${dir}/`));
          expect(readdirSync(dir)).toEqual([]);
        },
      );
      expect(failures.length).toBeGreaterThan(0);
      expect(git(dir, 'config', '--get', 'remote.cmf_origin.url')).toBe(GIT_URL);
      git(dir, 'status');
    } finally {
      unmount();
    }
  });

  it('refuses a .cmfconfig it cannot read (a directory), before writing anything', async () => {
    const { dir, home } = await setup();
    mkdirSync(join(dir, '.cmfconfig'));
    const err = await init(dir, home, { type: 'local', path: '/s' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(readdirSync(dir).sort()).toEqual(['.cmfconfig']);
  });

  it('refuses a .dvc/config it cannot parse, before writing anything', async () => {
    const { dir, home } = await setup();
    mkdirSync(join(dir, '.dvc'));
    writeFileSync(join(dir, '.dvc/config'), 'garbage\n');
    const err = await init(dir, home, { type: 'local', path: '/s' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(4);
    expect((err as ConfigError).hint).toMatch(/Fix or remove the line in .*\.dvc\/config/);
    expect(read(dir, '.dvc/config')).toBe('garbage\n');
    expect(readdirSync(dir).sort()).toEqual(['.dvc']);
  });

  it('an existing repository keeps its branch and gets cmf_origin added, then updated', async () => {
    const { dir, home } = await setup();
    git(dir, 'init', '-q', '-b', 'dev');
    git(dir, 'remote', 'add', 'origin', 'https://example.org/origin.git');
    const r1 = await init(dir, home, { type: 'local', path: '/s' });
    expect(r1.git).toEqual({ initialized: false, cmfOrigin: 'added' });
    expect(git(dir, 'remote', 'get-url', 'cmf_origin')).toBe(GIT_URL);
    const r2 = await init(dir, home, {
      type: 'sshremote',
      path: 'ssh://h/s',
      user: 'u',
      port: '22',
      gitRemoteUrl: 'git@example.org:new.git',
    });
    expect(r2.git.cmfOrigin).toBe('updated');
    expect(git(dir, 'remote', 'get-url', 'cmf_origin')).toBe('git@example.org:new.git');
    expect(git(dir, 'remote', 'get-url', 'origin')).toBe('https://example.org/origin.git');
    expect(git(dir, 'symbolic-ref', '--short', 'HEAD')).toBe('dev');
    expect(git(dir, 'status', '--porcelain')).toContain('.dvc/');
    expect(git(dir, 'status', '--porcelain')).not.toContain('config.local');
  });

  it('Python configparser reads the .cmfconfig we write', async () => {
    const py = spawnSync('python3', ['-c', 'import configparser'], { encoding: 'utf8' });
    if (py.status !== 0) return; // no Python here: the byte-exact tests above still hold
    const { dir, home } = await setup();
    await init(dir, home, {
      type: 'osdfremote',
      path: 'https://o/ns%2F',
      accessToken: jwt('T'),
      cmfServerUrl: 'http://s:80',
      neo4jUser: 'u',
      neo4jPassword: 'p',
      neo4jUri: 'bolt://h:7687',
    });
    const out = execFileSync(
      'python3',
      [
        '-c',
        'import configparser,sys,json\nc=configparser.ConfigParser()\nc.read_file(open(sys.argv[1]))\n' +
          'print(json.dumps({s:{k:c[s].get(k) for k in c[s]} for s in c.sections()}))',
        join(dir, '.cmfconfig'),
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(out)).toEqual({
      cmf: { 'server-url': 'http://s:80' },
      neo4j: { user: 'u', uri: 'bolt://h:7687' },
      osdf: {
        path: 'https://o/ns%2F',
        cache: '',
        key_id: '',
        key_path: '',
        key_issuer: '',
        access_token: 'provided',
      },
    });
  });
});

describe('cmf init: argument checks before anything is written', () => {
  const cases: [string, Partial<InitOptions> & Pick<InitOptions, 'type'>, RegExp][] = [
    ['empty path', { type: 'local', path: '' }, /--path/],
    ['empty git url', { type: 'local', path: '/s', gitRemoteUrl: ' ' }, /--git-remote-url/],
    ['non-s3 url', { type: 'amazonS3', url: 'http://bucket' }, /s3:\/\//],
    [
      's3 url without a bucket',
      { type: 'amazonS3', url: 's3://' },
      /--url 's3:\/\/' names no bucket/,
    ],
    [
      's3 url with an empty bucket',
      { type: 'minioS3', url: 's3:///p', endpointUrl: 'http://m' },
      /s3:\/\//,
    ],
    [
      'server url that is not a URL',
      { type: 'local', path: '/s', cmfServerUrl: 'notaurl' },
      /--cmf-server-url must be a http:\/\/ or https:\/\/ URL/,
    ],
    [
      'server url without a host',
      { type: 'local', path: '/s', cmfServerUrl: 'http://' },
      /cmf-server-url/,
    ],
    [
      'ssh ports that disagree',
      { type: 'sshremote', path: 'ssh://h:2222/srv', user: 'u', port: '22' },
      /--path gives port 2222 but --port gives 22/,
    ],
    [
      'ssh users that disagree',
      { type: 'sshremote', path: 'ssh://bob@h/srv', user: 'u', port: '22' },
      /--path gives user 'bob' but --user gives 'u'/,
    ],
    [
      'one key only',
      { type: 'minioS3', url: 's3://b', endpointUrl: 'http://m', accessKeyId: 'k' },
      /go together/,
    ],
    [
      'bad port',
      { type: 'sshremote', path: 'ssh://h/s', user: 'u', port: '0' },
      /^Invalid value for --port: expected an integer from 1 to 65535, got '0'$/,
    ],
    [
      'ssh path with a ? (DVC would cut the directory there)',
      { type: 'sshremote', path: 'ssh://h/q?x', user: 'u', port: '22' },
      /--path 'ssh:\/\/h\/q\?x' has a '\?'/,
    ],
    [
      'ssh path with a bad port',
      { type: 'sshremote', path: 'ssh://h:99999/s', user: 'u', port: '22' },
      /--path 'ssh:\/\/h:99999\/s' is not a valid SSH URL: port 99999 is out of range/,
    ],
    ['ssh url', { type: 'sshremote', path: '/local', user: 'u', port: '22' }, /ssh:\/\//],
    ['no osdf token', { type: 'osdfremote', path: 'https://o/ns' }, /token or a signing key/],
    ['partial osdf keys', { type: 'osdfremote', path: 'https://o/ns', keyId: 'k' }, /go together/],
    [
      'missing keyfile',
      { type: 'sshremote', path: 'ssh://h/s', user: 'u', port: '22', keyfile: '/nope' },
      /does not exist/,
    ],
  ];
  it('ssh port and user in --path are accepted when they agree with --port and --user', async () => {
    const { dir, home } = await setup();
    const r = await init(dir, home, {
      type: 'sshremote',
      path: 'ssh://u@h:2222/srv',
      user: 'u',
      port: '2222',
    });
    expect(r.remote.url).toBe('ssh://u@h:2222/srv');
  });

  it('an ssh --path with #, % and spaces is kept as written, as DVC reads it', async () => {
    const { dir, home } = await setup();
    for (const path of ['ssh://h/dir/sp ace#1%20x', 'ssh://h/100%done', 'ssh://a%40b@h/p']) {
      const r = await init(dir, home, { type: 'sshremote', path, user: 'a%40b', port: '22' });
      expect(r.remote.url).toBe(path);
    }
  });

  it.each(cases)('%s', async (_name, opts, message) => {
    const { dir, home } = await setup();
    const err = await init(dir, home, opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(message);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('cmf init: no password in a tracked file, no control character anywhere', () => {
  const refused: [string, Partial<InitOptions> & Pick<InitOptions, 'type'>, string, RegExp][] = [
    [
      'ssh --path',
      { type: 'sshremote', path: 'ssh://u:sshpw@host/srv', user: 'u', port: '22' },
      'path',
      /--password/,
    ],
    [
      'minio --endpoint-url',
      { type: 'minioS3', url: 's3://b', endpointUrl: 'http://AK:SK@minio:9000' },
      'endpoint-url',
      /--access-key-id and --secret-key/,
    ],
    [
      'minio --url',
      { type: 'minioS3', url: 's3://AK:SK@b', endpointUrl: 'http://minio:9000' },
      'url',
      /--access-key-id and --secret-key/,
    ],
    ['amazon --url', { type: 'amazonS3', url: 's3://AK:SK@b/p' }, 'url', /--secret-key/],
    ['local --path', { type: 'local', path: 'http://u:pw@nas/x' }, 'path', /no password/],
    [
      'osdf --path',
      { type: 'osdfremote', path: 'https://u:pw@o/ns', accessToken: jwt('T') },
      'path',
      /--access-token/,
    ],
    [
      'osdf --cache',
      {
        type: 'osdfremote',
        path: 'https://o/ns',
        cache: 'https://u:pw@c/ns',
        accessToken: jwt('T'),
      },
      'cache',
      /--access-token/,
    ],
    [
      '--cmf-server-url',
      { type: 'local', path: '/s', cmfServerUrl: 'http://admin:hunter2@srv:8080' },
      'cmf-server-url',
      /CMF_SERVER_TOKEN/,
    ],
    [
      '--neo4j-uri',
      {
        type: 'local',
        path: '/s',
        neo4jUser: 'n',
        neo4jPassword: 'p',
        neo4jUri: 'bolt://n:pw@h:7687',
      },
      'neo4j-uri',
      /--neo4j-password/,
    ],
  ];
  it.each(refused)(
    'a password in %s is a usage error naming the flag to use',
    async (_n, opts, flag, instead) => {
      const { dir, home } = await setup();
      const err = await init(dir, home, opts).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UsageError);
      const e = err as UsageError;
      expect(e.exitCode).toBe(2);
      expect(e.code).toBe('INIT_URL_PASSWORD');
      expect(e.message).toMatch(new RegExp(`^--${flag} holds a password \\(.*:\\*\\*\\*\\*@`));
      expect(e.hint).toMatch(instead);
      expect(`${e.message} ${e.hint}`).not.toMatch(/sshpw|SK|hunter2|:pw@/);
      expect(readdirSync(dir)).toEqual([]);
    },
  );

  it('the hint gives the URL without its password, the user kept', async () => {
    const { dir, home } = await setup();
    const err = (await init(dir, home, {
      type: 'sshremote',
      path: 'ssh://u:p@ss@host/srv',
      user: 'u',
      port: '22',
    }).catch((e: unknown) => e)) as UsageError;
    expect(err.hint).toMatch(/^Leave the password out \(--path ssh:\/\/u@host\/srv\)\./);
  });

  it('a git remote URL may hold a token (.git/config is untracked), and neither it nor a server password already in .cmfconfig is reported', async () => {
    const { dir, home } = await setup();
    writeFileSync(join(dir, '.cmfconfig'), '[cmf]\nserver-url = http://admin:hunter2@srv:8080\n\n');
    const url = 'https://me:ghp_TOKEN@github.com/me/p.git';
    const r = await init(dir, home, { type: 'local', path: '/s', gitRemoteUrl: url });
    expect(git(dir, 'remote', 'get-url', 'cmf_origin')).toBe(url);
    expect(r.cmfServerUrl).toBe('http://admin:****@srv:8080');
    expect(JSON.stringify(r)).not.toMatch(/ghp_TOKEN|hunter2/);
    expect(read(dir, '.dvc/config')).not.toContain('ghp_TOKEN');
  });

  const controls = ['\n', '\r', '\t', '\0', '\x1b', '\x7f', '\x85', '\u2028'];
  it.each(controls.map((c) => [`U+${c.charCodeAt(0).toString(16).padStart(4, '0')}`, c]))(
    'a control character (%s) in any flag value is a usage error naming the flag',
    async (_n, c) => {
      const flags: [string, Partial<InitOptions> & Pick<InitOptions, 'type'>][] = [
        ['path', { type: 'local', path: `/tmp/a${c}[x]${c}evil = 1` }],
        ['git-remote-url', { type: 'local', path: '/s', gitRemoteUrl: `${GIT_URL}${c}` }],
        [
          'password',
          { type: 'sshremote', path: 'ssh://h/s', user: 'u', port: '22', password: `p${c}w` },
        ],
        ['endpoint-url', { type: 'minioS3', url: 's3://b', endpointUrl: `http://m:9000/${c}` }],
        ['secret-key', { type: 'amazonS3', url: 's3://b', accessKeyId: 'a', secretKey: `S${c}K` }],
        [
          'neo4j-user',
          {
            type: 'local',
            path: '/s',
            neo4jUser: `u${c}`,
            neo4jPassword: 'p',
            neo4jUri: 'bolt://h',
          },
        ],
      ];
      for (const [flag, opts] of flags) {
        const { dir, home } = await setup();
        const err = await init(dir, home, opts).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UsageError);
        expect((err as UsageError).code).toBe('INIT_CONTROL_CHARACTER');
        expect((err as UsageError).message).toMatch(
          new RegExp(`^--${flag} contains a control character`),
        );
        expect(readdirSync(dir)).toEqual([]);
      }
    },
  );
});
