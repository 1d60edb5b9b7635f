/** The git steps of repo push/pull against real local bare repositories and the git CLI. */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitPull, gitPush } from '../../src/repo/git-steps.js';
import { gitCli, newRepo } from '../helpers/git-cli.js';
import { tempDir } from '../helpers/tmp.js';
import { failure } from '../helpers/failure.js';

/** A bare remote, and two work trees (`work` branch) with `cmf_origin` pointing at it. */
async function twoClones(): Promise<{ bare: string; mine: string; theirs: string }> {
  const bare = join(await tempDir(), 'origin.git');
  gitCli(join(bare, '..'), 'init', '-q', '--bare', '-b', 'work', bare);
  const mine = await newRepo();
  gitCli(mine, 'remote', 'add', 'cmf_origin', bare);
  await writeFile(join(mine, 'a.txt'), 'one\n');
  gitCli(mine, 'add', 'a.txt');
  gitCli(mine, 'commit', '-qm', 'first');
  gitCli(mine, 'push', '-q', 'cmf_origin', 'work');
  const theirs = join(await tempDir(), 'theirs');
  gitCli(join(theirs, '..'), 'clone', '-q', '-o', 'cmf_origin', bare, theirs);
  gitCli(theirs, 'config', 'user.name', 'Other');
  gitCli(theirs, 'config', 'user.email', 'other@example.com');
  return { bare, mine, theirs };
}

async function commit(dir: string, file: string, text: string): Promise<void> {
  await writeFile(join(dir, file), text);
  gitCli(dir, 'add', file);
  gitCli(dir, 'commit', '-qm', `edit ${file}`);
}

// An editor would mean a merge that waits for a human: make any editor fail loudly.
const saved = { GIT_EDITOR: process.env.GIT_EDITOR };
beforeAll(() => {
  process.env.GIT_EDITOR = 'false';
});
afterAll(() => {
  if (saved.GIT_EDITOR === undefined) delete process.env.GIT_EDITOR;
  else process.env.GIT_EDITOR = saved.GIT_EDITOR;
});

describe('repo git steps', () => {
  it('a branch not on the remote yet is not pulled, then pushed', async () => {
    const { bare, mine } = await twoClones();
    gitCli(mine, 'switch', '-q', '-c', 'feature');
    await commit(mine, 'b.txt', 'b\n');
    const pulled = await gitPull({ cwd: mine }, { onlyIfOnRemote: true });
    expect(pulled).toMatchObject({ pulled: false, branch: 'feature', remote: 'cmf_origin' });
    await gitPush({ cwd: mine }, 'P');
    expect(gitCli(bare, 'rev-parse', 'feature')).toBe(gitCli(mine, 'rev-parse', 'HEAD'));
  });

  it('a remote that moved on is merged without an editor, then the push goes through', async () => {
    const { bare, mine, theirs } = await twoClones();
    await commit(theirs, 'theirs.txt', 'theirs\n');
    gitCli(theirs, 'push', '-q', 'cmf_origin', 'work');
    await commit(mine, 'mine.txt', 'mine\n');
    const pulled = await gitPull({ cwd: mine }, { onlyIfOnRemote: true });
    expect(pulled.pulled).toBe(true);
    expect(gitCli(mine, 'rev-list', '--parents', '-n', '1', 'HEAD').split(' ')).toHaveLength(3);
    await gitPush({ cwd: mine }, 'P');
    expect(gitCli(bare, 'rev-parse', 'work')).toBe(gitCli(mine, 'rev-parse', 'HEAD'));
    expect(gitCli(bare, 'ls-tree', '--name-only', 'work').split('\n')).toEqual([
      'a.txt',
      'mine.txt',
      'theirs.txt',
    ]);
  });

  it('a merge conflict stops with GIT_MERGE_CONFLICT naming the files; the merge is left in progress', async () => {
    const { mine, theirs } = await twoClones();
    await commit(theirs, 'a.txt', 'theirs\n');
    gitCli(theirs, 'push', '-q', 'cmf_origin', 'work');
    await commit(mine, 'a.txt', 'mine\n');
    const err = await failure(gitPull({ cwd: mine }, { onlyIfOnRemote: true }));
    expect([err.code, err.exitCode]).toEqual(['GIT_MERGE_CONFLICT', 1]);
    expect(err.message).toMatch(
      /^merge conflicts in a\.txt \('git pull --no-rebase --no-edit cmf_origin work' stopped\)$/,
    );
    expect(err.hint).toMatch(
      /resolve the conflicts and 'git commit', or undo it with 'git merge --abort'/,
    );
    expect(existsSync(join(mine, '.git', 'MERGE_HEAD'))).toBe(true);
    expect(gitCli(mine, 'diff', '--name-only', '--diff-filter=U')).toBe('a.txt');
  });

  it('a push rejected because the remote moved on says to pull first', async () => {
    const { mine, theirs } = await twoClones();
    await commit(theirs, 'theirs.txt', 'theirs\n');
    gitCli(theirs, 'push', '-q', 'cmf_origin', 'work');
    await commit(mine, 'mine.txt', 'mine\n');
    const err = await failure(gitPush({ cwd: mine }, 'Test-env'));
    expect([err.code, err.exitCode]).toEqual(['GIT_PUSH_REJECTED', 1]);
    expect(err.message).toMatch(
      /^cmf_origin \(.*origin\.git\) rejected work: the remote branch has commits/,
    );
    expect(err.hint).toBe(
      "Bring them in first: 'cmf repo pull -p Test-env' (or 'git pull cmf_origin work'), then run cmf repo push again.",
    );
  });

  it('a push names the push URL (set-url --push), its token masked (results, errors)', async () => {
    const { bare, mine, theirs } = await twoClones();
    // Fetches use the plain path; pushes a file:// URL with a token in it (git ignores it).
    gitCli(mine, 'remote', 'set-url', '--push', 'cmf_origin', `file://me:s3cret@localhost${bare}`);
    await commit(mine, 'b.txt', 'b\n');
    const pushed = await gitPush({ cwd: mine }, 'P');
    expect(pushed.url).toBe(`file://me:****@localhost${bare}`);
    expect(gitCli(bare, 'rev-parse', 'work')).toBe(gitCli(mine, 'rev-parse', 'HEAD'));
    const pulled = await gitPull({ cwd: mine });
    expect(pulled.url).toBe(bare);
    await commit(theirs, 'theirs.txt', 'theirs\n');
    gitCli(theirs, 'pull', '-q', '--no-rebase', 'cmf_origin', 'work');
    gitCli(theirs, 'push', '-q', 'cmf_origin', 'work');
    await commit(mine, 'c.txt', 'c\n');
    const err = await failure(gitPush({ cwd: mine }, 'P'));
    expect(err.code).toBe('GIT_PUSH_REJECTED');
    expect(err.message).toContain(`(file://me:****@localhost${bare}) rejected work`);
    expect(JSON.stringify(err.toJSON()) + err.message).not.toContain('s3cret');
  });
});
