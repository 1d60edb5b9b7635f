/**
 * cmf artifact push / pull through the built binary, on a project made by `cmf init local`
 * and the example-get-started pipeline (plus a directory artifact), with a local remote.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  chmodSync,
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bigFileProject,
  cloneProject,
  listFiles,
  loggedProject,
  trackedFiles,
} from '../helpers/artifact-project.js';
import { isolatedEnv, runCmf } from '../helpers/cli.js';
import { pushArtifacts } from '../../src/artifacts/index.js';
import { NotFoundError } from '../../src/errors/index.js';
import { Cmf } from '../../src/index.js';

const repoRoot = resolve(import.meta.dirname, '../..');
let root: string;
let project: string;
let remote: string;
let env: Record<string, string>;
let n = 0;

const cmf = (args: string[], cwd: string) => runCmf(args, { cwd, env });

/** A clone of the project, optionally pointed at another remote directory. */
function clone(remoteDir?: string): string {
  const dst = join(root, `clone-${n++}`);
  cloneProject(project, dst);
  if (remoteDir) {
    const cfg = join(dst, '.dvc/config');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(remote, remoteDir));
  }
  return dst;
}

/** The oid of artifacts/data.xml.gz, from its .dvc file in the project. */
function dataOid(): string {
  const dvc = readFileSync(join(project, 'artifacts/data.xml.gz.dvc'), 'utf8');
  return /md5: ([0-9a-f]{32})/.exec(dvc)![1]!;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cmf-e2e-transfer-'));
  project = join(root, 'project');
  remote = join(root, 'remote');
  mkdirSync(join(root, 'home'));
  env = isolatedEnv(join(root, 'home'));
  await loggedProject(project, ['local', '--path', remote], env);
}, 60_000);

afterAll(() => rm(root, { recursive: true, force: true }));

describe('cmf artifact push', () => {
  it('fills the remote with exactly the cached objects, in the DVC 3 layout; a second push is a no-op', async () => {
    const r = await cmf(['artifact', 'push', '-p', 'Test-env'], project);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const cached = listFiles(join(project, '.dvc/cache'));
    expect(cached.length).toBeGreaterThan(10);
    expect(cached.every((f) => /^files\/md5\/[0-9a-f]{2}\/[0-9a-f]{30}(\.dir)?$/.test(f))).toBe(
      true,
    );
    expect(listFiles(remote)).toEqual(cached);
    for (const f of cached)
      expect(
        readFileSync(join(remote, f)).equals(readFileSync(join(project, '.dvc/cache', f))),
      ).toBe(true);
    expect(r.stdout).toMatch(
      new RegExp(`^${cached.length} uploaded \\(.*\\), 0 already there, 0 failed`),
    );

    const again = await cmf(['artifact', 'push', '-p', 'Test-env', '--json'], project);
    expect(again.code).toBe(0);
    const j = JSON.parse(again.stdout);
    expect(j).toMatchObject({ uploaded: 0, present: cached.length, failed: [], bytes: 0 });
  });

  it("with an execution uuid (repo push -e) pushes only that execution's artifacts; an unknown uuid is NotFound", async () => {
    const copy = join(root, `one-execution-${n++}`);
    const other = join(root, 'remote-one-execution');
    cpSync(project, copy, { recursive: true });
    const cfg = join(copy, '.dvc/config');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(remote, other));
    // The oracle, straight from MLMD: the Collect execution's uuid and every object of the
    // artifacts its events link (its directory output, and the environment file each
    // execution takes as input), directories with the files their manifests list.
    const db = new Database(join(copy, 'mlmd'), { readonly: true });
    const { id, uuid } = db
      .prepare(
        `SELECT x.id AS id, p.string_value AS uuid FROM Execution x
           JOIN ExecutionProperty p ON p.execution_id = x.id AND p.name = 'Execution_uuid'
           JOIN Event e ON e.execution_id = x.id JOIN Artifact a ON a.id = e.artifact_id
         WHERE a.name LIKE 'artifacts/images:%'`,
      )
      .get() as { id: number; uuid: string };
    const oids = (
      db
        .prepare(
          `SELECT a.uri AS oid FROM Event e JOIN Artifact a ON a.id = e.artifact_id
             JOIN Type t ON t.id = a.type_id
           WHERE e.execution_id = ? AND t.name NOT IN ('Metrics', 'Label')`,
        )
        .all(id) as Array<{ oid: string }>
    ).map((r) => r.oid);
    db.close();
    expect(oids.length).toBeGreaterThan(1);
    const expected = oids.flatMap((oid) =>
      oid.endsWith('.dir')
        ? [
            oid,
            ...(
              JSON.parse(
                readFileSync(
                  join(copy, '.dvc/cache/files/md5', oid.slice(0, 2), oid.slice(2)),
                  'utf8',
                ),
              ) as Array<{ md5: string }>
            ).map((e) => e.md5),
          ]
        : [oid],
    );
    const key = (oid: string) => `files/md5/${oid.slice(0, 2)}/${oid.slice(2)}`;

    const r = await pushArtifacts({
      cwd: copy,
      mlmdPath: 'mlmd',
      pipeline: 'Test-env',
      executionUuid: uuid,
    });
    expect(r).toMatchObject({ artifacts: oids.length, failed: [] });
    expect(listFiles(other)).toEqual([...new Set(expected.map(key))].sort());
    // Less than everything: the pipeline's other executions had objects of their own.
    expect(listFiles(other).length).toBeLessThan(listFiles(join(copy, '.dvc/cache')).length);

    const err = await pushArtifacts({
      cwd: copy,
      mlmdPath: 'mlmd',
      pipeline: 'Test-env',
      executionUuid: uuid.slice(0, 8), // a part of a uuid is not the uuid
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).code).toBe('EXECUTION_NOT_FOUND');
    // ... but it is suggested.
    expect((err as NotFoundError).data?.suggestions).toEqual([uuid]);
    expect((err as NotFoundError).hint).toMatch(/^Did you mean '.+'\? -e takes the whole uuid\./);
  });

  it('not initialised is exit 4; an unknown pipeline is exit 3', async () => {
    const bare = join(root, 'bare');
    mkdirSync(bare);
    const r = await cmf(['artifact', 'push', '-p', 'Test-env'], bare);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/not configured/);
    const p = await cmf(['artifact', 'push', '-p', 'Nope'], project);
    expect(p.code).toBe(3);
    expect(p.stderr).toMatch(/Pipeline "Nope" doesn't exist/);
    const q = await cmf(['artifact', 'pull', '-p', 'Nope'], project);
    expect(q.code).toBe(3);
  });
});

