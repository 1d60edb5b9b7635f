/** The git steps of repo push/pull against real local bare repositories and the git CLI. */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkGitSteps, gitPull, gitPush } from '../../src/repo/git-steps.js';
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

  it('a merge that would conflict is refused by the checks, before anything is transferred', async () => {
    const { mine, theirs } = await twoClones();
    await commit(theirs, 'a.txt', 'theirs\n');
    await commit(theirs, 'theirs.txt', 'theirs\n');
    gitCli(theirs, 'push', '-q', 'cmf_origin', 'work');
    await commit(mine, 'a.txt', 'mine\n');
    for (const pull of ['required', 'if-on-remote'] as const) {
      const err = await failure(checkGitSteps({ cwd: mine }, { pull }));
      expect([err.code, err.exitCode]).toEqual(['GIT_MERGE_WOULD_CONFLICT', 4]);
      expect(err.message).toBe(
        'the merge of cmf_origin work would stop on conflicts in a.txt: your commits and theirs both change them',
      );
      expect(err.hint).toMatch(/^Merge it yourself first \('git pull --no-rebase cmf_origin work'/);
      expect(err.data?.paths).toEqual(['a.txt']);
    }
    // Nothing merged, nothing touched.
    expect(existsSync(join(mine, '.git', 'MERGE_HEAD'))).toBe(false);
    expect(gitCli(mine, 'status', '--porcelain')).toBe('');
    // Diverged without a conflict: the checks let it through.
    const other = await twoClones();
    await commit(other.theirs, 'theirs.txt', 'theirs\n');
    gitCli(other.theirs, 'push', '-q', 'cmf_origin', 'work');
    await commit(other.mine, 'mine.txt', 'mine\n');
    await checkGitSteps({ cwd: other.mine }, { pull: 'required' });
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

/** `git <args>` that is expected to fail (a stopped merge, rebase, ...). */
function gitFails(cwd: string, ...args: string[]): void {
  expect(() => gitCli(cwd, ...args)).toThrow();
}

describe('repo git checks: the work tree', () => {
  /** `mine` and cmf_origin both changed a.txt since they parted. */
  async function diverged(): Promise<{ mine: string; theirs: string }> {
    const { mine, theirs } = await twoClones();
    await commit(theirs, 'a.txt', 'theirs\n');
    gitCli(theirs, 'push', '-q', 'cmf_origin', 'work');
    await commit(mine, 'a.txt', 'mine\n');
    return { mine, theirs };
  }

  it("the user's own merge in progress is refused, not taken for cmf's conflict", async () => {
    const { mine } = await diverged();
    gitCli(mine, 'fetch', '-q', 'cmf_origin');
    gitFails(mine, 'merge', '--no-edit', 'cmf_origin/work');
    for (const pull of ['required', 'if-on-remote'] as const) {
      const err = await failure(checkGitSteps({ cwd: mine }, { pull }));
      expect([err.code, err.exitCode]).toEqual(['GIT_OPERATION_IN_PROGRESS', 4]);
      expect(err.message).toBe(`a merge is in progress in ${mine} (git status shows it)`);
      expect(err.hint).toBe(
        "Finish it (resolve the conflicts and 'git commit') or undo it ('git merge --abort'), then run the command again.",
      );
    }
    // gitPull on its own: git's reason, not "merge conflicts in a.txt".
    const err = await failure(gitPull({ cwd: mine }));
    expect(err.code).toBe('GIT_FAILED');
    expect(err.message).toMatch(/MERGE_HEAD exists|not concluded your merge|unmerged/i);
    expect(existsSync(join(mine, '.git', 'MERGE_HEAD'))).toBe(true);
  });

  it('a rebase, cherry-pick or revert in progress is refused; so are unmerged paths without one', async () => {
    const { mine } = await diverged();
    gitCli(mine, 'fetch', '-q', 'cmf_origin');
    const refused = async (operation: string) => {
      const err = await failure(checkGitSteps({ cwd: mine }, { pull: 'if-on-remote' }));
      expect([err.code, err.data?.operation]).toEqual(['GIT_OPERATION_IN_PROGRESS', operation]);
      expect(err.hint).toMatch(
        new RegExp(`'git ${operation} --continue'.*'git ${operation} --abort'`),
      );
    };
    gitFails(mine, 'rebase', 'cmf_origin/work');
    await refused('rebase');
    gitCli(mine, 'rebase', '--abort');
    gitFails(mine, 'cherry-pick', 'cmf_origin/work');
    await refused('cherry-pick');
    gitCli(mine, 'cherry-pick', '--abort');
    gitCli(mine, 'revert', '--no-edit', 'HEAD');
    await commit(mine, 'a.txt', 'again\n');
    gitFails(mine, 'revert', '--no-edit', 'HEAD~1');
    await refused('revert');
    gitCli(mine, 'revert', '--abort');
    // A stash that does not apply cleanly leaves a.txt unmerged, with no operation to end.
    await writeFile(join(mine, 'a.txt'), 'stashed\n');
    gitCli(mine, 'stash', '-q');
    await commit(mine, 'a.txt', 'other\n');
    gitFails(mine, 'stash', 'pop', '-q');
    const err = await failure(checkGitSteps({ cwd: mine }, { pull: 'if-on-remote' }));
    expect([err.code, err.exitCode]).toEqual(['GIT_UNMERGED_PATHS', 4]);
    expect(err.message).toBe(`${mine} has unmerged paths: a.txt`);
  });

  it('local changes the merge would overwrite are refused before the pull; others are left alone', async () => {
    const { mine, theirs } = await twoClones();
    await commit(theirs, 'a.txt', 'theirs\n');
    await commit(theirs, 'new.txt', 'new\n');
    gitCli(theirs, 'push', '-q', 'cmf_origin', 'work');
    const check = () => checkGitSteps({ cwd: mine }, { pull: 'required' });

    await writeFile(join(mine, 'a.txt'), 'my edit\n');
    let err = await failure(check());
    expect([err.code, err.exitCode]).toEqual(['GIT_LOCAL_CHANGES', 4]);
    expect(err.message).toBe(
      'local changes to a.txt would be overwritten by the merge of cmf_origin work',
    );
    expect(err.hint).toMatch(/git stash/);
    gitCli(mine, 'checkout', '--', 'a.txt');

    // An untracked file where the merge brings one.
    await writeFile(join(mine, 'new.txt'), 'mine\n');
    err = await failure(check());
    expect(err.message).toMatch(/^local changes to new\.txt would be overwritten/);
    gitFails(mine, 'pull', '-q', '--no-rebase', 'cmf_origin', 'work'); // as git would say
    gitCli(mine, 'clean', '-qf');

    // A change to another file, staged or not, lets a fast-forward through, as git does.
    await writeFile(join(mine, 'other.txt'), 'staged\n');
    gitCli(mine, 'add', 'other.txt');
    await check();
    await gitPull({ cwd: mine });
    expect(gitCli(mine, 'status', '--porcelain')).toBe('A  other.txt');
  });

  it('anything staged stops a merge that is not a fast-forward, as git refuses it', async () => {
    const { mine, theirs } = await twoClones();
    await commit(theirs, 'theirs.txt', 'theirs\n');
    gitCli(theirs, 'push', '-q', 'cmf_origin', 'work');
    await commit(mine, 'mine.txt', 'mine\n');
    await writeFile(join(mine, 'staged.txt'), 'staged\n');
    gitCli(mine, 'add', 'staged.txt');
    const err = await failure(checkGitSteps({ cwd: mine }, { pull: 'if-on-remote' }));
    expect(err.code).toBe('GIT_LOCAL_CHANGES');
    expect(err.message).toMatch(/^staged changes to staged\.txt stop the merge of cmf_origin work/);
    gitFails(mine, 'pull', '-q', '--no-rebase', '--no-edit', 'cmf_origin', 'work');
    // Unstaged, it does not.
    gitCli(mine, 'reset', '-q');
    await checkGitSteps({ cwd: mine }, { pull: 'if-on-remote' });
    expect((await gitPull({ cwd: mine })).pulled).toBe(true);
  });
});
