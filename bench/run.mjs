// `npm run bench`: times cmf against a reference tool run side by side on this machine,
// and prints cmf's figure, the reference's figure and their ratio. Not a test: the numbers
// depend on the machine, so nothing here asserts.
//
// Every case runs each side several times after a warm-up (page cache hot for both) and
// keeps the median wall-clock time of whole processes started from the shell.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { prepareBigFile, prepareSmallFiles } from './fixtures.mjs';
import { prepareListFixture } from './list-fixture.mjs';
import { emptyTrash } from './quiet-fs.mjs';
import { MlmdStore } from '../dist/mlmd/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = join(root, 'bench', '.work');
const runs = Number(process.env.BENCH_RUNS ?? 5);
const only = process.argv.slice(2);

function time(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}

function median(cmd, args, opts, before) {
  before?.();
  time(cmd, args, opts); // warm-up
  const xs = [];
  for (let i = 0; i < runs; i++) {
    before?.();
    xs.push(time(cmd, args, opts));
  }
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
}

const sh = (script) => ['bash', ['-c', script]];
const node = process.execPath;
const lib = (script, ...args) => [node, [join(root, 'bench', script), ...args]];

const cases = [
  {
    id: 'hash-1g',
    name: 'hash one 1 GiB file',
    ref: 'md5sum',
    target: 1.0,
    setup: () => prepareBigFile(join(work, 'big.bin'), 1024),
    cmf: () => lib('hash-file.mjs', join(work, 'big.bin')),
    reference: () => ['md5sum', [join(work, 'big.bin')]],
  },
  {
    id: 'hash-20k',
    name: 'hash 20,000 files of 4 KiB (no state cache)',
    ref: 'xargs -P2 md5sum',
    target: 1.5,
    setup: () => prepareSmallFiles(join(work, 'small'), 20_000, 4096),
    cmf: () => lib('hash-many.mjs', join(work, 'small'), '--no-state'),
    reference: () =>
      sh(`find '${join(work, 'small')}' -type f -print0 | xargs -0 -P2 md5sum >/dev/null`),
  },
  {
    id: 'rehash-20k',
    name: 're-hash 20,000 unchanged files (state cache)',
    ref: 'xargs -P2 md5sum',
    target: 0.5,
    setup: () => {
      prepareSmallFiles(join(work, 'small'), 20_000, 4096);
      time(...lib('hash-many.mjs', join(work, 'small'), '--state', join(work, 'state.db')));
    },
    cmf: () => lib('hash-many.mjs', join(work, 'small'), '--state', join(work, 'state.db')),
    reference: () =>
      sh(`find '${join(work, 'small')}' -type f -print0 | xargs -0 -P2 md5sum >/dev/null`),
  },
  {
    id: 'version',
    name: 'cmf --version start-up',
    ref: 'node -e 0',
    target: 3.0,
    cmf: () => [join(root, 'bin', 'run.js'), ['--version']],
    reference: () => [node, ['-e', '0']],
  },
  {
    id: 'pipeline-list',
    name: 'cmf pipeline list start-up (small MLMD)',
    ref: 'node -e 0',
    target: 3.0,
    setup: () => prepareListFixture(join(work, 'list-small.mlmd'), { artifacts: 50 }),
    cmf: () => [
      join(root, 'bin', 'run.js'),
      ['pipeline', 'list', '-f', join(work, 'list-small.mlmd')],
    ],
    reference: () => [node, ['-e', '0']],
  },
];

if (!existsSync(join(root, 'dist', 'hashing', 'index.js'))) {
  console.error('bench: build first (scripts/setup or npm run build)');
  process.exit(1);
}
mkdirSync(work, { recursive: true });
const env = { ...process.env, PATH: `${join(node, '..')}:${process.env.PATH}` };
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const rows = [];
for (const c of cases) {
  if (only.length && !only.includes(c.id)) continue;
  process.stderr.write(`bench: ${c.name}…\n`);
  c.setup?.();
  const [cc, ca] = c.cmf();
  const [rc, ra] = c.reference();
  const cmfMs = median(cc, ca, { env });
  const refMs = median(rc, ra, { env });
  rows.push({ ...c, cmfMs, refMs, ratio: cmfMs / refMs });
}