describe('cmf artifact pull', () => {
  it('restores every tracked file byte-identical in an empty clone; a second pull changes nothing', async () => {
    await cmf(['artifact', 'push', '-p', 'Test-env'], project);
    const dir = clone();
    const files = trackedFiles(project);
    expect(files).toContain('artifacts/images/sub/ünïcødé/c d é.txt');
    for (const f of files) expect(existsSync(join(dir, f))).toBe(false);

    const r = await cmf(['artifact', 'pull', '-p', 'Test-env'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const f of files)
      expect(readFileSync(join(dir, f)).equals(readFileSync(join(project, f))), f).toBe(true);
    expect(r.stdout).toMatch(/, 0 already in cache, 0 failed; \d+ files checked out/);

    const again = await cmf(['artifact', 'pull', '-p', 'Test-env', '--json'], dir);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      downloaded: 0,
      filesWritten: 0,
      filesUnchanged: files.length,
      failed: [],
    });
  });

  it('a file its .dvc marks isexec is checked out executable, as DVC does; others are not', async () => {
    const dir = join(root, 'project-exec');
    await loggedProject(dir, ['local', '--path', join(root, 'remote-exec')], env);
    mkdirSync(join(dir, 'tools'));
    writeFileSync(join(dir, 'tools/run.sh'), '#!/bin/sh\necho run\n', { mode: 0o755 });
    const lib = await Cmf.open({ cwd: dir, pipelineName: 'Test-env' });
    await lib.createContext('Tools');
    await lib.createExecution('Tools');
    await lib.logDataset('tools/run.sh', 'output');
    await lib.finalize();
    await lib.close();
    expect(readFileSync(join(dir, 'tools/run.sh.dvc'), 'utf8')).toContain('isexec: true');
    expect((await cmf(['artifact', 'push', '-p', 'Test-env'], dir)).code).toBe(0);

    const other = join(root, 'clone-exec');
    cloneProject(dir, other);
    const r = await cmf(['artifact', 'pull', '-p', 'Test-env'], other);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(join(other, 'tools/run.sh')).mode & 0o111).not.toBe(0);
    expect(statSync(join(other, 'artifacts/data.xml.gz')).mode & 0o111).toBe(0);
    // An up-to-date copy that lost its x bits gets them back on the next pull.
    chmodSync(join(other, 'tools/run.sh'), 0o644);
    expect((await cmf(['artifact', 'pull', '-p', 'Test-env'], other)).code).toBe(0);
    expect(statSync(join(other, 'tools/run.sh')).mode & 0o111).not.toBe(0);
  });

  it('cache.shared = group: the cache directories pull and the library make are group-writable with setgid (0o2775), whatever the umask', async () => {
    await cmf(['artifact', 'push', '-p', 'Test-env'], project);
    const dir = clone();
    appendFileSync(join(dir, '.dvc/config'), '[cache]\n    shared = group\n');
    const r = await cmf(['artifact', 'pull', '-p', 'Test-env'], dir);
    expect(r.code, r.stderr).toBe(0);
    const cache = join(dir, '.dvc/cache');
    const dirModes = (root: string): number[] => {
      const out: number[] = [];
      const walk = (d: string): void => {
        out.push(statSync(d).mode & 0o7777);
        for (const e of readdirSync(d, { withFileTypes: true }))
          if (e.isDirectory()) walk(join(d, e.name));
      };
      walk(root);
      return out;
    };
    const modes = dirModes(cache);
    expect(modes.length).toBeGreaterThan(3);
    expect(new Set(modes)).toEqual(new Set([0o2775]));
    // Objects stay read-only, as DVC keeps them.
    expect(
      statSync(join(cache, 'files/md5', dataOid().slice(0, 2), dataOid().slice(2))).mode & 0o777,
    ).toBe(0o444);

    // The library's adds too (a new object in a new fan-out directory).
    writeFileSync(join(dir, 'extra.txt'), 'extra shared\n');
    const lib = await Cmf.open({ cwd: dir, pipelineName: 'Test-env' });
    await lib.createContext('Extra');
    await lib.createExecution('Extra');
    await lib.logDataset('extra.txt', 'output');
    await lib.close();
    expect(new Set(dirModes(cache))).toEqual(new Set([0o2775]));
  });

  it('records the files it writes in the hash state, so a later pull stats them instead of reading them, and still sees a change', async () => {
    await cmf(['artifact', 'push', '-p', 'Test-env'], project);
    const dir = clone();
    expect((await cmf(['artifact', 'pull', '-p', 'Test-env'], dir)).code).toBe(0);
    const db = new Database(join(dir, '.dvc/tmp/cmf-state.db'), { readonly: true });
    const rows = db.prepare('SELECT path, md5 FROM state').all() as Array<{
      path: string;
      md5: string;
    }>;
    db.close();
    const recorded = new Map(rows.map((r) => [r.path, r.md5]));
    const files = trackedFiles(project);
    for (const f of files) {
      const md5 = createHash('md5')
        .update(readFileSync(join(project, f)))
        .digest('hex');
      expect(recorded.get(join(dir, f)), f).toBe(md5);
    }

    // A file changed after the pull is not taken for the recorded one.
    const victim = join(dir, files[0]!);
    writeFileSync(victim, 'edited after the pull\n');
    const refused = await cmf(['artifact', 'pull', '-p', 'Test-env'], dir);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(files[0]!);
    expect((await cmf(['artifact', 'pull', '-p', 'Test-env', '--force'], dir)).code).toBe(0);
    expect(readFileSync(victim).equals(readFileSync(join(project, files[0]!)))).toBe(true);
  });

  it('-a pulls one artifact by file name, path or full name; an unknown one is exit 3', async () => {
    await cmf(['artifact', 'push', '-p', 'Test-env'], project);
    const dir = clone();
    const r = await cmf(['artifact', 'pull', '-p', 'Test-env', '-a', 'data.xml.gz'], dir);
    expect(r.code).toBe(0);
    const pulled = listFiles(dir, ['.git', '.dvc']).filter((f) => !f.endsWith('.dvc'));
    expect(pulled.filter((f) => !/\.gitignore$|^\.cmfconfig$|^mlmd$/.test(f))).toEqual([
      'artifacts/data.xml.gz',
    ]);
    expect(readFileSync(join(dir, 'artifacts/data.xml.gz'))).toEqual(
      readFileSync(join(project, 'artifacts/data.xml.gz')),
    );

    const d = await cmf(['artifact', 'pull', '-p', 'Test-env', '-a', 'artifacts/images'], dir);
    expect(d.code).toBe(0);
    expect(listFiles(join(dir, 'artifacts/images'))).toEqual(
      listFiles(join(project, 'artifacts/images')),
    );

    const names = JSON.parse(
      (await cmf(['artifact', 'list', '-p', 'Test-env', '--json'], project)).stdout,
    ) as Array<{ name: string }>;
    const full = names.find((a) => a.name.startsWith('artifacts/parsed/train.tsv:'))!.name;
    const f = await cmf(['artifact', 'pull', '-p', 'Test-env', '-a', full, '--json'], dir);
    expect(f.code).toBe(0);
    expect(JSON.parse(f.stdout).checkedOut).toEqual(['artifacts/parsed/train.tsv']);

    const u = await cmf(['artifact', 'pull', '-p', 'Test-env', '-a', 'nope.txt'], dir);
    expect(u.code).toBe(3);
    expect(u.stderr).toMatch(/Artifact "nope.txt" not found/);
    // A file of a directory artifact is not an artifact: the hint names the directory.
    const inDir = listFiles(join(project, 'artifacts/images'))[0]!;
    const w = await cmf(
      ['artifact', 'pull', '-p', 'Test-env', '-a', `artifacts/images/${inDir}`],
      dir,
    );
    expect(w.code).toBe(3);
    expect(w.stderr).toContain(
      'Hint: It is inside the directory artifact artifacts/images, which is versioned whole: pull it with -a artifacts/images.',
    );
  });

  it('url properties written elsewhere (another remote, several pipelines) pull from the configured remote', async () => {
    await cmf(['artifact', 'push', '-p', 'Test-env'], project);
    const dir = clone();
    // As Python cmf leaves them: the object URL of the remote used when logging (here an S3
    // bucket with a prefix), comma-joined with another pipeline's entry listed first.
    const db = new Database(join(dir, 'mlmd'));
    const { changes } = db
      .prepare(
        `UPDATE ArtifactProperty SET string_value =
         'Test:/elsewhere/files/md5/00/' || substr('${'0'.repeat(30)}', 1, 30) || ',' ||
         replace(string_value, ?, 's3://other-bucket/some/prefix')
       WHERE name = 'url' AND string_value LIKE 'Test-env:%'`,
      )
      .run(remote);
    db.close();
    expect(changes).toBeGreaterThanOrEqual(10);
    const r = await cmf(['artifact', 'pull', '-p', 'Test-env', '--json'], dir);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).failed).toEqual([]);
    for (const f of trackedFiles(project))
      expect(readFileSync(join(dir, f)).equals(readFileSync(join(project, f))), f).toBe(true);
  });

  it('a corrupt object on the remote is exit 5 naming it; its file is not written, the others are', async () => {
    await cmf(['artifact', 'push', '-p', 'Test-env'], project);
    const bad = join(root, 'remote-corrupt');
    cpSync(remote, bad, { recursive: true });
    const dvc = readFileSync(join(project, 'artifacts/data.xml.gz.dvc'), 'utf8');
    const oid = /md5: ([0-9a-f]{32})/.exec(dvc)![1]!;
    const obj = join(bad, 'files/md5', oid.slice(0, 2), oid.slice(2));
    chmodSync(obj, 0o644);
    writeFileSync(obj, 'not the data');
    const dir = clone(bad);

    const r = await cmf(['artifact', 'pull', '-p', 'Test-env'], dir);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(oid);
    expect(r.stderr).toMatch(/corrupt/);
    expect(existsSync(join(dir, 'artifacts/data.xml.gz'))).toBe(false);
    expect(existsSync(join(dir, '.dvc/cache/files/md5', oid.slice(0, 2), oid.slice(2)))).toBe(
      false,
    );
    expect(readFileSync(join(dir, 'artifacts/parsed/train.tsv'))).toEqual(
      readFileSync(join(project, 'artifacts/parsed/train.tsv')),
    );

    const j = await cmf(['artifact', 'pull', '-p', 'Test-env', '-a', 'data.xml.gz', '--json'], dir);
    expect(j.code).toBe(5);
    const err = JSON.parse(j.stderr).error;
    expect(err.code).toBe('ARTIFACT_PULL_CORRUPT');
    expect(err.data.result.failed[0]).toMatchObject({
      oid,
      code: 'REMOTE_OBJECT_CORRUPT',
      artifacts: [expect.stringMatching(/^artifacts\/data\.xml\.gz:/)],
    });
  });

  it('a corrupt file of a directory on the remote names the manifest to delete; doing what the hint says repairs the remote', async () => {
    await cmf(['artifact', 'push', '-p', 'Test-env'], project);
    const bad = join(root, 'remote-corrupt-member');
    cpSync(remote, bad, { recursive: true });
    const member = createHash('md5').update('image a\n').digest('hex');
    const key = `files/md5/${member.slice(0, 2)}/${member.slice(2)}`;
    chmodSync(join(bad, key), 0o644);
    writeFileSync(join(bad, key), 'not the image');

    const r = await cmf(['artifact', 'pull', '-p', 'Test-env', '--json'], clone(bad));
    expect(r.code).toBe(5);
    const err = JSON.parse(r.stderr).error;
    const failure = err.data.result.failed.find((f: { oid: string }) => f.oid === member);
    const manifest = failure.manifest as string;
    expect(manifest).toMatch(/^files\/md5\/[0-9a-f]{2}\/[0-9a-f]{30}\.dir$/);
    expect(failure.message).toContain(`listed by the directory manifest ${manifest}`);
    expect(err.hint).toMatch(/and the directory manifest named with it/);

    // The hint: delete both on the remote, push from a project with a good cache, pull.
    rmSync(join(bad, key));
    rmSync(join(bad, manifest));
    const good = clone(bad);
    cpSync(join(project, '.dvc/cache'), join(good, '.dvc/cache'), { recursive: true });
    const push = await cmf(['artifact', 'push', '-p', 'Test-env', '--json'], good);
    expect(push.code, push.stderr).toBe(0);
    expect(JSON.parse(push.stdout)).toMatchObject({ uploaded: 2 });
    const again = clone(bad);
    const pull = await cmf(['artifact', 'pull', '-p', 'Test-env'], again);
    expect(pull.code, pull.stderr).toBe(0);
    expect(readFileSync(join(again, 'artifacts/images/a.txt'), 'utf8')).toBe('image a\n');
  });

  it('a corrupt cache object is fetched again and the right bytes are checked out; --force re-checks the workspace', async () => {
    await cmf(['artifact', 'push', '-p', 'Test-env'], project);
    const dir = clone();
    expect((await cmf(['artifact', 'pull', '-p', 'Test-env'], dir)).code).toBe(0);
    const oid = dataOid();
    const obj = join(dir, '.dvc/cache/files/md5', oid.slice(0, 2), oid.slice(2));
    const good = readFileSync(join(project, 'artifacts/data.xml.gz'));
    chmodSync(obj, 0o644);
    appendFileSync(obj, 'junk');
    await rm(join(dir, 'artifacts/data.xml.gz'));

    const r = await cmf(['artifact', 'pull', '-p', 'Test-env'], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `corrupt cache object(s) with verified copies from the remote: ${oid}`,
    );
    expect(readFileSync(join(dir, 'artifacts/data.xml.gz')).equals(good)).toBe(true);
    expect(readFileSync(obj).equals(good)).toBe(true);

    // A workspace file whose state entry claims the right hash for wrong bytes (as an older
    // cmf left it) is rewritten by --force, which re-reads instead of trusting the entry.
    const ws = join(dir, 'artifacts/data.xml.gz');
    const db = new Database(join(dir, '.dvc/tmp/cmf-state.db'));
    const before = db.prepare('SELECT * FROM state WHERE path = ?').get(ws) as Record<
      string,
      unknown
    >;
    chmodSync(ws, 0o644);
    const fd = openSync(ws, 'r+');
    writeSync(fd, Buffer.from('X'), 0, 1, 0); // same size
    closeSync(fd);
    const st = statSync(ws, { bigint: true });
    db.prepare('UPDATE state SET ino = ?, mtime_ns = ?, mtime_ms = ? WHERE path = ?').run(
      BigInt.asIntN(64, st.ino),
      st.mtimeNs,
      st.mtimeMs,
      ws,
    );
    db.close();
    expect(before.md5).toBe(oid);
    const f = await cmf(
      ['artifact', 'pull', '-p', 'Test-env', '-a', 'data.xml.gz', '--force'],
      dir,
    );
    expect(f.code).toBe(0);
    expect(readFileSync(ws).equals(good)).toBe(true);
  });

  it('push refuses a corrupt cache object (exit 5, naming it and its artifact) and uploads the rest', async () => {
    await cmf(['artifact', 'push', '-p', 'Test-env'], project);
    const dir = clone();
    expect((await cmf(['artifact', 'pull', '-p', 'Test-env'], dir)).code).toBe(0);
    const fresh = join(root, 'remote-fresh');
    const cfg = join(dir, '.dvc/config');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(remote, fresh));
    const oid = dataOid();
    const obj = join(dir, '.dvc/cache/files/md5', oid.slice(0, 2), oid.slice(2));
    chmodSync(obj, 0o644);
    appendFileSync(obj, 'junk');

    const r = await cmf(['artifact', 'push', '-p', 'Test-env'], dir);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(oid);
    expect(r.stderr).toContain('artifacts/data.xml.gz');
    expect(r.stderr).toMatch(/corrupt/);
    expect(existsSync(join(fresh, 'files/md5', oid.slice(0, 2), oid.slice(2)))).toBe(false);
    expect(listFiles(join(fresh, 'files')).length).toBeGreaterThan(5);
  });

  it('a missing object is exit 1; pull is not initialised → exit 4', async () => {
    await cmf(['artifact', 'push', '-p', 'Test-env'], project);
    const gone = join(root, 'remote-missing');
    cpSync(remote, gone, { recursive: true });
    const dvc = readFileSync(join(project, 'artifacts/model/model.pkl.dvc'), 'utf8');
    const oid = /md5: ([0-9a-f]{32})/.exec(dvc)![1]!;
    await rm(join(gone, 'files/md5', oid.slice(0, 2), oid.slice(2)), { force: true });
    const dir = clone(gone);
    const r = await cmf(['artifact', 'pull', '-p', 'Test-env'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(oid);
    expect(existsSync(join(dir, 'artifacts/model/model.pkl'))).toBe(false);

    const bare = join(root, 'bare-pull');
    mkdirSync(bare);
    expect((await cmf(['artifact', 'pull', '-p', 'Test-env'], bare)).code).toBe(4);
  });
});

