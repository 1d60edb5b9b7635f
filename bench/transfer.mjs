// Artifact transfer benchmark: `cmf artifact push` / `pull` against rclone (Debian package)
// moving the same objects to and from the same remote, with the same number of parallel
// transfers, for three remotes: a local directory, S3 (Ceph RADOS Gateway on 127.0.0.1) and
// SFTP (OpenSSH sshd on 127.0.0.1), the servers started as the tests start them
// (test/servers/*.ts). Data sets (issue 5): 100 files of 100 KB plus 5 of 20 MB, and 5,000
// files of 4 KB, each logged as one directory artifact through the Cmf API (dist/).
// Prints a table of median wall-clock times, cmf and rclone run in turns. Not a test: nothing
// asserts.
//   node bench/transfer.mjs [--jobs 8] [--runs 3] [--remotes local,s3,sftp]
//                           [--cases push,noop,pull] [mixed|small]
// rclone copies `.dvc/cache/files` to `<remote>/files` (push) and back into an empty cache
// (pull); cmf pull also verifies every object's MD5 and checks the files out, so it writes
// every file twice (cache and workspace) where rclone writes it once.
// S3 and SFTP need root (the servers create a user and bind to 127.0.0.1) and their Debian
// packages; a remote whose server cannot start is reported and skipped.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Buffer } from 'node:buffer';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { emptyTrash, moveToTrash, waitForQuietFs } from './quiet-fs.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'run.js');
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  // The usage is the comment at the top of this file: print it instead of starting servers.
  const source = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  const usage = source.slice(0, source.indexOf('\nimport')).replace(/^\/\/ ?/gm, '');
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const valueOf = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const jobs = Number(valueOf('jobs') ?? 8);
const runs = Number(valueOf('runs') ?? process.env.BENCH_RUNS ?? 3);
const remoteKinds = (valueOf('remotes') ?? 'local,s3,sftp').split(',');
const cases = new Set((valueOf('cases') ?? 'push,noop,pull').split(','));
const only = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
const { Cmf } = await import(join(root, 'dist', 'index.js'));
// The test servers are TypeScript: let Node strip the types and resolve their `.js` imports.
await import(pathToFileURL(join(root, 'test', 'fixtures', 'cache', 'ts-resolve.mjs')).href);

// Under bench/.work, on the same filesystem as the trash: emptying a remote or a cache between
// timed runs moves it aside instead of deleting it (quiet-fs.mjs).
mkdirSync(join(root, 'bench', '.work'), { recursive: true });
const work = mkdtempSync(join(root, 'bench', '.work', 'transfer-'));
const home = join(work, 'home');
mkdirSync(join(home, '.ssh'), { recursive: true });
const env = {
  ...process.env,
  PATH: `${join(process.execPath, '..')}:${process.env.PATH}`,
  HOME: home,
  RCLONE_CONFIG: join(work, 'rclone.conf'),
};
delete env.AWS_CA_BUNDLE; // rclone refuses to start with a CA bundle it cannot read

// CPU seconds (user + system) of each run, from GNU time when it is installed: on a shared
// machine they vary far less than wall-clock times.
const gnuTime = spawnSync('/usr/bin/time', ['-f', '%U', 'true']).status === 0;
const cpuFile = join(work, 'cpu.txt');

