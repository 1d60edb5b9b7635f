/**
 * The git steps of repo push/pull over a real sshd, without a terminal: the user's
 * core.sshCommand (their key and known_hosts) is what git runs, not cmf's batch-mode default.
 */
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkGitSteps, gitPull, gitPush } from '../../src/repo/git-steps.js';
import { startSshd, type SshdServer } from '../servers/sshd.js';
import { failure } from '../helpers/failure.js';
import { gitCli, newRepo } from '../helpers/git-cli.js';
import { tempDir } from '../helpers/tmp.js';

let sshd: SshdServer;
const saved = { GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND, GIT_SSH: process.env.GIT_SSH };

beforeAll(async () => {
  sshd = await startSshd();
  // The user set no ssh command in the environment: only the repository's config names one.
  delete process.env.GIT_SSH_COMMAND;
  delete process.env.GIT_SSH;
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await sshd?.stop();
});

/** A bare repository the SSH test user owns, and a work tree whose cmf_origin is it over ssh. */
async function sshClone(): Promise<{ bare: string; mine: string }> {
  const bare = join(sshd.dataDir, `origin-${Math.random().toString(36).slice(2)}.git`);
  execFileSync('git', ['init', '-q', '--bare', '-b', 'work', bare]);
  execFileSync('chown', ['-R', `${sshd.user}:`, bare]);
  const mine = await newRepo();
  await writeFile(join(mine, 'a.txt'), 'one\n');
  gitCli(mine, 'add', 'a.txt');
  gitCli(mine, 'commit', '-qm', 'first');
  gitCli(mine, 'remote', 'add', 'cmf_origin', `ssh://${sshd.user}@127.0.0.1:${sshd.port}${bare}`);
  return { bare, mine };
}

describe('repo git steps over ssh', () => {
  it("uses the repository's core.sshCommand without a terminal (key, known_hosts)", async () => {
    const { bare, mine } = await sshClone();
    const knownHosts = join(await tempDir(), 'known_hosts');
    await writeFile(knownHosts, sshd.knownHostsLine);
    gitCli(
      mine,
      'config',
      'core.sshCommand',
      `ssh -i '${sshd.keyPath}' -o IdentitiesOnly=yes -o UserKnownHostsFile='${knownHosts}' ` +
        '-o StrictHostKeyChecking=yes',
    );
    const git = { cwd: mine, interactive: false };
    await checkGitSteps(git, { pull: 'if-on-remote' });
    const pushed = await gitPush(git, 'P');
    expect(pushed.url).toBe(`ssh://${sshd.user}@127.0.0.1:${sshd.port}${bare}`);
    expect(gitCli(bare, '-c', `safe.directory=${bare}`, 'rev-parse', 'work')).toBe(
      gitCli(mine, 'rev-parse', 'HEAD'),
    );
    await checkGitSteps(git, { pull: 'required' });
    expect((await gitPull(git)).pulled).toBe(true);

    // Without it, ssh runs in batch mode: the unknown host is an error at once, not a prompt.
    gitCli(mine, 'config', '--unset', 'core.sshCommand');
    const err = await failure(checkGitSteps(git, { pull: 'required' }));
    expect(err.code).toBe('GIT_FAILED');
    expect(err.message).toMatch(/Host key verification failed|Permission denied/);
  });
});
