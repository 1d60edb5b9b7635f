/**
 * Runs the built cmf with probes loaded into the process that record, at exit, whether oclif
 * was loaded and which modules were: the fast-path tests tell by them which path ran a
 * command line (src/cli/fast-path.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCmf, type CmfRun } from './cli.js';

export type ProbedRun = CmfRun & {
  /** oclif was loaded: the command did not run on the fast path. */
  oclif: boolean;
  /** File URLs of every module loaded. */
  modules: string[];
};

/** Runs cmf with probes whose files live in `dir` (written on first use). */
export class PathProbe {
  private readonly dir: string;
  private readonly env: Record<string, string>;
  private runs = 0;
  private written = false;

  constructor(dir: string, env: Record<string, string>) {
    this.dir = dir;
    this.env = env;
  }

  async run(args: string[], cwd: string): Promise<ProbedRun> {
    this.writeProbes();
    const out = join(this.dir, `probe-${this.runs++}`);
    const r = await runCmf(args, {
      cwd,
      env: {
        ...this.env,
        NODE_OPTIONS: `--require ${join(this.dir, 'probe.cjs')} --import ${join(this.dir, 'probe.mjs')}`,
        CMF_TEST_PROBE_OUT: out,
      },
    });
    return {
      ...r,
      oclif: readFileSync(out, 'utf8') === 'true',
      modules: readFileSync(`${out}.modules`, 'utf8').split('\n'),
    };
  }

  private writeProbes(): void {
    if (this.written) return;
    this.written = true;
    writeFileSync(
      join(this.dir, 'probe.cjs'),
      "process.on('exit', () => require('node:fs').writeFileSync(process.env.CMF_TEST_PROBE_OUT, " +
        "String(Object.keys(require.cache).some((m) => m.includes('/@oclif/core/')))));\n",
    );
    writeFileSync(
      join(this.dir, 'probe.mjs'),
      "import module from 'node:module';\n" +
        "import { writeFileSync } from 'node:fs';\n" +
        'const urls = [];\n' +
        'module.registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });\n' +
        "process.on('exit', () => writeFileSync(process.env.CMF_TEST_PROBE_OUT + '.modules', urls.join('\\n')));\n",
    );
  }
}
