/**
 * cmf artifact push / pull through the built binary against a real OpenSSH sshd on
 * 127.0.0.1, configured with `cmf init sshremote` (password, the configured port, the host
 * key checked against ~/.ssh/known_hosts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, type SshdServer } from '../servers/sshd.js';
import {
  cloneProject,
  listFiles,
  loggedProject,
  trackedFiles,
} from '../helpers/artifact-project.js';
import { isolatedEnv, runCmf } from '../helpers/cli.js';

let sshd: SshdServer;
let root: string;
let env: Record<string, string>;

beforeAll(async () => {
  sshd = await startSshd();
  root = await mkdtemp(join(tmpdir(), 'cmf-e2e-ssh-'));
  const home = join(root, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true });
  writeFileSync(join(home, '.ssh', 'known_hosts'), sshd.knownHostsLine);
  env = isolatedEnv(home);
});
afterAll(async () => {
  await sshd?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('cmf artifact push / pull over SSH', () => {
  it('push fills the SFTP remote in the DVC layout; pull restores an empty clone', async () => {
    const project = join(root, 'project');
    const remoteDir = `${sshd.dataDir}/cmf-e2e`;
    await loggedProject(
      project,
      [
        'sshremote',
        '--path',
        `ssh://127.0.0.1${remoteDir}`,
        '--user',
        sshd.user,
        '--port',
        String(sshd.port),
        '--password',
        sshd.password,
      ],
      env,
    );
    const cmf = (args: string[], cwd: string) => runCmf(args, { cwd, env });

    const push = await cmf(['artifact', 'push', '-p', 'Test-env', '-j', '4'], project);
    expect(push.stderr).toBe('');
    expect(push.code).toBe(0);
    // The sshd user writes as another uid, but the files are readable by root here.
    const cached = listFiles(join(project, '.dvc/cache'));
    expect(listFiles(remoteDir)).toEqual(cached);
    const noop = await cmf(['artifact', 'push', '-p', 'Test-env', '--json'], project);
    expect(JSON.parse(noop.stdout)).toMatchObject({ uploaded: 0, present: cached.length });

    const dir = join(root, 'clone');
    cloneProject(project, dir);
    const pull = await cmf(['artifact', 'pull', '-p', 'Test-env'], dir);
    expect(pull.stderr).toBe('');
    expect(pull.code).toBe(0);
    for (const f of trackedFiles(project))
      expect(readFileSync(join(dir, f)).equals(readFileSync(join(project, f))), f).toBe(true);
  });
});
