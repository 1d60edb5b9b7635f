/**
 * Text from files a cloned repository brings (the remote's url in .dvc/config, names in the
 * MLMD file) reaches cmf's output lines. Its control characters are shown escaped on both
 * the fast path and oclif's, so that a repository cannot set the terminal's title, colours or
 * anything else; --json keeps the exact value.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cmf } from '../../src/index.js';
import { isolatedEnv, runCmf } from '../helpers/cli.js';
import { cmfProject } from '../helpers/cmf-project.js';

// eslint-disable-next-line no-control-regex -- the point: no control byte gets out
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;

describe('control characters in a remote url and a pipeline name', () => {
  it('are escaped in the lines push and pull print, on both paths', async () => {
    const p = await cmfProject();
    const remote = join(p.dir, '..', 'r\x1b]0;PWN\x07-\x1b[31mred');
    mkdirSync(remote);
    writeFileSync(
      join(p.dir, '.dvc', 'config'),
      `[core]\n    remote = r\n['remote "r"']\n    url = ${remote}\n`,
    );
    writeFileSync(join(p.dir, '.cmfconfig'), '[cmf]\nserver-url = http://127.0.0.1:8080\n\n');
    writeFileSync(join(p.dir, 'data.txt'), 'x\n');
    const pipeline = 'P\x1b[2J';
    const cmf = await Cmf.open({ cwd: p.dir, pipelineName: pipeline });
    await cmf.createExecution('e');
    await cmf.logDataset('data.txt', 'output');
    await cmf.finalize();
    await cmf.close();

    const env = isolatedEnv(join(p.dir, '..', 'home'));
    for (const args of [
      ['artifact', 'push', '-p', pipeline], // the fast path
      ['artifact', 'push', '--pipeline_n', pipeline], // an abbreviation: oclif's path
      ['artifact', 'pull', '-p', pipeline],
    ]) {
      const r = await runCmf(args, { cwd: p.dir, env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout + r.stderr, args.join(' ')).not.toMatch(CONTROL);
    }
    const push = await runCmf(['artifact', 'push', '-p', pipeline], { cwd: p.dir, env });
    expect(push.stdout).toContain('of P\\x1b[2J to ');
    expect(push.stdout).toContain('r\\x1b]0;PWN\\x07-\\x1b[31mred');
    const json = await runCmf(['artifact', 'push', '-p', pipeline, '--json'], {
      cwd: p.dir,
      env,
    });
    expect(JSON.parse(json.stdout)).toMatchObject({ pipeline, remote });
  });
});