/** Runs one command; returns its wall-clock and CPU milliseconds (CPU NaN without GNU time). */
function time(cmd, argv, opts = {}) {
  const [c, a] = gnuTime
    ? ['/usr/bin/time', ['-o', cpuFile, '-f', '%U %S', cmd, ...argv]]
    : [cmd, argv];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(c, a, { stdio: ['ignore', 'ignore', 'pipe'], env, ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed: ${r.stderr}`);
  const cpu = gnuTime
    ? readFileSync(cpuFile, 'utf8')
        .trim()
        .split('\n')
        .at(-1)
        .split(' ')
        .reduce((sum, x) => sum + Number(x) * 1000, 0)
    : NaN;
  return { ms, cpu };
}

const mid = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * cmf and rclone timed in turns: one untimed warm-up each (page cache, connections), then
 * `runs` rounds of one run each, the order swapped every round, `before` (untimed) ahead of
 * each run. A burst of load on a shared machine then hits both tools of a round alike: the
 * ratio reported is the median of the rounds' ratios, the times the medians of each tool.
 */
function sideBySide(cmf, rclone) {
  const c = [];
  const r = [];
  for (let i = 0; i <= runs; i++) {
    const pair = i % 2 === 0 ? [cmf, rclone] : [rclone, cmf];
    const [first, second] = pair.map(({ before, cmd, argv, opts }) => {
      before?.();
      return time(cmd, argv, opts);
    });
    if (i === 0) continue;
    c.push(pair[0] === cmf ? first : second);
    r.push(pair[0] === cmf ? second : first);
  }
  const stats = (xs) => ({ ms: mid(xs.map((x) => x.ms)), cpu: mid(xs.map((x) => x.cpu)) });
  return { c: stats(c), r: stats(r), ratio: mid(c.map((x, i) => x.ms / r[i].ms)) };
}

const warmBuffer = Buffer.allocUnsafe(1 << 20);
/**
 * Reads every file under `dir` (untimed, before each run) so that both tools find what they
 * read in the page cache: rclone's local backend drops what it reads from the cache, so
 * without this the tool that runs after it reads from disk.
 */
function warm(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) warm(path);
    else if (e.isFile()) {
      const fd = openSync(path, 'r');
      while (readSync(fd, warmBuffer) > 0);
      closeSync(fd);
    }
  }
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
async function project(dir, sets) {
  mkdirSync(dir, { recursive: true });
  const git = (...a) => execFileSync('git', a, { cwd: dir, stdio: 'pipe' });
  // Its own repository: under bench/.work, cmf init would otherwise find (and commit to) the
  // cmf checkout around it.
  git('init', '-q');
  git('config', 'user.name', 'bench');
  git('config', 'user.email', 'bench@example.com');
  time(
    bin,
    [
      'init',
      'local',
      '--path',
      join(dir, '..', 'unused-remote'),
      '--git-remote-url',
      'https://example.com/b.git',
    ],
    {
      cwd: dir,
    },
  );
  writeData(join(dir, 'data'), sets);
  const cmf = await Cmf.open({ cwd: dir, pipelineName: 'P' });
  await cmf.createContext('s');
  await cmf.createExecution('e');
  await cmf.logDataset('data', 'output');
  await cmf.finalize();
  await cmf.close();
}

/** Points a project at `remote` (written as cmf init would: secrets in config.local). */
function useRemote(dir, remote) {
  const section = (name, opts) =>
    `['remote "${name}"']\n` +
    Object.entries(opts)
      .map(([k, v]) => `    ${k} = ${v}\n`)
      .join('');
  writeFileSync(
    join(dir, '.dvc', 'config'),
    `[core]\n    remote = bench\n${section('bench', { url: remote.url, ...remote.options })}`,
  );
  writeFileSync(join(dir, '.dvc', 'config.local'), section('bench', remote.secrets ?? {}));
}

/**
 * Starts the server of one remote kind and returns the DVC remote cmf uses, the rclone path of
 * the same place, how to empty it between timed pushes, and how to stop the server. One server
 * runs at a time: Ceph's daemons keep working (garbage collection) long after their last
 * request and would slow down whatever is measured next.
 */
async function startRemote(kind) {
  if (kind === 'local') {
    const dir = join(work, 'local-remote');
    writeFileSync(env.RCLONE_CONFIG, '');
    return {
      kind,
      remote: { url: dir, options: {} },
      rclone: dir,
      dir,
      empty: () => moveToTrash(dir),
      stop: async () => {},
    };
  }
  if (kind === 's3') {
    process.stderr.write('bench: starting Ceph RGW…\n');
    const { startRgw } = await import(pathToFileURL(join(root, 'test/servers/rgw.ts')).href);
    // Deleted objects stay in the memory store until RGW's garbage collection: room for
    // every timed push of the larger data set.
    const rgw = await startRgw({ memBytes: 3 << 30 });
    const { S3Client, CreateBucketCommand } = await import('@aws-sdk/client-s3');
    const s3 = new S3Client({
      endpoint: rgw.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
    });
    await s3.send(new CreateBucketCommand({ Bucket: 'bench' }));
    s3.destroy();
    writeFileSync(
      env.RCLONE_CONFIG,
      [
        '[rgw]',
        'type = s3',
        'provider = Ceph',
        `endpoint = ${rgw.endpoint}`,
        `access_key_id = ${rgw.accessKeyId}`,
        `secret_access_key = ${rgw.secretAccessKey}`,
        'force_path_style = true',
        '',
      ].join('\n'),
    );
    return {
      kind,
      remote: {
        url: 's3://bench/dvc',
        options: { endpointurl: rgw.endpoint },
        secrets: { access_key_id: rgw.accessKeyId, secret_access_key: rgw.secretAccessKey },
      },
      rclone: 'rgw:bench/dvc',
      empty: () => spawnSync('rclone', ['purge', 'rgw:bench/dvc'], { env, stdio: 'ignore' }),
      stop: () => rgw.stop(),
    };
  }
  if (kind === 'sftp') {
    process.stderr.write('bench: starting sshd…\n');
    const { startSshd } = await import(pathToFileURL(join(root, 'test/servers/sshd.ts')).href);
    const sshd = await startSshd();
    writeFileSync(join(home, '.ssh', 'known_hosts'), sshd.knownHostsLine);
    const dir = `${sshd.dataDir}/dvc`;
    const obscured = execFileSync('rclone', ['obscure', sshd.password], { env }).toString().trim();
    writeFileSync(
      env.RCLONE_CONFIG,
      [
        '[sftp]',
        'type = sftp',
        `host = ${sshd.host}`,
        `port = ${sshd.port}`,
        `user = ${sshd.user}`,
        `pass = ${obscured}`,
        '',
      ].join('\n'),
    );
    return {
      kind,
      remote: {
        url: `ssh://${sshd.host}${dir}`,
        options: { user: sshd.user, port: String(sshd.port) },
        secrets: { password: sshd.password },
      },
      rclone: `sftp:${dir}`,
      dir,
      empty: () => moveToTrash(dir),
      stop: () => sshd.stop(),
    };
  }
  throw new Error(`unknown remote ${kind} (local, s3, sftp)`);
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
const fsNotes = [];
const rcloneCopy = (from, to) => [
  'rclone',
  ['copy', from, to, '--transfers', String(jobs), '--checkers', String(jobs)],
];
const cmfArgs = (verb) => ['artifact', verb, '-p', 'P', '-j', String(jobs), '--no-progress'];
try {
  // Both projects first: their set-up creates many files, which must not overlap a server.
  const projects = [];
  for (const [id, ds] of Object.entries(dataSets)) {
    if (only.length && !only.includes(id)) continue;
    const dir = join(work, id, 'project');
    await project(dir, ds.sets);
    projects.push({ id, ds, dir });
  }
  for (const kind of remoteKinds) {
    let r;
    try {
      r = await startRemote(kind);
    } catch (err) {
      process.stderr.write(`bench: ${kind} skipped: ${err.message}\n`);
      continue;
    }
    try {
      for (const { id, ds, dir } of projects) {
        process.stderr.write(`bench: ${ds.name}, ${r.kind}…\n`);
        fsNotes.push(`${r.kind}, ${ds.name}: ${waitForQuietFs()}`);
        measure(r, id, ds, dir);
      }
    } finally {
      await r.stop();
    }
  }
} finally {
  moveToTrash(work);
  emptyTrash();
}

