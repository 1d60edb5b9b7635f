// Artifact transfer benchmark: `cmf artifact push` / `pull` against rclone (Debian package)
// moving the same objects to and from the same local remote directory, with the same number
// of parallel transfers. Data sets (issue 5): 100 files of 100 KB plus 5 of 20 MB, and
// 5,000 files of 4 KB, each logged as one directory artifact through the Cmf API (dist/).
// Prints a table of median wall-clock times. Not a test: nothing asserts.
//   node bench/transfer.mjs [--jobs 8] [--runs 3] [mixed|small]
// rclone copies `.dvc/cache/files` to `<remote>/files` (push) and back into an empty cache
// (pull); cmf pull also verifies every object's MD5 and checks the files out.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'run.js');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const jobs = opt('jobs', 8);
const runs = opt('runs', Number(process.env.BENCH_RUNS ?? 3));
const only = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
const env = { ...process.env, PATH: `${join(process.execPath, '..')}:${process.env.PATH}` };
delete env.AWS_CA_BUNDLE; // rclone refuses to start with a CA bundle it cannot read
const { Cmf } = await import(join(root, 'dist', 'index.js'));

function time(cmd, argv, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'], env, ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed: ${r.stderr}`);
  return ms;
}

function median(before, cmd, argv, opts) {
  const xs = [];
  for (let i = 0; i <= runs; i++) {
    before?.();
    const ms = time(cmd, argv, opts);
    if (i > 0) xs.push(ms); // the first run warms the page cache
  }
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
}

function writeData(dir, sets) {
  for (const [count, size] of sets) {
    for (let i = 0; i < count; i++) {
      const sub = join(dir, `s${size}`, `d${Math.floor(i / 100)}`);
      mkdirSync(sub, { recursive: true });
      writeFileSync(join(sub, `f${i}.bin`), randomBytes(size));
    }
  }
}

/** A cmf project (cmf init local) whose pipeline P logged `data/` as one directory artifact. */
async function project(work, sets) {
  const dir = join(work, 'project');
  const remote = join(work, 'remote');
  mkdirSync(dir, { recursive: true });
  time(bin, ['init', 'local', '--path', remote, '--git-remote-url', 'https://example.com/b.git'], {
    cwd: dir,
  });
  const git = (...a) => execFileSync('git', a, { cwd: dir, stdio: 'pipe' });
  git('config', 'user.name', 'bench');
  git('config', 'user.email', 'bench@example.com');
  writeData(join(dir, 'data'), sets);
  const cmf = await Cmf.open({ cwd: dir, pipelineName: 'P' });
  await cmf.createContext('s');
  await cmf.createExecution('e');
  await cmf.logDataset('data', 'output');
  await cmf.finalize();
  await cmf.close();
  return { dir, remote };
}

const dataSets = {
  mixed: {
    name: '100 × 100 KB + 5 × 20 MB',
    sets: [
      [100, 100_000],
      [5, 20_000_000],
    ],
  },
  small: { name: '5,000 × 4 KB', sets: [[5000, 4096]] },
};

const rows = [];
for (const [id, ds] of Object.entries(dataSets)) {
  if (only.length && !only.includes(id)) continue;
  process.stderr.write(`bench: ${ds.name}…\n`);
  const work = mkdtempSync(join(tmpdir(), `cmf-bench-transfer-${id}-`));
  try {
    const { dir, remote } = await project(work, ds.sets);
    const cache = join(dir, '.dvc', 'cache');
    const clean = (p) => () => rmSync(p, { recursive: true, force: true });
    const rcloneCopy = (from, to) => [
      'rclone',
      ['copy', from, to, '--transfers', String(jobs), '--checkers', String(jobs)],
    ];
    const push = median(clean(remote), bin, ['artifact', 'push', '-p', 'P', '-j', String(jobs)], {
      cwd: dir,
    });
    const rPush = median(clean(remote), ...rcloneCopy(join(cache, 'files'), join(remote, 'files')));
    const noop = median(undefined, bin, ['artifact', 'push', '-p', 'P', '-j', String(jobs)], {
      cwd: dir,
    });
    const rNoop = median(undefined, ...rcloneCopy(join(cache, 'files'), join(remote, 'files')));

    // The pull side: a copy of the project without cache and workspace data.
    const clone = join(work, 'clone');
    cpSync(dir, clone, { recursive: true });
    const emptyClone = () => {
      rmSync(join(clone, '.dvc', 'cache'), { recursive: true, force: true });
      rmSync(join(clone, 'data'), { recursive: true, force: true });
    };
    const pull = median(emptyClone, bin, ['artifact', 'pull', '-p', 'P', '-j', String(jobs)], {
      cwd: clone,
    });
    const rCache = join(work, 'rclone-cache');
    const rPull = median(
      clean(rCache),
      ...rcloneCopy(join(remote, 'files'), join(rCache, 'files')),
    );
    rows.push(
      [`push ${ds.name}`, push, rPush, 0.8],
      [`no-op push ${ds.name}`, noop, rNoop, id === 'small' ? undefined : 0.8],
      [`pull ${ds.name}`, pull, rPull, 0.8],
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const table = [
  ['case (local remote, -j ' + jobs + ')', 'cmf', 'rclone', 'ratio', 'target', 'ok'],
  ...rows.map(([name, c, r, target]) => {
    const ratio = c / r;
    const noopSmall = name.startsWith('no-op push 5,000');
    return [
      name,
      fmt(c),
      fmt(r),
      `${ratio.toFixed(2)}×`,
      noopSmall ? '≤ 1 s' : `≤ ${target.toFixed(1)}×`,
      (noopSmall ? c <= 1000 : ratio <= target) ? 'yes' : 'NO',
    ];
  }),
];
const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
for (const [i, row] of table.entries()) {
  console.log('| ' + row.map((cell, j) => cell.padEnd(widths[j])).join(' | ') + ' |');
  if (i === 0) console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
}
console.log(`(median of ${runs} runs after a warm-up; ${new Date().toISOString()})`);
