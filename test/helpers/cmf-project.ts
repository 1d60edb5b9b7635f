import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tmp.js';

export interface CmfProject {
  dir: string;
  remote: string;
}

/** A git repository (with a commit identity and an origin) holding a DVC project with a local default remote. */
export async function cmfProject(opts: { gitRemote?: string } = {}): Promise<CmfProject> {
  const root = await tempDir('cmf-api-');
  const dir = join(root, 'project');
  const remote = join(root, 'remote');
  mkdirSync(join(dir, '.dvc'), { recursive: true });
  mkdirSync(remote);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Test');
  git('config', 'user.email', 'test@example.com');
  git('remote', 'add', 'origin', opts.gitRemote ?? 'https://github.com/example/project.git');
  writeFileSync(
    join(dir, '.dvc', 'config'),
    `[core]\n    remote = local-storage\n['remote "local-storage"']\n    url = ${remote}\n`,
  );
  writeFileSync(join(dir, '.dvc', '.gitignore'), '/config.local\n/tmp\n/cache\n');
  return { dir, remote };
}