/** Push, no-op push and pull of one data set to one remote, cmf and rclone side by side. */
function measure(r, id, ds, dir) {
  const cache = join(dir, '.dvc', 'cache');
  const clone = join(work, id, 'clone');
  const rCache = join(work, id, 'rclone-cache');
  useRemote(dir, r.remote);
  const noopTarget = id === 'small' ? '≤ 1 s' : '≤ 0.8×';
  // What the run reads is warmed first, for both tools: the cache for pushes; for pulls the
  // remote's files when they are on this machine's disk (local, SFTP; RGW keeps them in memory).
  const source = (verb) => (verb === 'push' ? join(cache, 'files') : r.dir && join(r.dir, 'files'));
  // Then the files the previous run wrote are flushed (`sync`): their write-back would
  // otherwise land in the next run, whichever tool that is.
  const prepare = (verb, before) => () => {
    before?.();
    const dir = source(verb);
    if (dir) warm(dir);
    spawnSync('sync');
  };
  const rcloneRun = (verb, from, to, before) => {
    const [cmd, argv] = rcloneCopy(from, to);
    return { before: prepare(verb, before), cmd, argv };
  };
  const cmfRun = (verb, cwd, before) => ({
    before: prepare(verb, before),
    cmd: bin,
    argv: cmfArgs(verb),
    opts: { cwd },
  });
  // Pushes fill the remote; without them (--cases pull) rclone fills it once.
  if (cases.has('push')) {
    const push = sideBySide(
      cmfRun('push', dir, r.empty),
      rcloneRun('push', join(cache, 'files'), `${r.rclone}/files`, r.empty),
    );
    rows.push([r.kind, `push ${ds.name}`, push, '≤ 0.8×']);
  } else time(...rcloneCopy(join(cache, 'files'), `${r.rclone}/files`));
  if (cases.has('noop')) {
    // Both no-op pushes find a full remote.
    const noop = sideBySide(
      cmfRun('push', dir),
      rcloneRun('push', join(cache, 'files'), `${r.rclone}/files`),
    );
    rows.push([r.kind, `no-op push ${ds.name}`, noop, noopTarget]);
  }
  if (!cases.has('pull')) return;
  // The pull side: a copy of the project without cache and workspace data.
  moveToTrash(clone);
  cpSync(dir, clone, { recursive: true });
  const emptyClone = () => {
    moveToTrash(join(clone, '.dvc', 'cache'));
    moveToTrash(join(clone, 'data'));
  };
  const pull = sideBySide(
    cmfRun('pull', clone, emptyClone),
    rcloneRun('pull', `${r.rclone}/files`, join(rCache, 'files'), () => moveToTrash(rCache)),
  );
  rows.push([r.kind, `pull ${ds.name}`, pull, '≤ 0.8×']);
}