// Cases with no reference tool that can run here (Python cmflib needs PyPI): an absolute
// figure against the target. `run` returns { shown, ok, note }.
const rates = [
  {
    id: 'log-10k',
    name: 'log 10,000 datasets in 100 executions (Cmf API)',
    target: '≥ 1000 artifacts/s',
    run: () => {
      const r = spawnSync(node, [join(root, 'bench', 'log-artifacts.mjs'), '--json'], { env });
      if (r.status !== 0) throw new Error(`log-artifacts failed: ${r.stderr}`);
      const out = JSON.parse(r.stdout.toString());
      return {
        shown: `${out.artifactsPerSecond.toFixed(0)} artifacts/s`,
        ok: out.artifactsPerSecond >= 1000,
        // CPU time is the steadier figure when the machine is shared.
        note: `mlmd ${(out.mlmdBytes / 2 ** 20).toFixed(1)} MiB, CPU ${out.cpuSeconds.toFixed(1)} s, wall ${out.seconds.toFixed(1)} s; ${out.fs}`,
      };
    },
  },
];
rates.push({
  id: 'artifact-list-100k',
  name: 'cmf artifact list -p P --json, 100,000 artifacts',
  target: '≤ 1.5 s',
  run: () => {
    const mlmd = prepareListFixture(join(work, 'list-100k.mlmd'), { artifacts: 100_000 });
    const bin = join(root, 'bin', 'run.js');
    const ms = median(bin, ['artifact', 'list', '-p', 'P', '--json', '-f', mlmd], { env });
    return { shown: fmt(ms), ok: ms <= 1500, note: `median of ${runs} runs` };
  },
});
rates.push({
  id: 'artifact-list-long-cells',
  name: 'cmf artifact list, one artifact: a 2,509-char url (table), a 1 MB property (-a detail)',
  target: '≤ 3 s each',
  run: () => {
    const mlmd = prepareListFixture(join(work, 'list-long-cells.mlmd'), { artifacts: 1 });
    const store = MlmdStore.open(mlmd);
    const url = Array.from(
      { length: 40 },
      (_, i) => `Pipeline-${i}:/tmp/r/files/md5/6f/a66070f1124db4995d432d532d67f5`,
    ).join(',');
    store.database
      .prepare("UPDATE ArtifactProperty SET string_value = ? WHERE name = 'url'")
      .run(url);
    store.database
      .prepare(
        "INSERT OR REPLACE INTO ArtifactProperty (artifact_id, name, is_custom_property, string_value) VALUES (1, 'big', 1, ?)",
      )
      .run('word '.repeat(200_000));
    store.close();
    const bin = join(root, 'bin', 'run.js');
    const table = median(bin, ['artifact', 'list', '-p', 'P', '-f', mlmd], { env });
    const detail = median(bin, ['artifact', 'list', '-p', 'P', '-a', 'f0.csv', '-f', mlmd], {
      env,
    });
    return {
      shown: `${fmt(table)} / ${fmt(detail)}`,
      ok: table <= 3000 && detail <= 3000,
      note: `median of ${runs} runs; with cli-table3: 54 s / killed after 2 min`,
    };
  },
});
const rateRows = [];
for (const c of rates) {
  if (only.length && !only.includes(c.id)) continue;
  process.stderr.write(`bench: ${c.name}…\n`);
  rateRows.push({ ...c, ...c.run() });
}

const table = [
  ['case', 'cmf', 'reference', 'ref time', 'ratio', 'target', 'ok'],
  ...rows.map((r) => [
    r.name,
    fmt(r.cmfMs),
    r.ref,
    fmt(r.refMs),
    `${r.ratio.toFixed(2)}×`,
    `≤ ${r.target.toFixed(1)}×`,
    r.ratio <= r.target ? 'yes' : 'NO',
  ]),
];
function printTable(t) {
  const widths = t[0].map((_, i) => Math.max(...t.map((row) => row[i].length)));
  for (const [i, row] of t.entries()) {
    console.log('| ' + row.map((cell, j) => cell.padEnd(widths[j])).join(' | ') + ' |');
    if (i === 0) console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  }
}
if (rows.length) {
  printTable(table);
  console.log(`(median of ${runs} runs after a warm-up; ${new Date().toISOString()})`);
}
if (rateRows.length) {
  console.log('');
  printTable([
    ['case', 'cmf', 'target', 'ok', 'note'],
    ...rateRows.map((r) => [r.name, r.shown, r.target, r.ok ? 'yes' : 'NO', r.note]),
  ]);
  console.log('(the logging case runs once: it takes tens of seconds)');
}
// Transfers against rclone print their own table (push, no-op push and pull per data set).
if (!only.length || only.includes('transfer')) {
  console.log('');
  if (spawnSync('rclone', ['version'], { stdio: 'ignore' }).status !== 0) {
    console.log('transfer: skipped (rclone is not installed: apt-get install rclone)');
  } else {
    process.stderr.write('bench: artifact push/pull against rclone…\n');
    const r = spawnSync(node, [join(root, 'bench', 'transfer.mjs')], {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (r.status !== 0) console.log('transfer: failed (see above)');
  }
}
// The metadata server under load (SQLite and PostgreSQL stores) prints its own table too.
if (!only.length || only.includes('server')) {
  console.log('');
  process.stderr.write('bench: metadata server load (20 clients × 30 s per store)…\n');
  const r = spawnSync(node, [join(root, 'bench', 'server-load.mjs')], {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) console.log('server: failed (see above)');
}
// What the cases moved aside instead of deleting between timed runs (quiet-fs.mjs).
emptyTrash();
if (process.env.BENCH_CLEAN) rmSync(work, { recursive: true, force: true });
