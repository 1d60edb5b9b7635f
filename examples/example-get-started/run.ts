/**
 * Runs the example against the built package:
 *   npm run build            (once, from the repository root)
 *   node examples/example-get-started/run.ts <project dir>
 * <project dir> must be a git repository with a DVC default remote, e.g. after
 *   git init && cmf init local --path /tmp/remote --git-remote-url <url>
 * (or: dvc init && dvc remote add -d local-storage /tmp/remote).
 */
import { resolve } from 'node:path';
import { Cmf, doubleValue } from '../../dist/index.js';
import { runGetStarted } from './pipeline.ts';

const dir = resolve(process.argv[2] ?? '.');
try {
  await runGetStarted({ Cmf, doubleValue }, { dir });
  process.stdout.write(`logged example-get-started into ${resolve(dir, 'mlmd')}\n`);
} catch (err) {
  // cmf's errors carry a hint and an exit code: show them as the CLI does, not a stack.
  const e = err as { message?: string; hint?: string; exitCode?: number };
  process.stderr.write(`Error: ${e.message ?? String(err)}\n${e.hint ? `Hint: ${e.hint}\n` : ''}`);
  process.exitCode = e.exitCode ?? 1;
}