const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const table = [
  [
    'remote',
    `case (-j ${jobs}, rclone --transfers ${jobs})`,
    'cmf',
    'rclone',
    'ratio',
    'target',
    'ok',
    'CPU cmf / rclone',
  ],
  ...rows.map(([kind, name, { c, r, ratio }, target]) => {
    const ok = target === '≤ 1 s' ? c.ms <= 1000 : ratio <= 0.8;
    const cpu = gnuTime ? `${fmt(c.cpu)} / ${fmt(r.cpu)}` : 'n/a';
    return [
      kind,
      name,
      fmt(c.ms),
      fmt(r.ms),
      `${ratio.toFixed(2)}×`,
      target,
      ok ? 'yes' : 'NO',
      cpu,
    ];
  }),
];
const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
for (const [i, row] of table.entries()) {
  console.log('| ' + row.map((cell, j) => cell.padEnd(widths[j])).join(' | ') + ' |');
  if (i === 0) console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
}
console.log(
  `(${runs} rounds after a warm-up, cmf and rclone in turns; times are medians, the ratio is ` +
    `the median of the rounds' ratios; ${new Date().toISOString()}; wall-clock times are ` +
    'noisy on a shared machine, CPU = user + system seconds of the process)',
);
console.log(`(file creation before the timed runs: ${fsNotes.join('; ')})`);