describe.skipIf(process.getuid?.() !== 0)(
  'local directories that cannot take the files (root: mounts)',
  () => {
    /** `fn` with a `mount` of `args` on `dir`, unmounted afterwards whatever happens. */
    async function mounted(args: string[], dir: string, fn: () => Promise<void>): Promise<void> {
      execFileSync('mount', [...args, dir]);
      try {
        await fn();
      } finally {
        execFileSync('umount', [dir]);
      }
    }

    it('a full remote stops the push with one REMOTE_FULL error whose --json data carries the counts so far, its bytes those of completed uploads only', async () => {
      const dir = join(root, 'full-project');
      const full = join(root, 'full-remote');
      mkdirSync(full);
      await bigFileProject(dir, ['local', '--path', full], env, 2 << 20);
      // 1 MiB: the small file fits, the big one does not.
      await mounted(['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs'], full, async () => {
        const r = await cmf(['artifact', 'push', '-p', 'P', '-j', '2', '--json'], dir);
        expect(r.code).toBe(1);
        const err = JSON.parse(r.stderr).error;
        expect(err.code).toBe('REMOTE_FULL');
        // What made it is on the remote; the bytes are those of these objects, exactly. (How
        // many finish before the big file's failure stops the push depends on timing: the
        // big file goes first, the small ones beside it.)
        const stored = listFiles(full).map((f) => statSync(join(full, f)).size);
        expect(err.data.result).toMatchObject({
          pipeline: 'P',
          uploaded: stored.length,
          bytes: stored.reduce((a, b) => a + b, 0),
          failed: [],
        });
      });
    });

    it('a remote or a cache on a read-only file system is one error naming it, not ENOENT per object', async () => {
      const ro = join(root, 'ro-remote');
      mkdirSync(ro);
      const pusher = clone(ro);
      cpSync(join(project, '.dvc/cache'), join(pusher, '.dvc/cache'), { recursive: true });
      await mounted(['--bind', '-o', 'ro', ro], ro, async () => {
        const r = await cmf(['artifact', 'push', '-p', 'Test-env', '--json'], pusher);
        expect(r.code).toBe(1);
        const err = JSON.parse(r.stderr).error;
        expect(err.code, r.stderr).toBe('REMOTE_NOT_WRITABLE');
        expect(err.message).toContain(`read-only file system on ${ro}`);
        expect(r.stderr).not.toContain('ENOENT');
      });

      await cmf(['artifact', 'push', '-p', 'Test-env'], project);
      const dst = clone();
      const cache = join(dst, '.dvc/cache');
      mkdirSync(cache, { recursive: true });
      await mounted(['--bind', '-o', 'ro', cache], cache, async () => {
        const r = await cmf(['artifact', 'pull', '-p', 'Test-env', '--json'], dst);
        expect(r.code).toBe(1);
        const err = JSON.parse(r.stderr).error;
        expect(err.code).toBe('CACHE_NOT_WRITABLE');
        expect(err.message).toContain(cache);
        expect(err.data.result).toMatchObject({ downloaded: 0, failed: [] });
      });
    });

    it('a directory inside a directory artifact that the user cannot read: that artifact fails with PERMISSION_DENIED naming it', async (ctx) => {
      if (spawnSync('setpriv', ['--version']).status !== 0) return ctx.skip();
      await cmf(['artifact', 'push', '-p', 'Test-env'], project);
      const dst = clone();
      expect((await cmf(['artifact', 'pull', '-p', 'Test-env'], dst)).code).toBe(0);
      const locked = join(dst, 'artifacts', 'images', 'locked');
      mkdirSync(locked);
      chmodSync(locked, 0o000);
      try {
        // As a user's process: without the capabilities that let root read everything.
        const run = spawnSync(
          'setpriv',
          ['--bounding-set', '-dac_override,-dac_read_search', join(repoRoot, 'bin', 'cmf')].concat(
            ['artifact', 'pull', '-p', 'Test-env', '--json'],
          ),
          { cwd: dst, env: { ...process.env, ...env }, encoding: 'utf8' },
        );
        expect(run.status, run.stderr).toBe(1);
        const failed = JSON.parse(run.stderr).error.data.result.failed as Array<{
          artifacts: string[];
          code: string;
          message: string;
        }>;
        expect(failed).toEqual([
          expect.objectContaining({
            code: 'PERMISSION_DENIED',
            message: expect.stringContaining(`Cannot read ${locked}: permission denied`),
          }),
        ]);
      } finally {
        chmodSync(locked, 0o755);
      }
    });

    it('a work tree on a read-only file system: a directory artifact says EROFS and names the directory, as a file artifact says EROFS, not ENOENT', async () => {
      await cmf(['artifact', 'push', '-p', 'Test-env'], project);
      const dst = clone();
      const artifacts = join(dst, 'artifacts');
      await mounted(['--bind', '-o', 'ro', artifacts], artifacts, async () => {
        const r = await cmf(['artifact', 'pull', '-p', 'Test-env', '--json'], dst);
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).not.toContain('ENOENT');
        const failed = JSON.parse(r.stderr).error.data.result.failed as Array<{
          artifacts: string[];
          code: string;
          message: string;
        }>;
        const of = (name: string) =>
          failed.find((f) => f.artifacts.some((a) => a.startsWith(name)));
        expect(of('artifacts/images')).toMatchObject({
          code: 'PERMISSION_DENIED',
          message: `artifacts/images was not checked out: Cannot create directory ${join(artifacts, 'images')}: its file system is read-only (EROFS)`,
        });
        expect(of('artifacts/data.xml.gz')).toMatchObject({
          code: 'PERMISSION_DENIED',
          message: `artifacts/data.xml.gz was not checked out: Cannot write ${join(artifacts, 'data.xml.gz')}: its file system is read-only (EROFS)`,
        });
      });
    });
  },
);
