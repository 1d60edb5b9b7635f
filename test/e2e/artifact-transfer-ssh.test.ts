/**
 * cmf artifact push / pull through the built binary against a real OpenSSH sshd on
 * 127.0.0.1, configured with `cmf init sshremote` (password, the configured port, the host
 * key checked against ~/.ssh/known_hosts, or accepted with --accept-new-host-key).
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshd, type SshdServer } from '../servers/sshd.js';
import { isOwnTempName, tempName } from '../../src/fs/atomic.js';
import {
  bigFileProject,
  cloneProject,
  GIT_URL,
  listFiles,
  loggedProject,
  manyFilesProject,
  trackedFiles,
} from '../helpers/artifact-project.js';
import { expectRoundTrip } from '../helpers/artifact-roundtrip.js';
import { isolatedEnv, runCmf, runCmfUntil } from '../helpers/cli.js';

let sshd: SshdServer;
let root: string;
let env: Record<string, string>;

/**
 * `cmf init sshremote` arguments for the test server (password login, its port); `host` may be
 * an alias of ~/.ssh/config.
 */
const sshInit = (remoteDir: string, host = '127.0.0.1', port = sshd.port) => [
  'sshremote',
  '--path',
  `ssh://${host}${remoteDir}`,
  '--user',
  sshd.user,
  '--port',
  String(port),
  '--password',
  sshd.password,
];

/**
 * A TCP relay to the sshd that cuts every connection through it once `after` bytes went
 * through in one direction (`up`: client to server), as a dropped network or a killed server
 * does; with `down`, it also stops listening then, so reconnecting fails too.
 */
/**
 * A TCP relay to sshd that can cut its connections, or stall them (stop forwarding without
 * closing, as a dropped VPN does), once some bytes went one way. Later connections are
 * relayed normally.
 */
