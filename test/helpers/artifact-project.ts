import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Cmf, doubleValue } from '../../src/index.js';
import { runGetStarted } from '../../examples/example-get-started/pipeline.js';
import { runCmf } from './cli.js';

export const GIT_URL = 'https://github.com/example/project.git';

/**
 * A project made as a user makes one: `cmf init <initArgs>` (the binary), then the
 * example-get-started pipeline and one more stage that logs a directory with nested and
 * non-ASCII names, through the Cmf library.
 */
export async function loggedProject(dir: string, initArgs: string[], env: Record<string, string>) {
  mkdirSync(dir, { recursive: true });
  const init = await runCmf(['init', ...initArgs, '--git-remote-url', GIT_URL], { cwd: dir, env });
  if (init.code !== 0) throw new Error(`cmf init failed: ${init.stderr}${init.stdout}`);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('config', 'user.name', 'Test');
  git('config', 'user.email', 'test@example.com');
  await runGetStarted({ Cmf, doubleValue }, { dir });
  mkdirSync(join(dir, 'artifacts/images/sub/ünïcødé'), { recursive: true });
  writeFileSync(join(dir, 'artifacts/images/a.txt'), 'image a\n');
  writeFileSync(join(dir, 'artifacts/images/sub/b.bin'), Buffer.from([0, 1, 2, 255]));
  writeFileSync(join(dir, 'artifacts/images/sub/ünïcødé/c d é.txt'), 'image c\n');
  const cmf = await Cmf.open({ cwd: dir, pipelineName: 'Test-env' });
  await cmf.createContext('Collect');
  await cmf.createExecution('Collect');
  await cmf.logDataset('artifacts/images', 'output');
  await cmf.finalize();
  await cmf.close();
}

/**
 * A project with one big random file and one small file (`data/big.bin`, `data/small.txt`),
 * logged as outputs of pipeline `P` after `cmf init <initArgs>`: a transfer of it stays busy
 * with one object long enough to be interrupted half-way.
 */
export async function bigFileProject(
  dir: string,
  initArgs: string[],
  env: Record<string, string>,
  size: number,
): Promise<void> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const init = await runCmf(['init', ...initArgs, '--git-remote-url', GIT_URL], { cwd: dir, env });
  if (init.code !== 0) throw new Error(`cmf init failed: ${init.stderr}${init.stdout}`);
  writeFileSync(join(dir, 'data', 'big.bin'), randomBytes(size));
  writeFileSync(join(dir, 'data', 'small.txt'), 'small\n');
  execFileSync('git', ['config', 'user.name', 'T'], { cwd: dir });
  execFileSync('git', ['config', 'user.email', 't@e.com'], { cwd: dir });
  const cmf = await Cmf.open({ cwd: dir, pipelineName: 'P' });
  await cmf.createContext('s');
  await cmf.createExecution('e');
  await cmf.logDataset('data/big.bin', 'output');
  await cmf.logDataset('data/small.txt', 'output');
  await cmf.finalize();
  await cmf.close();
}

/**
 * What another user has after `git clone`: the committed files (.dvc files included), plus
 * the project's config and MLMD file (which travel by other means), and no cache.
 */
export function cloneProject(src: string, dst: string): void {
  execFileSync('git', ['clone', '-q', src, dst], { stdio: 'pipe' });
  mkdirSync(join(dst, '.dvc'), { recursive: true });
  for (const f of ['.cmfconfig', 'mlmd', '.dvc/config', '.dvc/config.local']) {
    try {
      cpSync(join(src, f), join(dst, f));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

/** Every file below `root` (relative POSIX paths), sorted; directories named in `skip` are not entered. */
export function listFiles(root: string, skip: string[] = []): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, d.name);
      if (d.isDirectory()) {
        if (!skip.includes(d.name)) walk(p);
      } else out.push(relative(root, p).split('\\').join('/'));
    }
  };
  walk(root);
  return out.sort();
}

/** The workspace paths of the DVC-tracked files: every `<path>.dvc` (a directory: its files). */
export function trackedFiles(dir: string): string[] {
  const dvcFiles = listFiles(dir, ['.git', '.dvc']).filter((f) => f.endsWith('.dvc'));
  return dvcFiles.flatMap((f) => {
    const target = f.slice(0, -4);
    try {
      return listFiles(join(dir, target)).map((r) => `${target}/${r}`);
    } catch {
      return [target];
    }
  });
}

/**
 * A project with one directory of `count` files (`data/many/fNNNNN.txt`), logged as the
 * output of pipeline `P` after `cmf init <initArgs>`: a transfer of many objects. The files
 * hold a short line each, or `size` random bytes (big enough to keep -j requests busy).
 */
export async function manyFilesProject(
  dir: string,
  initArgs: string[],
  env: Record<string, string>,
  count: number,
  size?: number,
): Promise<void> {
  mkdirSync(join(dir, 'data', 'many'), { recursive: true });
  const init = await runCmf(['init', ...initArgs, '--git-remote-url', GIT_URL], { cwd: dir, env });
  if (init.code !== 0) throw new Error(`cmf init failed: ${init.stderr}${init.stdout}`);
  for (let i = 0; i < count; i++) {
    const file = join(dir, 'data', 'many', `f${String(i).padStart(5, '0')}.txt`);
    writeFileSync(file, size === undefined ? `file ${i}\n` : randomBytes(size));
  }
  execFileSync('git', ['config', 'user.name', 'T'], { cwd: dir });
  execFileSync('git', ['config', 'user.email', 't@e.com'], { cwd: dir });
  const cmf = await Cmf.open({ cwd: dir, pipelineName: 'P' });
  await cmf.createContext('s');
  await cmf.createExecution('e');
  await cmf.logDataset('data/many', 'output');
  await cmf.finalize();
  await cmf.close();
}
