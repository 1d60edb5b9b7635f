/**
 * `cmf repo push/pull` against a real `cmf server start`, bare git repositories and a local
 * artifact remote: -e takes one execution in every step, and what a later step would refuse
 * stops the command before anything is transferred. Also the tensorboard upload of a
 * `team/project` pipeline and the default `metadata export` file name.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cmf } from '../../src/index.js';
import { listFiles } from '../helpers/artifact-project.js';
import { isolatedEnv, runCmf } from '../helpers/cli.js';
import { startCmfServer, type CmfServerProcess } from '../helpers/cmf-server.js';
import { gitCli } from '../helpers/git-cli.js';
import { smallProject } from '../helpers/server-project.js';

describe('repo push/pull checks', { timeout: 240_000 }, () => {
  let root: string;
  let dataDir: string;
  let server: CmfServerProcess;
  let env: Record<string, string>;
  let n = 0;
  const dir = (label: string) => {
    const d = join(root, `${label}-${n++}`);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const cmf = (args: string[], cwd: string) => runCmf(args, { cwd, env });
  const serverPipelines = async () =>
    (await (await fetch(`${server.url}/api/pipelines`)).json()) as string[];

  /** A project with two executions pushed to a bare repository `cmf_origin`. */
  async function project(pipeline: string) {
    const remote = dir('remote');
    const p = dir('project');
    const uuids = await smallProject(
      p,
      { pipeline, executions: 2, remote, serverUrl: server.url, tag: 't' },
      env,
    );
    const bare = dir('origin.git');
    // Its HEAD names the project's branch, so a clone checks that branch out.
    const branch = gitCli(p, 'branch', '--show-current');
    execFileSync('git', ['init', '-q', '--bare', '--initial-branch', branch, bare]);
    gitCli(p, 'remote', 'set-url', 'cmf_origin', bare);
    return { dir: p, remote, bare, uuids };
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cmf-e2e-repo-checks-'));
    dataDir = join(root, 'server-data');
    mkdirSync(join(root, 'home'));
    server = await startCmfServer(['--data-dir', dataDir]);
    env = { ...isolatedEnv(join(root, 'home')), CMF_SERVER_URL: server.url };
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('repo pull -e pulls only that execution: a missing object of another one is not its concern', async () => {
    const p = await project('PullE');
    const push = await cmf(['repo', 'push', '-p', 'PullE'], p.dir);
    expect(push.stderr).toMatch(/Executing git push/);
    expect(push.code).toBe(0);
    // The second execution's output is lost from the remote.
    const outOid = (file: string) =>
      /md5: ([0-9a-f]{32})/.exec(
        execFileSync('cat', [join(p.dir, `${file}.dvc`)], { encoding: 'utf8' }),
      )![1]!;
    const lost = outOid('out-t-1.txt');
    rmSync(join(p.remote, 'files/md5', lost.slice(0, 2), lost.slice(2)));

    const clone = join(root, `clone-${n++}`);
    execFileSync('git', ['clone', '-q', '-o', 'cmf_origin', p.bare, clone]);
    mkdirSync(join(clone, '.dvc'), { recursive: true });
    for (const f of ['.cmfconfig', '.dvc/config'])
      writeFileSync(join(clone, f), execFileSync('cat', [join(p.dir, f)]));
    // Without -e the lost object stops the pull, after the whole pipeline's metadata came in.
    const all = await cmf(['repo', 'pull', '-p', 'PullE'], clone);
    expect(all.code).toBe(1);
    expect(all.stderr).toMatch(/artifact pull failed/);
    for (const f of ['input.txt', 'out-t-0.txt']) rmSync(join(clone, f), { force: true });
    // With -e the artifact step, too, takes only the first execution (the local MLMD file
    // now holds both).
    const one = await cmf(['repo', 'pull', '-p', 'PullE', '-e', p.uuids[0]!, '--json'], clone);
    expect(one.stderr).toBe('');
    expect(one.code).toBe(0);
    expect(existsSync(join(clone, 'input.txt'))).toBe(true);
    expect(existsSync(join(clone, 'out-t-0.txt'))).toBe(true);
    expect(existsSync(join(clone, 'out-t-1.txt'))).toBe(false);
  });

  it('repo push refuses a bad -t path, a detached HEAD or no cmf_origin before pushing anything', async () => {
    const p = await project('Checks');
    const nothingPushed = async () => {
      expect(readdirSync(p.remote)).toEqual([]);
      expect(await serverPipelines()).not.toContain('Checks');
      expect(gitCli(p.bare, 'branch', '--list')).toBe('');
    };
    const badTb = await cmf(
      ['repo', 'push', '-p', 'Checks', '-t', join(root, 'nonexistent')],
      p.dir,
    );
    expect(badTb.code).toBe(2);
    expect(badTb.stderr).toMatch(/Invalid tensorboard logs path/);
    expect(badTb.stderr).toMatch(/Nothing was transferred; not run: artifact push, metadata push/);
    expect(badTb.stderr).not.toMatch(/Executing/);
    await nothingPushed();

    gitCli(p.dir, 'checkout', '-q', '--detach');
    const detached = await cmf(['repo', 'push', '-p', 'Checks', '--json'], p.dir);
    expect(detached.code).toBe(4);
    const err = JSON.parse(detached.stderr) as {
      error: { code: string; data: { failedStep: string } };
    };
    expect(err.error.code).toBe('GIT_DETACHED_HEAD');
    expect(err.error.data.failedStep).toBe('checks');
    await nothingPushed();
    gitCli(p.dir, 'checkout', '-q', '-');

    gitCli(p.dir, 'remote', 'remove', 'cmf_origin');
    const noRemote = await cmf(['repo', 'push', '-p', 'Checks'], p.dir);
    expect(noRemote.code).toBe(4);
    expect(noRemote.stderr).toMatch(/git remote cmf_origin is not configured/);
    await nothingPushed();
  });

  it('repo pull refuses a clone without cmf_origin, on a detached HEAD, or on a branch cmf_origin lacks or cannot be reached, before pulling anything', async () => {
    const p = await project('PullChecks');
    expect((await cmf(['repo', 'push', '-p', 'PullChecks'], p.dir)).code).toBe(0);
    const clone = join(root, `clone-${n++}`);
    execFileSync('git', ['clone', '-q', p.bare, clone]); // remote "origin", not cmf_origin
    mkdirSync(join(clone, '.dvc'), { recursive: true });
    for (const f of ['.cmfconfig', '.dvc/config'])
      writeFileSync(join(clone, f), execFileSync('cat', [join(p.dir, f)]));
    const r = await cmf(['repo', 'pull', '-p', 'PullChecks'], clone);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/git remote cmf_origin is not configured/);
    expect(r.stderr).toMatch(/not run: metadata pull, artifact pull, git pull/);
    expect(existsSync(join(clone, 'mlmd'))).toBe(false);
    expect(existsSync(join(clone, 'out-t-0.txt'))).toBe(false);

    gitCli(clone, 'remote', 'rename', 'origin', 'cmf_origin');
    gitCli(clone, 'checkout', '-q', '--detach');
    const detached = await cmf(['repo', 'pull', '-p', 'PullChecks'], clone);
    expect(detached.code).toBe(4);
    expect(detached.stderr).toMatch(/no current branch/);
    expect(existsSync(join(clone, 'mlmd'))).toBe(false);

    // A branch cmf_origin does not have: git pull would fail after the files were written.
    gitCli(clone, 'checkout', '-q', '-b', 'not-pushed');
    const missing = await cmf(['repo', 'pull', '-p', 'PullChecks', '--json'], clone);
    expect(missing.code).toBe(4);
    const err = JSON.parse(missing.stderr).error;
    expect(err.code).toBe('GIT_BRANCH_NOT_ON_REMOTE');
    expect(err.message).toBe(`branch not-pushed is not on cmf_origin (${p.bare})`);
    expect(err.hint).toMatch(/git ls-remote --heads cmf_origin.*Nothing was transferred/);
    expect(existsSync(join(clone, 'mlmd'))).toBe(false);
    expect(existsSync(join(clone, 'out-t-0.txt'))).toBe(false);

    // An unreachable cmf_origin is git's own error, also before anything is pulled.
    gitCli(clone, 'remote', 'set-url', 'cmf_origin', join(root, 'no-such-origin.git'));
    const gone = await cmf(['repo', 'pull', '-p', 'PullChecks'], clone);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/no-such-origin\.git/);
    expect(gone.stderr).toMatch(/not run: metadata pull, artifact pull, git pull/);
    expect(existsSync(join(clone, 'mlmd'))).toBe(false);
  });

  /** Writes `file` in `cwd` and commits it. */
  const commitFile = (cwd: string, file: string, text: string) => {
    writeFileSync(join(cwd, file), text);
    gitCli(cwd, 'add', file);
    gitCli(cwd, 'commit', '-qm', `edit ${file}`);
  };

  it("repo push refuses a merge of the user's own in progress before pushing anything", async () => {
    const p = await project('UserMerge');
    const branch = gitCli(p.dir, 'branch', '--show-current');
    commitFile(p.dir, 'notes.txt', 'base\n');
    gitCli(p.dir, 'switch', '-q', '-c', 'side');
    commitFile(p.dir, 'notes.txt', 'side\n');
    gitCli(p.dir, 'switch', '-q', branch);
    commitFile(p.dir, 'notes.txt', 'mine\n');
    expect(() => gitCli(p.dir, 'merge', '-q', 'side')).toThrow();
    const r = await cmf(['repo', 'push', '-p', 'UserMerge'], p.dir);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^Error: a merge is in progress in /m);
    expect(r.stderr).toMatch(/or undo it \('git merge --abort'\)/);
    expect(r.stderr).toMatch(/Nothing was transferred; not run: artifact push, metadata push/);
    expect(r.stderr).not.toMatch(/Executing|merge conflicts in/);
    expect(readdirSync(p.remote)).toEqual([]);
    expect(await serverPipelines()).not.toContain('UserMerge');
    expect(existsSync(join(p.dir, '.git', 'MERGE_HEAD'))).toBe(true);
  });

  it('repo pull refuses local changes the merge would overwrite before writing anything', async () => {
    const p = await project('PullDirty');
    const branch = gitCli(p.dir, 'branch', '--show-current');
    commitFile(p.dir, 'notes.txt', 'one\n');
    expect((await cmf(['repo', 'push', '-p', 'PullDirty'], p.dir)).code).toBe(0);
    const clone = join(root, `clone-${n++}`);
    execFileSync('git', ['clone', '-q', '-o', 'cmf_origin', p.bare, clone]);
    mkdirSync(join(clone, '.dvc'), { recursive: true });
    for (const f of ['.cmfconfig', '.dvc/config'])
      writeFileSync(join(clone, f), execFileSync('cat', [join(p.dir, f)]));
    commitFile(p.dir, 'notes.txt', 'two\n');
    gitCli(p.dir, 'push', '-q', 'cmf_origin', branch);
    writeFileSync(join(clone, 'notes.txt'), 'my local edit\n');

    const r = await cmf(['repo', 'pull', '-p', 'PullDirty'], clone);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /^Error: local changes to notes\.txt would be overwritten by the merge of cmf_origin /m,
    );
    expect(r.stderr).toMatch(/git stash.*Nothing was transferred/);
    expect(existsSync(join(clone, 'mlmd'))).toBe(false);
    expect(existsSync(join(clone, 'out-t-0.txt'))).toBe(false);

    // Put aside, the same pull goes through: data, .dvc files and the commit.
    gitCli(clone, 'stash', '-q');
    const ok = await cmf(['repo', 'pull', '-p', 'PullDirty'], clone);
    expect(ok.stderr).not.toMatch(/Error/);
    expect(ok.code).toBe(0);
    expect(existsSync(join(clone, 'out-t-0.txt'))).toBe(true);
    expect(gitCli(clone, 'show', 'HEAD:notes.txt')).toBe('two');
  });

  it('a step that fails after others says, in text, which steps completed', async () => {
    const p = await project('LateFail');
    writeFileSync(join(p.bare, 'hooks', 'pre-receive'), '#!/bin/sh\necho no pushes >&2\nexit 1\n', {
      mode: 0o755,
    });
    const r = await cmf(['repo', 'push', '-p', 'LateFail'], p.dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: git push exited with 1: remote: no pushes/m);
    expect(r.stderr).toMatch(/Completed: artifact push, metadata push, git pull\./);
  });

  it("the artifact step's notes reach the text output as artifact push prints them", async () => {
    const p = await project('Notes');
    // A url holding a Windows path (as cmf init once wrote): the artifact step warns.
    const config = join(p.dir, '.dvc', 'config');
    const odd = join(root, 'C:\\rem');
    writeFileSync(
      config,
      readFileSync(config, 'utf8').replace(/^(\s*url = ).*$/m, (_m, key: string) => key + odd),
    );
    const r = await cmf(['repo', 'push', '-p', 'Notes'], p.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^artifact push: \d+ uploaded \([\d.]+ [KMGT]?B\), \d+ already on /m);
    expect(r.stderr).toMatch(
      /^Warning: remote '.*' is the directory .*its url holds the Windows path C:\\rem/m,
    );
  });

  it('tensorboard logs of a team/project pipeline nest on the server; a name it refuses is refused first', async () => {
    const p = await project('team/project');
    mkdirSync(join(p.dir, 'tb/run1'), { recursive: true });
    writeFileSync(join(p.dir, 'tb/e0'), 'e0');
    writeFileSync(join(p.dir, 'tb/run1/e1'), 'e1');
    const r = await cmf(['metadata', 'push', '-p', 'team/project', '-t', 'tb'], p.dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(listFiles(join(dataDir, 'tensorboard-logs/team/project'))).toEqual(['e0', 'run1/e1']);

    const bad = await cmf(['metadata', 'push', '-p', 'team/../x', '-t', 'tb'], p.dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/cannot name a tensorboard log directory/);
    const repo = await cmf(['repo', 'push', '-p', 'team/../x', '-t', 'tb'], p.dir);
    expect(repo.code).toBe(2);
    expect(repo.stderr).toMatch(/cannot name a tensorboard log directory/);
    expect(readdirSync(p.remote)).toEqual([]);
  });

  it('metadata export without -j writes one safely named file in the current directory', async () => {
    const work = dir('export');
    const nested = join(work, 'a', 'b');
    mkdirSync(nested, { recursive: true });
    const init = await cmf(
      ['init', 'local', '--path', dir('remote'), '--git-remote-url', 'https://example.org/p.git'],
      nested,
    );
    expect(init.code).toBe(0);
    gitCli(nested, 'config', 'user.name', 'Test');
    gitCli(nested, 'config', 'user.email', 'test@example.com');
    for (const name of ['../../escape', 'x/y']) {
      const c = await Cmf.open({ cwd: nested, pipelineName: name });
      await c.createContext('S');
      await c.createExecution('S');
      await c.close();
    }
    const up = await cmf(['metadata', 'export', '-p', '../../escape'], nested);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(existsSync(join(nested, '___.._escape.json'))).toBe(true);
    expect(existsSync(join(work, 'escape.json'))).toBe(false);
    const slash = await cmf(['metadata', 'export', '-p', 'x/y'], nested);
    expect(slash.code).toBe(0);
    expect(existsSync(join(nested, 'x_y.json'))).toBe(true);
  });
});
