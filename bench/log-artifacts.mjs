// Logs 10,000 small datasets across 100 executions through the public Cmf API (dist/), as a
// pipeline would: per execution createContext, createExecution, 100 × logDataset, finalize
// (git commit of the staged .dvc files). Each run starts from a fresh project (git repo,
// DVC config with a local default remote) under a temp directory.
// Prints artifacts/s and the MLMD file size; `--json` prints one JSON line instead.
//   node bench/log-artifacts.mjs [--files 10000] [--executions 100] [--per-call] [--json]
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cmf } from '../dist/index.js';
import { moveToTrash, waitForQuietFs } from './quiet-fs.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const files = opt('files', 10_000);
const executions = opt('executions', 100);
const perExecution = Math.ceil(files / executions);
// Default: one logDatasets call per execution (one MLMD transaction each). --per-call: one
// logDataset call (and transaction, and fsync) per file.
const perCall = args.includes('--per-call');

// The project goes under bench/.work, where the other cases keep their files, not in the
// system temp directory: on this machine /tmp is an ext4 without a journal that every test
// run fills and empties, and such a filesystem skips inodes freed in the last 30 s one by
// one when it allocates a new one (ext4 `recently_deleted`), which made each file created
// there cost 100+ µs of kernel time — a measure of other people's test runs, not of cmf.
const work = fileURLToPath(new URL('.work/', import.meta.url));
mkdirSync(work, { recursive: true });
const root = mkdtempSync(join(work, 'log-'));
const dir = join(root, 'project');
try {
  mkdirSync(join(dir, '.dvc'), { recursive: true });
  mkdirSync(join(root, 'remote'));
  const git = (...a) => execFileSync('git', a, { cwd: dir, stdio: 'pipe' });
  git('init', '-q');
  git('config', 'user.name', 'bench');
  git('config', 'user.email', 'bench@example.com');
  writeFileSync(
    join(dir, '.dvc', 'config'),
    `[core]\n    remote = local-storage\n['remote "local-storage"']\n    url = ${join(root, 'remote')}\n`,
  );
  writeFileSync(join(dir, '.dvc', '.gitignore'), '/config.local\n/tmp\n/cache\n');
  // Small distinct files, 100 per directory (one directory per execution).
  const paths = [];
  for (let e = 0; e < executions; e++) {
    const sub = join(dir, 'data', `e${String(e).padStart(3, '0')}`);
    mkdirSync(sub, { recursive: true });
    for (let i = 0; i < perExecution && paths.length < files; i++) {
      const rel = `data/e${String(e).padStart(3, '0')}/f${String(i).padStart(3, '0')}.csv`;
      writeFileSync(join(dir, rel), `id,value\n${e},${i}\n${randomBytes(64).toString('hex')}\n`);
      paths.push(rel);
    }
  }

  // Mass deletions shortly before (tests, an earlier run) make every file creation slow on
  // this machine's filesystem, for reasons that have nothing to do with cmf (quiet-fs.mjs).
  const fsState = waitForQuietFs();
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const cmf = await Cmf.open({ cwd: dir, pipelineName: 'bench' });
  let logged = 0;
  for (let e = 0; e < executions; e++) {
    await cmf.createContext(`stage-${e % 10}`);
    await cmf.createExecution('log', { e });
    const mine = paths.slice(e * perExecution, (e + 1) * perExecution);
    if (perCall) {
      for (const rel of mine) await cmf.logDataset(rel, 'output', { i: logged++ });
    } else {
      await cmf.logDatasets(
        mine.map((path) => ({ path, customProperties: { i: logged++ } })),
        'output',
      );
    }
    await cmf.finalize();
  }
  await cmf.close();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  // CPU time of this process (main thread, hash workers, thread pool): less sensitive than
  // wall time to other load on the machine.
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const bytes = statSync(join(dir, 'mlmd')).size;
  const rate = logged / seconds;
  if (args.includes('--json')) {
    process.stdout.write(
      `${JSON.stringify({ mode: perCall ? 'per-call' : 'batch', artifacts: logged, executions, seconds, artifactsPerSecond: rate, cpuSeconds, mlmdBytes: bytes, fs: fsState })}\n`,
    );
  } else {
    process.stdout.write(
      `logged ${logged} datasets in ${executions} executions (${perCall ? 'logDataset per file' : 'logDatasets per execution'}): ${seconds.toFixed(2)} s, ` +
        `${rate.toFixed(0)} artifacts/s (CPU ${cpuSeconds.toFixed(2)} s), mlmd ${(bytes / 2 ** 20).toFixed(1)} MiB; ${fsState}\n`,
    );
  }
} finally {
  moveToTrash(root); // deleted by `npm run bench` when it is done (quiet-fs.mjs)
}
