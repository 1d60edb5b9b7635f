import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPipelineDirs } from '../../../src/ingest/index.js';
import { tempDir } from '../../helpers/tmp.js';

function files(root: string, paths: string[]): void {
  for (const p of paths) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), '');
  }
}

describe('findPipelineDirs', () => {
  it('finds every dvc.yaml and dvc.lock as DVC collects them: not in .git/.dvc, sub-projects, ignored or symlinked folders', async () => {
    const root = await tempDir();
    files(root, [
      'dvc.yaml',
      'dvc.lock',
      '.dvc/config',
      'a/dvc.lock',
      'b/c/dvc.yaml',
      'b/.dvcignore',
      'b/skip/dvc.yaml',
      '.git/dvc.yaml',
      '.dvc/tmp/dvc.yaml',
      'sub-project/.dvc/config',
      'sub-project/dvc.yaml',
      '.dvcignore',
      'ignored/dvc.yaml',
      'lockless/dvc.lock',
    ]);
    writeFileSync(join(root, '.dvcignore'), '# comment\n/ignored\nlockless/dvc.lock\n');
    writeFileSync(join(root, 'b/.dvcignore'), 'skip/\n');
    symlinkSync(join(root, 'b'), join(root, 'link'));
    expect(findPipelineDirs(root, 'dvc.yaml', 'dvc.lock')).toEqual([
      { dir: '', hasYaml: true, hasLock: true },
      { dir: 'a', hasYaml: false, hasLock: true },
      { dir: 'b/c', hasYaml: true, hasLock: false },
    ]);
  });
});
