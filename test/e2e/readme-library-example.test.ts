import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isolatedEnv, repoRoot, runCmf } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const fromCode = readme.slice(readme.indexOf('## Use it from code'));
/** README's library example as written, importing this checkout's built library. */
const example = /```ts\n([\s\S]*?)```/
  .exec(fromCode)![1]!
  .replace("from 'cmf'", `from '${pathToFileURL(join(repoRoot, 'dist', 'index.js')).href}'`);
/** README's "What to commit" point after the example (up to the next top-level point). */
const start = fromCode.indexOf('- What to commit:');
const whatToCommit = fromCode.slice(start, fromCode.indexOf('\n- ', start + 1));

describe("README's library example", () => {
  it('leaves untracked only what its "What to commit" point names, and following it leaves git clean', async () => {
    const root = await tempDir();
    const dir = join(root, 'project');
    mkdirSync(dir);
    mkdirSync(join(root, 'remote'));
    const env = isolatedEnv(root);
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } });
    const init = await runCmf(
      ['init', 'local', '--path', join(root, 'remote'), '--git-remote-url', 'https://x.org/p.git'],
      { cwd: dir, env },
    );
    expect(init.code).toBe(0);
    git('config', 'user.name', 'Test');
    git('config', 'user.email', 'test@example.com');
    // "The files the example logs must exist."
    for (const file of [
      'artifacts/data.xml.gz',
      'artifacts/labels.csv',
      'artifacts/parsed/train.tsv',
      'artifacts/parsed/test.tsv',
      'artifacts/model.pkl',
    ]) {
      mkdirSync(join(dir, dirname(file)), { recursive: true });
      writeFileSync(join(dir, file), `${file}\n`);
    }
    // The script lives outside the project: it is not one of the project's files.
    writeFileSync(join(root, 'example.mjs'), example);
    execFileSync(process.execPath, [join(root, 'example.mjs')], {
      cwd: dir,
      env: { ...process.env, ...env },
      stdio: 'pipe',
    });

    const status = git('status', '--porcelain', '-uall').split('\n').filter(Boolean);
    // finalize() committed what it staged: nothing is staged or modified, only untracked.
    expect(status.filter((l) => !l.startsWith('?? '))).toEqual([]);
    const untracked = status.map((l) => l.slice(3));
    const named = untracked.map((p) =>
      p.replace(/^cmf_artifacts\/[0-9a-f-]{36}\//, 'cmf_artifacts/<execution uuid>/'),
    );
    expect(named).toContain('mlmd');
    expect(named).toContain('artifacts/labels.csv');
    for (const path of named) expect(whatToCommit, path).toContain(`\`${path}\``);

    // Done as the point says: everything committed but mlmd, which a /mlmd line ignores.
    appendFileSync(join(dir, '.gitignore'), '/mlmd\n');
    git('add', '.gitignore', ...untracked.filter((p) => p !== 'mlmd'));
    git('commit', '-q', '-m', 'configuration, .gitignore files and labels');
    expect(git('status', '--porcelain', '-uall')).toBe('');
  });
});
