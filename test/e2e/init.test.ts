import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isolatedEnv, runCmf, runCmfOrKill } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const GIT_URL = 'https://github.com/example/project.git';
/** A JWT-shaped OSDF token (header, payload `{"sub":"x"}`, signature) with a marker to look for. */
const JWT_SECRET = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.SECRET';

/** A project dir and an isolated HOME, with no credentials inherited from this machine. */
async function setup() {
  const root = await tempDir('cmf-e2e-init-');
  const dir = join(root, 'project');
  const home = join(root, 'home');
  mkdirSync(dir);
  mkdirSync(home);
  const env = isolatedEnv(home);
  const cmf = (args: string[], extra: Record<string, string> = {}, cwd = dir) =>
    runCmf(args, { cwd, env: { ...env, ...extra } });
  return { dir, home, cmf };
}

const read = (dir: string, rel: string) => readFileSync(join(dir, rel), 'utf8');

describe('cmf init (binary)', () => {
  it('init local succeeds, prints a summary, and init show lists the values with sources', async () => {
    const { dir, cmf } = await setup();
    const r = await cmf(['init', 'local', '--path', '/srv/store', '--git-remote-url', GIT_URL]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Setting 'local-storage' as a default remote");
    expect(r.stdout).toContain('SUCCESS: cmf init complete.');
    expect(read(dir, '.dvc/config')).toContain('remote = local-storage');
    const git = execFileSync('git', ['remote', 'get-url', 'cmf_origin'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(git.trim()).toBe(GIT_URL);

    mkdirSync(join(dir, 'src'));
    const show = await cmf(['init', 'show'], {}, join(dir, 'src'));
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^core\.remote = local-storage +# \.dvc\/config$/m);
    expect(show.stdout).toMatch(/^remote\.local-storage\.url = \/srv\/store +# \.dvc\/config$/m);
    expect(show.stdout).toMatch(/^cmf-server-url = http:\/\/127\.0\.0\.1:80 +# \.cmfconfig$/m);
  });

  it.each([
    [
      'minioS3',
      [
        '--url',
        's3://dvc-art',
        '--endpoint-url',
        'http://localhost:9000',
        '--access-key-id',
        'KEYID-SECRET',
        '--secret-key',
        'SK-SECRET',
      ],
      'minio',
    ],
    [
      'amazonS3',
      [
        '--url',
        's3://bucket/p',
        '--access-key-id',
        'KEYID-SECRET',
        '--secret-key',
        'SK-SECRET',
        '--session-token',
        'ST-SECRET',
      ],
      'amazons3',
    ],
    [
      'sshremote',
      [
        '--path',
        'ssh://h.example.org/srv',
        '--user',
        'u',
        '--port',
        '22',
        '--password',
        'PW-SECRET',
      ],
      'ssh-storage',
    ],
    [
      'osdfremote',
      ['--path', 'https://origin.example.org:8443/ns', '--access-token', JWT_SECRET],
      'osdf',
    ],
  ])(
    'init %s --json succeeds and keeps secrets out of tracked files',
    async (type, flags, remote) => {
      const { dir, cmf } = await setup();
      const r = await cmf(['init', type, ...flags, '--git-remote-url', GIT_URL, '--json']);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({
        type,
        remote: { name: remote },
        git: { initialized: true, cmfOrigin: 'added' },
      });
      expect(r.stdout).not.toMatch(/SECRET/);
      expect(read(dir, '.dvc/config')).toContain(`remote = ${remote}\n`);
      expect(read(dir, '.dvc/config') + read(dir, '.cmfconfig')).not.toMatch(/SECRET|UFctU0VDUkVU/);
      expect(read(dir, '.dvc/config.local')).toMatch(/SECRET|UFctU0VDUkVU/);
    },
  );

  it('init show masks secrets unless --show-secrets, and --json gives the structure', async () => {
    const { dir, cmf } = await setup();
    await cmf([
      'init',
      'minioS3',
      '--url',
      's3://b',
      '--endpoint-url',
      'http://m:9000',
      '--access-key-id',
      'AKIAABCDEFGH9876',
      '--secret-key',
      'TOPSECRET',
      '--neo4j-user',
      'neo',
      '--neo4j-password',
      'NEOSECRET',
      '--neo4j-uri',
      'bolt://h:7687',
      '--git-remote-url',
      GIT_URL,
    ]);
    const masked = await cmf(['init', 'show']);
    expect(masked.code).toBe(0);
    expect(masked.stdout).not.toMatch(/TOPSECRET|NEOSECRET|AKIAABCDEFGH/);
    expect(masked.stdout).toMatch(
      /^remote\.minio\.access_key_id = \*\*\*\*9876 +# \.dvc\/config\.local$/m,
    );
    expect(masked.stdout).toMatch(/^neo4j-password = \*{8} +# \.dvc\/config\.local$/m);
    const clear = await cmf(['init', 'show', '--show-secrets']);
    expect(clear.stdout).toMatch(/^remote\.minio\.secret_access_key = TOPSECRET /m);
    expect(clear.stdout).toMatch(/^neo4j-password = NEOSECRET /m);
    // The remote's own keys are what push uses: an environment key does not show over them.
    const env = await cmf(['init', 'show', '--json'], { AWS_SECRET_ACCESS_KEY: 'FROMENV' });
    const json = JSON.parse(env.stdout);
    expect(json.root).toBe(dir);
    expect(json.entries).toContainEqual({
      key: 'remote.minio.secret_access_key',
      value: '********',
      source: '.dvc/config.local',
      secret: true,
    });
  });

  it('init show escapes control characters a config file holds, and aligns wide text', async () => {
    const { dir, cmf } = await setup();
    expect((await cmf(['init', 'local', '--path', '/s', '--git-remote-url', GIT_URL])).code).toBe(
      0,
    );
    // A tracked file a cloned repository brings: a title-setting escape, colour, a bell.
    const url = '/tmp/\x1b]0;PWN\x07dir-\x1b[31mred/日本語🚀';
    writeFileSync(
      join(dir, '.dvc', 'config'),
      `[core]\n    remote = local-storage\n['remote "local-storage"']\n    url = ${url}\n    extra = x\x07\n`,
    );
    const r = await cmf(['init', 'show']);
    expect(r.code, r.stderr).toBe(0);
    // eslint-disable-next-line no-control-regex -- the point: no control byte gets out
    expect(r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(r.stdout).toContain(
      'remote.local-storage.url = /tmp/\\x1b]0;PWN\\x07dir-\\x1b[31mred/日本語🚀  # .dvc/config',
    );
    // The source column starts at one screen column on every line (CJK and emoji are 2 wide).
    const columns = r.stdout
      .split('\n')
      .filter((l) => l.includes(' # '))
      .map((l) => {
        const before = l.slice(0, l.indexOf('  # '));
        return [...before].reduce(
          (w, c) => w + (/[\u3000-\u9fff]|\p{Extended_Pictographic}/u.test(c) ? 2 : 1),
          0,
        );
      });
    expect(new Set(columns).size, r.stdout).toBe(1);
    const json = JSON.parse((await cmf(['init', 'show', '--json'])).stdout);
    expect(json.entries).toContainEqual(
      expect.objectContaining({ key: 'remote.local-storage.url', value: url }),
    );
  });

  it('init show masks secrets in URL query strings too; re-init warns of URL secrets it keeps', async () => {
    const { dir, cmf } = await setup();
    expect((await cmf(['init', 'local', '--path', '/s', '--git-remote-url', GIT_URL])).code).toBe(
      0,
    );
    writeFileSync(
      join(dir, '.cmfconfig'),
      '[cmf]\nserver-url = http://admin:hunter2@srv:8080/?token=TOKSECRET&x=1\n',
    );
    const show = await cmf(['init', 'show']);
    expect(show.stdout).not.toMatch(/hunter2|TOKSECRET/);
    expect(show.stdout).toMatch(
      /^cmf-server-url = http:\/\/admin:\*{4}@srv:8080\/\?token=\*{4}&x=1 +# \.cmfconfig$/m,
    );
    const json = JSON.parse((await cmf(['init', 'show', '--json'])).stdout);
    expect(JSON.stringify(json)).not.toMatch(/hunter2|TOKSECRET/);

    const again = await cmf(['init', 'local', '--path', '/s', '--git-remote-url', GIT_URL]);
    expect(again.code).toBe(0);
    expect(again.stdout + again.stderr).not.toMatch(/hunter2|TOKSECRET/);
    expect(again.stderr.replace(/\s*›\s*/g, ' ')).toMatch(
      /Warning: \.cmfconfig keeps a password in \[cmf\] server-url .* Remove it: re-run init with --cmf-server-url http:\/\/admin@srv:8080\/\?x=1/,
    );
    const quiet = await cmf([
      'init',
      'local',
      '--path',
      '/s',
      '--git-remote-url',
      GIT_URL,
      '--json',
    ]);
    const { warnings } = JSON.parse(quiet.stdout);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^\.cmfconfig keeps a password in \[cmf\] server-url \(http:\/\/admin:\*{4}@/,
    );
  });

  it('a failed init changes nothing: git remote, .dvc, .dvcignore and .git are undone', async () => {
    // CONFIG_FILE below a dangling link: every check passes, the very last write fails.
    const env = { CONFIG_FILE: 'link/.cmfconfig' };
    const args = ['init', 'local', '--path', '/s', '--git-remote-url', GIT_URL];

    const fresh = await setup();
    symlinkSync('/nonexistent/cmf-test', join(fresh.dir, 'link'));
    const r = await fresh.cmf(args, env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: cmf init failed: .*link/m);
    expect(r.stderr).toMatch(/Init changed nothing\.$/m);
    expect(readdirSync(fresh.dir)).toEqual(['link']);

    const { dir, cmf } = await setup();
    execFileSync('git', ['init', '-q'], { cwd: dir });
    execFileSync('git', ['remote', 'add', 'cmf_origin', 'https://example.org/old.git'], {
      cwd: dir,
    });
    symlinkSync('/nonexistent/cmf-test', join(dir, 'link'));
    const gitConfig = read(dir, '.git/config');
    const again = await cmf([...args, '--json'], env);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stderr).error).toMatchObject({ code: 'INIT_WRITE_FAILED' });
    expect(read(dir, '.git/config')).toBe(gitConfig);
    expect(readdirSync(dir).sort()).toEqual(['.git', 'link']);
  });

  it('amazonS3 without keys uses the environment and stores none', async () => {
    const { dir, cmf } = await setup();
    const r = await cmf(['init', 'amazonS3', '--url', 's3://b', '--git-remote-url', GIT_URL], {
      AWS_ACCESS_KEY_ID: 'ENVKEY',
      AWS_SECRET_ACCESS_KEY: 'ENVSECRET',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Credentials: environment');
    expect(existsSync(join(dir, '.dvc/config.local'))).toBe(false);
  });

  it('a missing required flag is a usage error (exit 2) with a hint', async () => {
    const { dir, cmf } = await setup();
    const r = await cmf(['init', 'local', '--path', '/s']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/git-remote-url/);
    expect(r.stderr).toMatch(/Hint: /);
    expect(readdirSync(dir)).toEqual([]);
    const j = await cmf([
      'init',
      'minioS3',
      '--url',
      's3://b',
      '--git-remote-url',
      GIT_URL,
      '--json',
    ]);
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stderr)).toMatchObject({ status: 'error', error: { exitCode: 2 } });
  });

  it('a partial neo4j trio is exit 2 and writes nothing', async () => {
    const { dir, cmf } = await setup();
    const r = await cmf([
      'init',
      'local',
      '--path',
      '/s',
      '--git-remote-url',
      GIT_URL,
      '--neo4j-user',
      'neo',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Error: Provide user, password and uri for neo4j/);
    expect(r.stderr).toMatch(/Hint: Give all of --neo4j-user/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('osdfremote takes a long raw token, and refuses one that is no JWT without showing it', async () => {
    const { dir, cmf } = await setup();
    const base = ['init', 'osdfremote', '--path', 'https://o/ns', '--git-remote-url', GIT_URL];
    // Real tokens run to 400-800 characters: longer than a file name may be.
    const long = `${JWT_SECRET}${'x'.repeat(600)}`;
    const ok = await cmf([...base, '--access-token', long]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(read(dir, '.dvc/config.local')).toContain(long);
    writeFileSync(join(dir, 'empty-token'), '');
    for (const [token, message] of [
      ['not-a-jwt-SECRET', /--access-token value is neither a token file nor a JWT/],
      [join(dir, 'empty-token'), /The OSDF token in .*empty-token is not a JWT/],
    ] as const) {
      const r = await cmf([...base, '--access-token', token]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/SECRET/);
    }
  });

  it('osdfremote without any token source is exit 2', async () => {
    const { dir, cmf } = await setup();
    const r = await cmf([
      'init',
      'osdfremote',
      '--path',
      'https://o/ns',
      '--git-remote-url',
      GIT_URL,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/token or a signing key/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a FIFO .cmfconfig, .dvc/config or .dvc/config.local is exit 4 naming it, not a hang', async () => {
    const { dir, home, cmf } = await setup();
    const env = isolatedEnv(home);
    expect(
      (await cmf(['init', 'local', '--path', '/srv/store', '--git-remote-url', GIT_URL])).code,
    ).toBe(0);
    for (const rel of ['.cmfconfig', '.dvc/config', '.dvc/config.local']) {
      const path = join(dir, rel);
      const saved = existsSync(path) ? readFileSync(path) : undefined;
      rmSync(path, { force: true });
      execFileSync('mkfifo', [path]);
      const r = await runCmfOrKill(['init', 'show'], { cwd: dir, env });
      expect(r.code, r.stderr).toBe(4);
      expect(r.stderr).toContain(`${path} is a FIFO (named pipe), not a regular file`);
      expect(r.stderr).toContain(`Hint: Replace ${path} by a regular file`);
      rmSync(path);
      if (saved) writeFileSync(path, saved);
    }
  });

  it('init show outside a project is exit 4 with a hint', async () => {
    const { cmf } = await setup();
    const r = await cmf(['init', 'show']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/cmf is not configured/);
    expect(r.stderr).toMatch(/Hint: Run 'cmf init local/);
    const j = await cmf(['init', 'show', '--json']);
    expect(j.code).toBe(4);
    expect(JSON.parse(j.stderr)).toMatchObject({
      error: { code: 'CMF_NOT_CONFIGURED', exitCode: 4 },
    });
  });

  it('command names are case-sensitive as in cmf, and --help shows examples', async () => {
    const { cmf } = await setup();
    const help = await cmf(['init', 'minioS3', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('EXAMPLES');
    expect(help.stdout).toContain('--access-key-id');
    const wrong = await cmf(['init', 'minios3', '--help']);
    expect(wrong.code).not.toBe(0);
  });

  it('re-running in an existing repository keeps its branch and updates cmf_origin', async () => {
    const { dir, cmf } = await setup();
    execFileSync('git', ['init', '-q', '-b', 'dev'], { cwd: dir });
    writeFileSync(join(dir, 'README'), 'x');
    const a = await cmf(['init', 'local', '--path', '/a', '--git-remote-url', 'https://a/x.git']);
    expect(a.code).toBe(0);
    const b = await cmf([
      'init',
      'sshremote',
      '--path',
      'ssh://h/s',
      '--user',
      'u',
      '--port',
      '22',
      '--git-remote-url',
      'https://b/y.git',
    ]);
    expect(b.code).toBe(0);
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
    expect(git('remote', 'get-url', 'cmf_origin')).toBe('https://b/y.git');
    expect(git('symbolic-ref', '--short', 'HEAD')).toBe('dev');
  });

  it('a malformed .dvc/config is exit 4; init refuses it and the hint says to fix the file', async () => {
    const { dir, cmf } = await setup();
    mkdirSync(join(dir, '.dvc'));
    writeFileSync(join(dir, '.dvc/config'), 'garbage\n');
    writeFileSync(join(dir, '.cmfconfig'), '[cmf]\nserver-url = http://h:80\n\n');
    const show = await cmf(['init', 'show']);
    expect(show.code).toBe(4);
    expect(show.stderr).toMatch(/Hint: Fix or remove the line in .*\.dvc\/config/);
    const r = await cmf(['init', 'local', '--path', '/s', '--git-remote-url', GIT_URL, '--json']);
    expect(r.code).toBe(4);
    const err = JSON.parse(r.stderr).error;
    expect(err).toMatchObject({ code: 'CONFIG_SYNTAX', exitCode: 4 });
    expect(err.hint).not.toMatch(/re-run/);
    expect(read(dir, '.dvc/config')).toBe('garbage\n');
    expect(existsSync(join(dir, '.git'))).toBe(false);
  });

  it('a malformed .cmfconfig is exit 4; re-running init replaces it and keeps a .bak', async () => {
    const { dir, cmf } = await setup();
    const ok = await cmf(['init', 'local', '--path', '/s', '--git-remote-url', GIT_URL]);
    expect(ok.code).toBe(0);
    writeFileSync(join(dir, '.cmfconfig'), 'garbage\n');
    const show = await cmf(['init', 'show']);
    expect(show.code).toBe(4);
    expect(show.stderr).toMatch(
      /Hint: Fix or remove the line in .*\.cmfconfig, or re-run 'cmf init/,
    );
    const again = await cmf(['init', 'local', '--path', '/s', '--git-remote-url', GIT_URL]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/Warning: .*\.cmfconfig could not be read/);
    expect(read(dir, '.cmfconfig.bak')).toBe('garbage\n');
    expect(read(dir, '.cmfconfig')).toContain('server-url = http://127.0.0.1:80');
    expect((await cmf(['init', 'show'])).code).toBe(0);
  });

  it('a password inside a URL init would store in a tracked file is exit 2, never echoed', async () => {
    const { dir, cmf } = await setup();
    const cases: [string[], RegExp][] = [
      [
        ['local', '--path', '/tmp/r', '--cmf-server-url', 'http://admin:hunter2@srv:8080'],
        /Hint: Leave the password out \(--cmf-server-url http:\/\/admin@srv:8080\)\. .*CMF_SERVER_TOKEN/,
      ],
      [
        ['sshremote', '--path', 'ssh://u:sshpw@host/srv', '--user', 'u', '--port', '22'],
        /Hint: Leave the password out \(--path ssh:\/\/u@host\/srv\)\. Give it with --password/,
      ],
      [
        ['minioS3', '--url', 's3://b', '--endpoint-url', 'http://AK:SK@minio:9000'],
        /Hint: .*--access-key-id and --secret-key/,
      ],
    ];
    for (const [args, hint] of cases) {
      for (const json of [[], ['--json']]) {
        const r = await cmf(['init', ...args, '--git-remote-url', GIT_URL, ...json]);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stdout + r.stderr).not.toMatch(/hunter2|sshpw|SK@/);
        if (json.length === 0) {
          expect(r.stderr).toMatch(
            /^Error: --[a-z-]+ holds a password \([a-z0-9]+:\/\/\w+:\*{4}@/m,
          );
          expect(r.stderr).toMatch(hint);
        } else {
          expect(JSON.parse(r.stderr).error).toMatchObject({
            code: 'INIT_URL_PASSWORD',
            exitCode: 2,
          });
        }
      }
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a git remote URL with a token is set, but neither init nor init show prints it', async () => {
    const { dir, cmf } = await setup();
    writeFileSync(join(dir, '.cmfconfig'), '[cmf]\nserver-url = http://admin:hunter2@srv:8080\n\n');
    const url = 'https://me:ghp_TOKEN@github.com/me/p.git';
    for (const json of [[], ['--json']]) {
      const r = await cmf(['init', 'local', '--path', '/tmp/r', '--git-remote-url', url, ...json]);
      expect(r.code).toBe(0);
      expect(r.stdout + r.stderr).not.toMatch(/ghp_TOKEN|hunter2/);
    }
    const git = execFileSync('git', ['remote', 'get-url', 'cmf_origin'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(git.trim()).toBe(url);
    const show = await cmf(['init', 'show']);
    expect(show.stdout).toMatch(/^cmf-server-url = http:\/\/admin:\*{4}@srv:8080 +# \.cmfconfig$/m);
    expect(show.stdout).not.toMatch(/ghp_TOKEN|hunter2/);
  });

  it('init show masks the password of URLs others wrote, in text and --json, unless --show-secrets', async () => {
    const { dir, cmf } = await setup();
    expect(
      (await cmf(['init', 'local', '--path', '/tmp/r', '--git-remote-url', GIT_URL])).code,
    ).toBe(0);
    writeFileSync(
      join(dir, '.dvc/config'),
      read(dir, '.dvc/config') +
        `['remote "ssh"']\n    url = ssh://u:sshpw@host/srv\n['remote "minio"']\n    url = s3://b\n    endpointurl = http://AK:SK@minio:9000\n`,
    );
    const text = await cmf(['init', 'show']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^remote\.ssh\.url = ssh:\/\/u:\*{4}@host\/srv +# \.dvc\/config$/m);
    expect(text.stdout).toMatch(/^remote\.minio\.endpointurl = http:\/\/AK:\*{4}@minio:9000 /m);
    expect(text.stdout).not.toMatch(/sshpw|SK@/);
    const json = await cmf(['init', 'show', '--json']);
    expect(json.stdout).not.toMatch(/sshpw|SK@/);
    expect(JSON.parse(json.stdout).entries).toContainEqual({
      key: 'remote.ssh.url',
      value: 'ssh://u:****@host/srv',
      source: '.dvc/config',
      secret: true,
    });
    const clear = await cmf(['init', 'show', '--show-secrets']);
    expect(clear.stdout).toMatch(/^remote\.ssh\.url = ssh:\/\/u:sshpw@host\/srv /m);
  });

  it('a control character in a flag value is exit 2 naming the flag, and nothing is written', async () => {
    const { dir, cmf } = await setup();
    const inject = await cmf([
      'init',
      'local',
      '--path',
      '/tmp/a\n[x]\nevil = 1',
      '--git-remote-url',
      GIT_URL,
    ]);
    expect(inject.code).toBe(2);
    expect(inject.stderr).toMatch(/^Error: --path contains a control character \(U\+000A/m);
    expect(inject.stderr).toMatch(/Hint: /);
    const git = await cmf([
      'init',
      'local',
      '--path',
      '/tmp/a',
      '--git-remote-url',
      `${GIT_URL}\n`,
    ]);
    expect(git.code).toBe(2);
    expect(git.stderr).toMatch(/^Error: --git-remote-url contains a control character/m);
    const pw = await cmf([
      'init',
      'sshremote',
      '--path',
      'ssh://h/s',
      '--user',
      'u',
      '--port',
      '22',
      '--password',
      'p\tSECRETPW',
      '--git-remote-url',
      GIT_URL,
    ]);
    expect(pw.code).toBe(2);
    expect(pw.stderr).toMatch(/--password contains a control character \(U\+0009/);
    expect(pw.stderr).not.toContain('SECRETPW');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('values later commands would reject are usage errors at init (exit 2, with a hint)', async () => {
    const { dir, cmf } = await setup();
    const cases: [string[], RegExp][] = [
      [['amazonS3', '--url', 's3://', '--access-key-id', 'k', '--secret-key', 's'], /--url/],
      [['local', '--path', '/s', '--cmf-server-url', 'notaurl'], /--cmf-server-url/],
      [
        ['sshremote', '--path', 'ssh://h:2222/srv', '--user', 'u', '--port', '22'],
        /--path gives port 2222 but --port gives 22/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await cmf(['init', ...args, '--git-remote-url', GIT_URL]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/Hint: /);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('sshremote --keyfile: a passphrase-protected key needs --passphrase (kept in .dvc/config.local) or an agent', async () => {
    const { dir, home, cmf } = await setup();
    const key = join(home, 'locked_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'PP-SECRET', '-f', key]);
    const init = (extra: string[], env: Record<string, string> = {}) =>
      cmf(
        [
          'init',
          'sshremote',
          '--path',
          'ssh://h.example.org/srv',
          '--user',
          'u',
          '--port',
          '22',
          '--keyfile',
          key,
          ...extra,
          '--git-remote-url',
          GIT_URL,
        ],
        { SSH_AUTH_SOCK: '', ...env },
      );
    const refused = await init([]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${key} is protected by a passphrase`);
    expect(refused.stderr).toMatch(/Hint: Give --passphrase/);
    const wrong = await init(['--passphrase', 'not-it']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`--passphrase does not decrypt the SSH key file ${key}`);
    expect(readdirSync(dir)).toEqual([]);

    // With an agent that may hold the key: a warning.
    const agent = await init([], { SSH_AUTH_SOCK: join(home, 'agent.sock') });
    expect(agent.code).toBe(0);
    // oclif wraps warnings (' ›   ' starts each line).
    expect(agent.stderr.replace(/\s+(›\s+)?/g, ' ')).toMatch(
      /Warning: The SSH key file .* is protected by a passphrase .* \(ssh-add /,
    );

    const ok = await init(['--passphrase', 'PP-SECRET']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(read(dir, '.dvc/config')).not.toContain('PP-SECRET');
    expect(read(dir, '.dvc/config.local')).toContain('passphrase = PP-SECRET\n');
    const show = await cmf(['init', 'show']);
    expect(show.stdout).toMatch(/passphrase = \*+/);
    expect(show.stdout).not.toContain('PP-SECRET');
  });
});
