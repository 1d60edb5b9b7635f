import { execFileSync } from 'node:child_process';
import { tempDir } from './tmp.js';

/** Runs the real git CLI in `cwd`; returns its trimmed stdout. */
export const gitCli = (cwd: string, ...args: string[]): string =>
  execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

/** A fresh repository (branch `work`) with a committer identity, made by the git CLI. */
export async function newRepo(): Promise<string> {
  const dir = await tempDir();
  gitCli(dir, 'init', '-q', '-b', 'work');
  gitCli(dir, 'config', 'user.name', 'Test User');
  gitCli(dir, 'config', 'user.email', 'test@example.com');
  return dir;
}
