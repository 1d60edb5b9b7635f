import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cmf } from '../../src/index.js';
import { runCmf } from './cli.js';

/**
 * A cmf project (`cmf init local`, so .cmfconfig names `serverUrl`) whose pipeline has one
 * stage with `executions` executions, each reading a shared input and writing its own
 * output, logged through the Cmf library. Returns the executions' uuids.
 */
export async function smallProject(
  dir: string,
  opts: { pipeline: string; executions: number; remote: string; serverUrl: string; tag: string },
  env: Record<string, string>,
): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const init = await runCmf(
    [
      'init',
      'local',
      '--path',
      opts.remote,
      '--git-remote-url',
      'https://example.org/p.git',
      '--cmf-server-url',
      opts.serverUrl,
    ],
    { cwd: dir, env },
  );
  if (init.code !== 0) throw new Error(`cmf init failed: ${init.stderr}`);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('config', 'user.name', 'Test');
  git('config', 'user.email', 'test@example.com');
  writeFileSync(join(dir, 'input.txt'), 'shared input\n');
  const cmf = await Cmf.open({ cwd: dir, pipelineName: opts.pipeline });
  await cmf.createContext('Work');
  const uuids: string[] = [];
  for (let i = 0; i < opts.executions; i++) {
    const e = await cmf.createExecution('Work', { run: i, tag: opts.tag, score: 0.5 + i });
    uuids.push(String(e.properties.Execution_uuid!.value));
    await cmf.logDataset('input.txt', 'input');
    writeFileSync(join(dir, `out-${opts.tag}-${i}.txt`), `output ${opts.tag} ${i}\n`);
    await cmf.logDataset(`out-${opts.tag}-${i}.txt`, 'output');
  }
  await cmf.finalize();
  await cmf.close();
  return uuids;
}
