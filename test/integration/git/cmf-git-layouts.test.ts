/**
 * The Cmf API in a linked worktree and in a repository whose index cmf can only change
 * through the git CLI: what finalize() commits is what git sees, and the Git_* properties
 * are recorded as in an ordinary repository.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cmf } from '../../../src/index.js';
import { cmfProject } from '../../helpers/cmf-project.js';
import { gitCli } from '../../helpers/git-cli.js';
import { tempDir } from '../../helpers/tmp.js';

describe('Cmf in a linked worktree', () => {
  it('records HEAD and the remote, and finalize() commits into the shared repository', async () => {
    const p = await cmfProject();
    gitCli(p.dir, 'add', '.dvc');
    gitCli(p.dir, 'commit', '-q', '-m', 'dvc init');
    const base = gitCli(p.dir, 'rev-parse', 'HEAD');
    const wt = join(await tempDir(), 'wt');
    gitCli(p.dir, 'worktree', 'add', '-q', wt, '-b', 'wt');
    writeFileSync(join(wt, 'data.csv'), 'a,b\n1,2\n');

    const cmf = await Cmf.open({ cwd: wt, pipelineName: 'P' });
    try {
      await cmf.createContext('Prepare');
      await cmf.createExecution('Prepare');
      expect(cmf.execution?.properties.Git_Start_Commit).toEqual({ type: 'string', value: base });
      expect(cmf.execution?.properties.Git_Repo).toEqual({
        type: 'string',
        value: 'https://github.com/example/project.git',
      });
      await cmf.logDataset('data.csv', 'input');
      const { commit, endCommit } = await cmf.finalize();
      expect(commit).toBeDefined();
      expect(endCommit).toBe(commit);
      expect(gitCli(p.dir, 'cat-file', '-t', commit!)).toBe('commit');
      expect(gitCli(p.dir, 'rev-parse', 'wt')).toBe(commit);
      expect(gitCli(wt, 'ls-tree', '-r', '--name-only', 'HEAD')).toMatch(/^data\.csv\.dvc$/m);
      gitCli(p.dir, 'fsck', '--strict');
    } finally {
      await cmf.close();
    }
    // The user's own commit in the worktree still works.
    writeFileSync(join(wt, 'more.txt'), 'x\n');
    gitCli(wt, 'add', 'more.txt');
    gitCli(wt, 'commit', '-q', '-m', 'more');

    // dvc add's refusals read the worktree's own index, and the shared info/exclude.
    writeFileSync(join(p.dir, '.git', 'info', 'exclude'), 'excluded/\n');
    mkdirSync(join(wt, 'excluded'));
    writeFileSync(join(wt, 'excluded', 'x.csv'), 'x\n');
    const again = await Cmf.open({ cwd: wt, pipelineName: 'P' });
    try {
      await expect(again.logDataset('more.txt', 'input')).rejects.toMatchObject({
        code: 'CMF_PATH_TRACKED_BY_GIT',
      });
      await expect(again.logDataset('excluded/x.csv', 'input')).rejects.toMatchObject({
        code: 'CMF_DVC_FILE_IGNORED',
      });
    } finally {
      await again.close();
    }
  });
});

describe('Cmf with an index version 4 and no git binary', () => {
  it('refuses at open, before anything is written', async () => {
    const p = await cmfProject();
    writeFileSync(join(p.dir, 'data.csv'), 'a\n');
    gitCli(p.dir, 'add', '.dvc');
    gitCli(p.dir, 'commit', '-q', '-m', 'dvc init');
    gitCli(p.dir, 'update-index', '--index-version', '4');
    const saved = process.env.PATH;
    process.env.PATH = await tempDir();
    try {
      await expect(Cmf.open({ cwd: p.dir, pipelineName: 'P' })).rejects.toMatchObject({
        code: 'GIT_NOT_INSTALLED',
        hint: expect.stringMatching(/Install git/),
      });
    } finally {
      process.env.PATH = saved;
    }
    expect(existsSync(join(p.dir, 'mlmd'))).toBe(false);
  });

  it('with git: the .dvc file is committed and the user’s files stay tracked', async () => {
    const p = await cmfProject();
    writeFileSync(join(p.dir, 'data.csv'), 'a\n');
    writeFileSync(join(p.dir, 'train.py'), 'pass\n');
    gitCli(p.dir, 'add', '.dvc', 'train.py');
    gitCli(p.dir, 'commit', '-q', '-m', 'dvc init');
    gitCli(p.dir, 'update-index', '--index-version', '4');
    gitCli(p.dir, 'update-index', '--split-index');
    const cmf = await Cmf.open({ cwd: p.dir, pipelineName: 'P' });
    try {
      await cmf.logDataset('data.csv', 'input');
      const { commit } = await cmf.finalize();
      expect(gitCli(p.dir, 'ls-tree', '-r', '--name-only', commit!).split('\n')).toEqual(
        expect.arrayContaining(['.dvc/config', 'train.py', 'data.csv.dvc']),
      );
      gitCli(p.dir, 'fsck', '--strict');
    } finally {
      await cmf.close();
    }
  });
});