async function startRelay() {
  const conns = new Set<Socket>();
  const stalled = new WeakSet<Socket>();
  let plan: { dir: 'up' | 'down'; after: number; down: boolean; stall: boolean } | undefined;
  let moved = 0;
  let cuts = 0;
  const server: Server = createServer((client) => {
    const upstream = connect(sshd.port, '127.0.0.1');
    for (const [from, to, dir] of [
      [client, upstream, 'up'],
      [upstream, client, 'down'],
    ] as const) {
      conns.add(from);
      from.on('error', () => undefined);
      from.on('close', () => {
        conns.delete(from);
        to.destroy();
      });
      from.on('data', (d: Buffer) => {
        if (stalled.has(from)) return;
        to.write(d);
        if (plan?.dir !== dir) return;
        moved += d.length;
        if (moved < plan.after) return;
        if (plan.down) server.close();
        cuts++;
        for (const c of conns) {
          if (plan.stall) stalled.add(c);
          else c.destroy();
        }
        plan = undefined;
      });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    /** Cut the connections once `after` more bytes went `dir`. */
    cutAfter(dir: 'up' | 'down', after: number, down = false) {
      moved = 0;
      plan = { dir, after, down, stall: false };
    },
    /** Stop forwarding on the open connections once `after` more bytes went `dir`. */
    stallAfter(dir: 'up' | 'down', after: number, down = false) {
      moved = 0;
      plan = { dir, after, down, stall: true };
    },
    cuts: () => cuts,
    stop() {
      for (const c of conns) c.destroy();
      server.close();
    },
  };
}

beforeAll(async () => {
  sshd = await startSshd();
  root = await mkdtemp(join(tmpdir(), 'cmf-e2e-ssh-'));
  const home = join(root, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true });
  writeFileSync(join(home, '.ssh', 'known_hosts'), sshd.knownHostsLine);
  env = isolatedEnv(home);
});
afterAll(async () => {
  await sshd?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('cmf artifact push / pull over SSH', () => {
  it('push fills the SFTP remote in the DVC layout; no-op push; pull and -a pulls restore empty clones', async () => {
    const project = join(root, 'project');
    const remoteDir = `${sshd.dataDir}/cmf-e2e`;
    await loggedProject(project, sshInit(remoteDir), env);
    // The sshd user writes as another uid, but the files are readable by root here.
    await expectRoundTrip({ project, root, env, remoteObjects: async () => listFiles(remoteDir) });
  });

  it('refuses an unknown host key unless --accept-new-host-key, then checks the recorded one; a changed key is always refused', async () => {
    // A user who has never connected to this server: no known_hosts at all.
    const home = join(root, 'home-new');
    mkdirSync(home, { recursive: true });
    const newEnv = isolatedEnv(home);
    const knownHosts = join(home, '.ssh', 'known_hosts');
    const project = join(root, 'project-new-key');
    await loggedProject(project, sshInit(`${sshd.dataDir}/cmf-e2e-new-key`), newEnv);
    const cmf = (args: string[], cwd = project) => runCmf(args, { cwd, env: newEnv });

    const refused = await cmf(['artifact', 'push', '-p', 'Test-env']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/host key of \[127\.0\.0\.1\]:\d+ \(SHA256:[^)]+\) is not in/);
    expect(refused.stderr).toContain('--accept-new-host-key');
    expect(existsSync(knownHosts)).toBe(false);
    const refusedJson = await cmf(['artifact', 'pull', '-p', 'Test-env', '--json']);
    expect(refusedJson.code).toBe(4);
    expect(JSON.parse(refusedJson.stderr).error.code).toBe('SSH_HOST_KEY_UNKNOWN');

    const accepted = await cmf(['artifact', 'push', '-p', 'Test-env', '--accept-new-host-key']);
    expect(accepted.stderr).toBe('');
    expect(accepted.code).toBe(0);
    // Recorded exactly as ssh-keyscan would print the server's key.
    expect(readFileSync(knownHosts, 'utf8')).toBe(sshd.knownHostsLine);

    // Later runs verify the recorded key without the option.
    const dir = join(root, 'clone-new-key');
    cloneProject(project, dir);
    const pull = await cmf(['artifact', 'pull', '-p', 'Test-env'], dir);
    expect(pull.stderr).toBe('');
    expect(pull.code).toBe(0);
    for (const f of trackedFiles(project))
      expect(readFileSync(join(dir, f)).equals(readFileSync(join(project, f))), f).toBe(true);

    // The server now presents a key other than the recorded one (as after a MITM or a
    // reinstall): refused, with or without the option, and known_hosts is left alone.
    const fakeKey = Buffer.concat([
      Buffer.from([0, 0, 0, 11]),
      Buffer.from('ssh-ed25519'),
      Buffer.from([0, 0, 0, 32]),
      randomBytes(32),
    ]).toString('base64');
    const recorded = `[127.0.0.1]:${sshd.port} ssh-ed25519 ${fakeKey}\n`;
    writeFileSync(knownHosts, recorded);
    for (const extra of [[], ['--accept-new-host-key']]) {
      const changed = await cmf(['artifact', 'pull', '-p', 'Test-env', ...extra], dir);
      expect(changed.code).toBe(4);
      expect(changed.stderr).toMatch(/does not match .*known_hosts: someone may be intercepting/);
      expect(changed.stderr).toContain('ssh-keygen -R');
    }
    expect(readFileSync(knownHosts, 'utf8')).toBe(recorded);
  });

  it('SIGINT during a large upload keeps its temp file for the next push, which appends only the rest', async () => {
    const project = join(root, 'project-interrupt');
    const remoteDir = `${sshd.dataDir}/cmf-e2e-interrupt`;
    await bigFileProject(project, sshInit(remoteDir), env, 64 << 20);
    const remoteTemps = () =>
      existsSync(remoteDir) ? listFiles(remoteDir).filter((f) => isOwnTempName(basename(f))) : [];
    // Once 24 MiB are on the server: the record (brought up to date every 16 MiB) says so.
    const r = await runCmfUntil(
      ['artifact', 'push', '-p', 'P', '-j', '1'],
      { cwd: project, env },
      () => remoteTemps().some((f) => statSync(join(remoteDir, f)).size >= 24 << 20),
    );
    expect(r.signalSent).toBe(true);
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/^Interrupted: cmf artifact push \(SIGINT\)/);
    expect(r.stderr).toContain('kept on the remote: the next push resumes it');
    expect(remoteTemps()).toHaveLength(1);
    const again = await runCmf(['artifact', 'push', '-p', 'P', '--json'], { cwd: project, env });
    expect(again.code, again.stderr).toBe(0);
    const pushed = JSON.parse(again.stdout);
    expect(pushed.failed).toEqual([]);
    expect(pushed.resumed).toBeGreaterThanOrEqual(16 << 20);
    expect(pushed.resumed).toBeLessThan(64 << 20);
    expect(remoteTemps()).toEqual([]);
    expect(readdirSync(join(project, '.dvc/tmp/cmf-uploads'))).toEqual([]);
    const big = readFileSync(join(project, 'data/big.bin'));
    const md5 = createHash('md5').update(big).digest('hex');
    expect(
      readFileSync(join(remoteDir, 'files/md5', md5.slice(0, 2), md5.slice(2))).equals(big),
    ).toBe(true);
  });

  it('reads the remote directory as DVC does: #, % and spaces are part of its name, never decoded', async () => {
    const parent = `${sshd.dataDir}/cmf-e2e-names`;
    // Was pushed into `dir/sp ace` (the #… dropped), and `100%done` crashed (URI malformed).
    for (const [i, name] of ['dir/sp ace#1%20x', '100%done', 'p%20q'].entries()) {
      const project = join(root, `project-name-${i}`);
      const remoteDir = `${parent}/${name}`;
      await bigFileProject(project, sshInit(remoteDir), env, 64 << 10);
      const show = await runCmf(['init', 'show'], { cwd: project, env });
      expect(show.code, show.stderr).toBe(0);
      expect(show.stdout).toContain(`ssh://127.0.0.1${remoteDir} `);
      const push = await runCmf(['artifact', 'push', '-p', 'P'], { cwd: project, env });
      expect(push.stderr).toBe('');
      expect(push.code).toBe(0);
      expect(push.stdout).toContain(`:${sshd.port}${remoteDir}\n`);
      expect(listFiles(remoteDir)).toHaveLength(3);
      const clone = join(root, `clone-name-${i}`);
      cloneProject(project, clone);
      const pull = await runCmf(['artifact', 'pull', '-p', 'P'], { cwd: clone, env });
      expect(pull.stderr).toBe('');
      expect(pull.code).toBe(0);
      for (const f of trackedFiles(project))
        expect(readFileSync(join(clone, f)).equals(readFileSync(join(project, f))), f).toBe(true);
    }
    expect(readdirSync(parent).sort()).toEqual(['100%done', 'dir', 'p%20q']);
    expect(readdirSync(`${parent}/dir`)).toEqual(['sp ace#1%20x']);
  });

  it('many requests in flight on one connection (-j 16, -j 64) leave stderr clean: no MaxListenersExceededWarning', async () => {
    const project = join(root, 'project-many');
    await manyFilesProject(project, sshInit(`${sshd.dataDir}/cmf-e2e-many`), env, 80, 1000);
    for (const jobs of ['16', '64']) {
      // A fresh directory each time: every upload then also makes its directory.
      const reinit = sshInit(`${sshd.dataDir}/cmf-e2e-many-${jobs}`);
      const init = await runCmf(['init', ...reinit, '--git-remote-url', GIT_URL], {
        cwd: project,
        env,
      });
      expect(init.code, init.stderr).toBe(0);
      const push = await runCmf(['artifact', 'push', '-p', 'P', '-j', jobs], { cwd: project, env });
      expect(push.stderr).toBe('');
      expect(push.code).toBe(0);
      expect(push.stdout).toMatch(/^82 uploaded .* 0 already there, 0 failed/);
    }
  });

  it('SIGINT when the remote cannot answer: the temp files that may remain are named, not counted as removed; the next push removes them once stale', async () => {
    const relay = await startRelay();
    try {
      const project = join(root, 'project-int-stalled');
      const remoteDir = `${sshd.dataDir}/cmf-e2e-int-stalled`;
      const init = sshInit(remoteDir, '127.0.0.1', relay.port);
      await manyFilesProject(project, init, env, 8, 4 << 20);
      const remoteTemps = () =>
        existsSync(remoteDir) ? listFiles(remoteDir).filter((f) => isOwnTempName(basename(f))) : [];
      // The link stops carrying anything mid-upload (as a very slow one nearly does): the
      // removal of the temp files cannot reach the server before cmf gives up on it.
      relay.stallAfter('up', 2 << 20);
      const r = await runCmfUntil(
        ['artifact', 'push', '-p', 'P', '--json', '--accept-new-host-key'],
        { cwd: project, env },
        () => relay.cuts() > 0,
      );
      expect(r.signalSent).toBe(true);
      expect(r.code, r.stderr).toBe(130);
      const { error } = JSON.parse(r.stderr);
      const { data } = error;
      // Was: remoteUploadsUndone 4 (the removals started), and the temp files stayed.
      expect(data.remoteUploadsUndone).toBe(0);
      expect(data.remoteUploadsNotUndone).toBeGreaterThan(0);
      expect(data.remoteLeftovers).toHaveLength(data.remoteUploadsNotUndone);
      expect(error.message).toMatch(/did not finish in 3 s: ssh:\/\/.* may remain on the remote$/);
      const left = remoteTemps();
      expect(left.length).toBeGreaterThan(0);
      const named = (data.remoteLeftovers as string[]).map((u) => u.replace(/^ssh:\/\/[^/]+/, ''));
      for (const f of left) expect(named).toContain(`${remoteDir}/${f}`);

      // A push now leaves them: younger than an hour, they could be another push's.
      relay.stop();
      const direct = ['--accept-new-host-key'];
      const reinit = await runCmf(['init', ...sshInit(remoteDir), '--git-remote-url', GIT_URL], {
        cwd: project,
        env,
      });
      expect(reinit.code, reinit.stderr).toBe(0);
      // Hours old now, but for one; and one more in a directory this push writes.
      const old = new Date(Date.now() - 2 * 3600_000);
      for (const f of left) utimesSync(join(remoteDir, f), old, old);
      const fresh = join(remoteDir, dirname(left[0]!), tempName());
      writeFileSync(fresh, 'another push at work');
      const push = await runCmf(['artifact', 'push', '-p', 'P', ...direct], { cwd: project, env });
      expect(push.stderr).toBe('');
      expect(push.code).toBe(0);
      expect(remoteTemps()).toEqual([relative(remoteDir, fresh)]);
    } finally {
      relay.stop();
    }
  });

  it('a push that lists an object directory removes the temp files over an hour old there, and only those', async () => {
    const project = join(root, 'project-sweep-list');
    const remoteDir = `${sshd.dataDir}/cmf-e2e-sweep-list`;
    // More objects than object directories: the second push lists them (formats.md A4.2).
    await manyFilesProject(project, sshInit(remoteDir), env, 300, 20);
    const push = () => runCmf(['artifact', 'push', '-p', 'P'], { cwd: project, env });
    const first = await push();
    expect(first.code, first.stderr).toBe(0);
    // Without the manifest on the remote, the push looks for every file: by listing.
    const objects = listFiles(remoteDir);
    const manifest = objects.find((f) => f.endsWith('.dir'))!;
    rmSync(join(remoteDir, manifest));
    // An object directory the push lists but does not write.
    const listed = objects.find((f) => dirname(f) !== dirname(manifest))!;
    const dir = join(remoteDir, dirname(listed));
    const stale = join(dir, tempName());
    const young = join(dir, tempName());
    const notOurs = join(dir, '.partial.tmp');
    const old = new Date(Date.now() - 2 * 3600_000);
    for (const f of [stale, young, notOurs]) writeFileSync(f, 'x');
    for (const f of [stale, notOurs]) utimesSync(f, old, old);
    const again = await push();
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^1 uploaded/);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(young)).toBe(true);
    expect(existsSync(notOurs)).toBe(true);
  });

  it('a failing ProxyCommand of ~/.ssh/config: exit 1, its error as JSON on stderr, nothing on stdout', async () => {
    const home = join(root, 'home-proxy');
    mkdirSync(join(home, '.ssh'), { recursive: true });
    writeFileSync(join(home, '.ssh', 'known_hosts'), sshd.knownHostsLine);
    writeFileSync(
      join(home, '.ssh', 'config'),
      "Host behind\n  HostName 127.0.0.1\n  ProxyCommand echo 'gateway refused us' >&2; exit 1\n",
    );
    const proxyEnv = isolatedEnv(home);
    const project = join(root, 'project-proxy');
    await loggedProject(project, sshInit(`${sshd.dataDir}/cmf-e2e-proxy`, 'behind'), proxyEnv);
    const r = await runCmf(['artifact', 'push', '-p', 'Test-env', '--json'], {
      cwd: project,
      env: proxyEnv,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const { error } = JSON.parse(r.stderr);
    expect(error.code).toBe('REMOTE_UNREACHABLE');
    expect(error.message).toContain('gateway refused us');
  });

  it('a connection lost mid-transfer is made again and the transfer completes; a server gone for good is one error, exit 1', async () => {
    const relay = await startRelay();
    try {
      const project = join(root, 'project-lost');
      const remoteDir = `${sshd.dataDir}/cmf-e2e-lost`;
      await bigFileProject(project, sshInit(remoteDir, '127.0.0.1', relay.port), env, 24 << 20);
      const cmf = (args: string[], cwd = project) =>
        runCmf(['artifact', ...args, '-p', 'P', '--accept-new-host-key'], { cwd, env });
      const remoteTemps = () => listFiles(remoteDir).filter((f) => basename(f).startsWith('.'));

      // Dropped a third of the way through the upload: reconnected, uploaded again.
      relay.cutAfter('up', 8 << 20);
      const push = await cmf(['push']);
      expect(relay.cuts()).toBe(1);
      expect(push.stderr).toBe('');
      expect(push.code).toBe(0);
      expect(remoteTemps()).toEqual([]);
      const big = readFileSync(join(project, 'data', 'big.bin'));
      const onRemote = listFiles(remoteDir).find(
        (f) => statSync(join(remoteDir, f)).size === big.length,
      );
      expect(readFileSync(join(remoteDir, onRemote!)).equals(big)).toBe(true);

      // The same for a download.
      const clone = join(root, 'clone-lost');
      cloneProject(project, clone);
      relay.cutAfter('down', 8 << 20);
      const pull = await cmf(['pull'], clone);
      expect(relay.cuts()).toBe(2);
      expect(pull.stderr).toBe('');
      expect(pull.code).toBe(0);
      expect(readFileSync(join(clone, 'data', 'big.bin')).equals(big)).toBe(true);

      // The server goes away mid-download and stays away: one error naming it, exit 1.
      const gone = join(root, 'clone-gone');
      cloneProject(project, gone);
      relay.cutAfter('down', 8 << 20, true);
      const failed = await runCmf(['artifact', 'pull', '-p', 'P', '--json'], { cwd: gone, env });
      expect(relay.cuts()).toBe(3);
      expect(failed.code, failed.stderr).toBe(1);
      const { error } = JSON.parse(failed.stderr);
      expect(error.code).toBe('REMOTE_CONNECTION_LOST');
      expect(error.message).toMatch(
        new RegExp(
          `^Lost the connection to 127\\.0\\.0\\.1:${relay.port} during download of files/md5/.*reconnecting failed: Cannot reach`,
        ),
      );
      expect(error.hint).toContain(`127.0.0.1:${relay.port}`);
      expect(existsSync(join(gone, 'data', 'big.bin'))).toBe(false);
    } finally {
      relay.stop();
    }
  });

  it('a connection that stalls without closing is given up after the keepalives of ~/.ssh/config, and the transfer completes', async () => {
    const relay = await startRelay();
    try {
      const home = join(root, 'home-keepalive');
      mkdirSync(join(home, '.ssh'), { recursive: true });
      writeFileSync(join(home, '.ssh', 'known_hosts'), sshd.knownHostsLine);
      writeFileSync(
        join(home, '.ssh', 'config'),
        'Host 127.0.0.1\n  ServerAliveInterval 1\n  ServerAliveCountMax 2\n',
      );
      const kaEnv = isolatedEnv(home);
      const project = join(root, 'project-stall');
      const remoteDir = `${sshd.dataDir}/cmf-e2e-stall`;
      await bigFileProject(project, sshInit(remoteDir, '127.0.0.1', relay.port), kaEnv, 24 << 20);
      const cmf = (args: string[], cwd = project) =>
        runCmf(['artifact', ...args, '-p', 'P', '--accept-new-host-key'], { cwd, env: kaEnv });

      relay.stallAfter('up', 8 << 20);
      const push = await cmf(['push']);
      expect(relay.cuts()).toBe(1);
      expect(push.stderr).toBe('');
      expect(push.code).toBe(0);

      const clone = join(root, 'clone-stall');
      cloneProject(project, clone);
      relay.stallAfter('down', 8 << 20);
      const pull = await cmf(['pull'], clone);
      expect(relay.cuts()).toBe(2);
      expect(pull.stderr).toBe('');
      expect(pull.code).toBe(0);
      const big = readFileSync(join(project, 'data', 'big.bin'));
      expect(readFileSync(join(clone, 'data', 'big.bin')).equals(big)).toBe(true);

      // Stalled, and no new connection possible: one error saying the server stopped answering.
      const gone = join(root, 'clone-stall-gone');
      cloneProject(project, gone);
      relay.stallAfter('down', 8 << 20, true);
      const r = await runCmf(['artifact', 'pull', '-p', 'P', '--json'], { cwd: gone, env: kaEnv });
      expect(relay.cuts()).toBe(3);
      expect(r.code, r.stderr).toBe(1);
      const { error } = JSON.parse(r.stderr);
      expect(error.code).toBe('REMOTE_CONNECTION_LOST');
      expect(error.message).toContain(
        'the server stopped answering (no reply to SSH keepalives for 3 s',
      );
      expect(error.message).toContain('reconnecting failed: Cannot reach');
      expect(existsSync(join(gone, 'data', 'big.bin'))).toBe(false);
    } finally {
      relay.stop();
    }
  });

  it('a remote directory the SSH user may not write (push) or read (pull) is one error, not retried', async () => {
    const project = join(root, 'project-denied');
    // Owned by root, mode 0755: the SSH user can read it but not write into it.
    const locked = `${sshd.dataDir}/cmf-e2e-locked`;
    mkdirSync(locked);
    await loggedProject(project, sshInit(locked), env);
    const push = await runCmf(['artifact', 'push', '-p', 'Test-env'], { cwd: project, env });
    expect(push.code).toBe(1);
    // Once, not per object and per retry (that was 12 lines and 8 s).
    const lines = push.stderr.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^Error: mkdir .* failed: permission denied on .*cmf-e2e-locked$/),
      `Hint: Check that ${sshd.user} may write to ${locked} on the server (its owner and mode), then run the command again.`,
    ]);
    const json = await runCmf(['artifact', 'push', '-p', 'Test-env', '--json'], {
      cwd: project,
      env,
    });
    expect(JSON.parse(json.stderr).error.code).toBe('REMOTE_NOT_WRITABLE');

    // Pushed where it may write, then the objects made unreadable for it.
    const open = `${sshd.dataDir}/cmf-e2e-unreadable`;
    const other = join(root, 'project-unreadable');
    await loggedProject(other, sshInit(open), env);
    expect((await runCmf(['artifact', 'push', '-p', 'Test-env'], { cwd: other, env })).code).toBe(
      0,
    );
    chmodSync(join(open, 'files', 'md5'), 0);
    try {
      const clone = join(root, 'clone-unreadable');
      cloneProject(other, clone);
      const pull = await runCmf(['artifact', 'pull', '-p', 'Test-env', '--json'], {
        cwd: clone,
        env,
      });
      expect(pull.code).toBe(1);
      const { error } = JSON.parse(pull.stderr);
      expect(error.code).toBe('REMOTE_NOT_READABLE');
      expect(error.message).toContain('permission denied on');
      expect(error.hint).toContain(`Check that ${sshd.user} may read ${open}/files/md5/`);
    } finally {
      chmodSync(join(open, 'files', 'md5'), 0o755);
    }
  });
});
