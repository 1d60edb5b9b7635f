import fs from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { describe, expect, it } from 'vitest';
import { ignoredPaths } from '../../../src/git/ignored.js';
import { tempDir } from '../../helpers/tmp.js';

describe('ignoredPaths', () => {
  it('agrees with isomorphic-git isIgnored path by path', async () => {
    const dir = await tempDir();
    await git.init({ fs, dir });
    await mkdir(join(dir, '.git', 'info'), { recursive: true });
    await writeFile(join(dir, '.git', 'info', 'exclude'), '*.secret\n');
    await writeFile(join(dir, '.gitignore'), '*.log\n/build\ndata/raw/\n!keep.log\n');
    await mkdir(join(dir, 'data', 'raw'), { recursive: true });
    await mkdir(join(dir, 'data', 'e1'), { recursive: true });
    await writeFile(join(dir, 'data', '.gitignore'), '/a.csv\n*.tmp\n!b.tmp\n');
    await writeFile(join(dir, 'data', 'e1', '.gitignore'), '/f1.csv\n!x.log\n');
    const paths = [
      'a.txt.dvc',
      'x.log',
      'keep.log',
      'a.secret',
      'data/a.secret',
      'build/x.dvc',
      'build',
      'data/a.csv',
      'data/a.csv.dvc',
      'data/c.tmp',
      'data/b.tmp',
      'data/raw/z.dvc',
      'data/e1/f1.csv',
      'data/e1/f1.csv.dvc',
      'data/e1/x.log',
      'data/e1/y.log',
      'x/.git',
    ];
    const ours = ignoredPaths(dir, join(dir, '.git'), paths)!;
    expect(ours).toBeDefined();
    for (const filepath of paths) {
      const theirs = await git.isIgnored({ fs, dir, filepath });
      expect([filepath, ours.has(filepath)]).toEqual([filepath, theirs]);
    }
    expect(ours.size).toBeGreaterThan(5);
  });
});
