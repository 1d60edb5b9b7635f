import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { Cmf } from '../../src/index.js';
import { LocalCache } from '../../src/hashing/cache.js';
import { serializeDvcFile, readDvcFile } from '../../src/hashing/dvcfile.js';
import { hashFile } from '../../src/hashing/file-hash.js';
import { manifestHash, serializeManifest } from '../../src/hashing/manifest.js';
import { cloneProject, listFiles } from './artifact-project.js';
import { runCmf } from './cli.js';

/**
 * DVC 2.x legacy objects through the built binary, for any remote: a project whose outputs
 * DVC 2 added (no `hash:` key, md5-dos2unix ids, objects in the legacy cache layout
 * `<cache>/ab/…`) and whose MLMD an old cmf wrote (legacy object URLs `<remote>/ab/…`).
 */

/** A text file with CRLF line ends: its md5-dos2unix id is not its raw md5. */
export const CRLF_TEXT = 'first line\r\nsecond line\r\n';

/** The legacy artifacts, as added to the project by {@link addLegacyArtifacts}. */
export interface LegacyArtifacts {
  /** `legacy/notes.txt` (CRLF text) and its legacy id. */
  file: { path: string; oid: string; rawMd5: string };
  /** `legacy/set` (a CRLF text file, a plain one, a binary one with CR LF bytes) and its id. */
  dir: { path: string; oid: string };
  /** Legacy cache keys (`ab/cdef…`) of every object of both, sorted. */
  keys: string[];
}

/** How a test sees a remote's storage directly (not through cmf), as DVC 2 would fill it. */
export interface RemoteView {
  /** The remote's url, the base of the object URLs recorded in MLMD. */
  url: string;
  /** Every key under the remote root, relative to it, sorted. */
  keys(): Promise<string[]>;
  read(key: string): Promise<Buffer>;
  write(key: string, bytes: Buffer): Promise<void>;
}

const LEGACY_FILES: Array<[string, Buffer]> = [
  ['crlf.txt', Buffer.from('a\r\nb\r\n')],
  ['plain.txt', Buffer.from('plain\n')],
  ['sub/bin.dat', Buffer.from([0, 0x0d, 0x0a, 0xff, 0x0d, 0x0a, 1])],
];

const legacyKey = (oid: string) => `${oid.slice(0, 2)}/${oid.slice(2)}`;

/** Removes a read-only cache object. */
function removeObject(path: string): void {
  chmodSync(path, 0o644);
  rmSync(path);
}

/**
 * Logs `legacy/notes.txt` and `legacy/set` in a stage `Legacy` of pipeline `Test-env`, then
 * rewrites them as DVC 2 and an old cmf left them: `.dvc` files without `hash:` and with
 * md5-dos2unix ids, objects only in the legacy cache layout, MLMD names/uri/Commit with the
 * legacy ids, and a legacy object URL on the directory. The file has no URL (as logged with
 * no remote configured): its `.dvc` file tells its layout. Commits the `.dvc` files.
 */
export async function addLegacyArtifacts(project: string, remoteUrl: string) {
  const dir = join(project, 'legacy/set');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(project, 'legacy/notes.txt'), CRLF_TEXT);
  for (const [rel, bytes] of LEGACY_FILES) writeFileSync(join(dir, rel), bytes);
  const cmf = await Cmf.open({ cwd: project, pipelineName: 'Test-env' });
  await cmf.createContext('Legacy');
  await cmf.createExecution('Legacy');
  await cmf.logDataset('legacy/notes.txt', 'output');
  await cmf.logDataset('legacy/set', 'output');
  await cmf.finalize();
  await cmf.close();

  const cache = new LocalCache(join(project, '.dvc/cache'));
  const legacyHash = async (p: string) => (await hashFile(p, { hashName: 'md5-dos2unix' })).md5;
  const renamed = new Map<string, string>(); // DVC 3 id → legacy id

  // The file.
  const fileDvc = join(project, 'legacy/notes.txt.dvc');
  const fileOut = (await readDvcFile(fileDvc)).outs[0]!;
  const fileOid = await legacyHash(join(project, 'legacy/notes.txt'));
  await cache.addFile(join(project, 'legacy/notes.txt'), fileOid, { legacy: true });
  removeObject(cache.objectPath(fileOut.md5!));
  writeFileSync(
    fileDvc,
    serializeDvcFile({ outs: [{ ...fileOut, md5: fileOid, hashName: 'md5-dos2unix' }] }),
  );
  renamed.set(fileOut.md5!, fileOid);

  // The directory: a manifest of md5-dos2unix ids.
  const dirDvc = join(project, 'legacy/set.dvc');
  const dirOut = (await readDvcFile(dirDvc)).outs[0]!;
  const entries = [];
  for (const [relpath] of LEGACY_FILES) {
    const md5 = await legacyHash(join(dir, relpath));
    await cache.addFile(join(dir, relpath), md5, { legacy: true });
    entries.push({ md5, relpath });
  }
  for (const e of await cache.readManifest(dirOut.md5!)) removeObject(cache.objectPath(e.md5));
  removeObject(cache.objectPath(dirOut.md5!));
  const manifest = serializeManifest(entries);
  const dirOid = manifestHash(manifest);
  await cache.addBytes(dirOid, manifest, { legacy: true });
  writeFileSync(
    dirDvc,
    serializeDvcFile({ outs: [{ ...dirOut, md5: dirOid, hashName: 'md5-dos2unix' }] }),
  );
  renamed.set(dirOut.md5!, dirOid);

  const db = new Database(join(project, 'mlmd'));
  for (const [from, to] of renamed) {
    const { id } = db.prepare('SELECT id FROM Artifact WHERE uri = ?').get(from) as { id: number };
    db.prepare(`UPDATE Artifact SET uri = ?, name = replace(name, ?, ?) WHERE id = ?`).run(
      to,
      from,
      to,
      id,
    );
    db.prepare(
      `UPDATE ArtifactProperty SET string_value = ? WHERE artifact_id = ? AND name = 'Commit'`,
    ).run(to, id);
    if (to === fileOid) {
      db.prepare(`DELETE FROM ArtifactProperty WHERE artifact_id = ? AND name = 'url'`).run(id);
    }
  }
  db.close();
  setLegacyUrl(project, dirOid, remoteUrl);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: project, stdio: 'pipe' });
  git('add', '-A', 'legacy');
  git('commit', '-q', '-m', 'DVC 2 outputs');

  const keys = [fileOid, dirOid, ...entries.map((e) => e.md5)].map(legacyKey).sort();
  const rawMd5 = (await hashFile(join(project, 'legacy/notes.txt'))).md5;
  return {
    file: { path: 'legacy/notes.txt', oid: fileOid, rawMd5 },
    dir: { path: 'legacy/set', oid: dirOid },
    keys,
  } satisfies LegacyArtifacts;
}

/** Sets the artifact's url property to a legacy object URL, as cmf with DVC 2 recorded it. */
export function setLegacyUrl(project: string, oid: string, remoteUrl: string): void {
  const db = new Database(join(project, 'mlmd'));
  const { id } = db.prepare('SELECT id FROM Artifact WHERE uri = ?').get(oid) as { id: number };
  const url = `Test-env:${remoteUrl.replace(/\/+$/, '')}/${legacyKey(oid)}`;
  db.prepare(`DELETE FROM ArtifactProperty WHERE artifact_id = ? AND name = 'url'`).run(id);
  db.prepare(
    `INSERT INTO ArtifactProperty (artifact_id, name, is_custom_property, string_value)
     VALUES (?, 'url', 0, ?)`,
  ).run(id, url);
  db.close();
}

/** The legacy workspace files of a project, relative, sorted. */
function legacyFiles(project: string): string[] {
  return listFiles(join(project, 'legacy')).filter((f) => !/(\.dvc|\.gitignore)$/.test(f));
}

/**
 * `cmf artifact push` of a project holding legacy artifacts: the remote gets their objects
 * at `<2>/<30>`, byte-identical to the legacy cache, and nothing of them under files/md5;
 * DVC 3 objects still go to files/md5. A second push finds everything there.
 */
export async function expectLegacyPush(
  project: string,
  legacy: LegacyArtifacts,
  remote: RemoteView,
  env: Record<string, string>,
): Promise<void> {
  const push = await runCmf(['artifact', 'push', '-p', 'Test-env', '--json'], {
    cwd: project,
    env,
  });
  expect(push.stderr).toBe('');
  expect(push.code).toBe(0);
  const cached = listFiles(join(project, '.dvc/cache'));
  expect(JSON.parse(push.stdout)).toMatchObject({ uploaded: cached.length, failed: [] });
  const keys = await remote.keys();
  expect(keys).toEqual(cached);
  expect(keys.filter((k) => !k.startsWith('files/'))).toEqual(legacy.keys);
  for (const key of legacy.keys)
    expect((await remote.read(key)).equals(readFileSync(join(project, '.dvc/cache', key)))).toBe(
      true,
    );
  // The CRLF file's legacy id is not its raw md5, and it never went under files/md5.
  expect(legacy.file.oid).not.toBe(legacy.file.rawMd5);
  expect(keys).not.toContain(`files/md5/${legacyKey(legacy.file.oid)}`);

  const again = await runCmf(['artifact', 'push', '-p', 'Test-env', '--json'], {
    cwd: project,
    env,
  });
  expect(again.code).toBe(0);
  expect(JSON.parse(again.stdout)).toMatchObject({
    uploaded: 0,
    present: cached.length,
    failed: [],
  });
}

/**
 * A remote that DVC 2 filled (legacy objects copied in as they are in the cache) and an
 * MLMD whose legacy artifacts all carry legacy URLs: `cmf artifact pull` into an empty clone
 * restores the legacy files byte-identical, their objects in the legacy cache layout; then a
 * corrupt legacy object on the remote is exit 5, and neither the cache nor the workspace get
 * anything of it.
 */
export async function expectLegacyPull(opts: {
  project: string;
  legacy: LegacyArtifacts;
  remote: RemoteView;
  env: Record<string, string>;
  /** Where to put the clones. */
  root: string;
  /** Points a clone's default remote at `remote` (an empty one, unlike the project's). */
  pointAt: (clone: string) => void;
}): Promise<void> {
  const { project, legacy, remote, env, root } = opts;
  expect(await remote.keys()).toEqual([]);
  for (const key of legacy.keys)
    await remote.write(key, readFileSync(join(project, '.dvc/cache', key)));
  const clone = (name: string) => {
    const dst = join(root, name);
    cloneProject(project, dst);
    opts.pointAt(dst);
    setLegacyUrl(dst, legacy.dir.oid, remote.url);
    setLegacyUrl(dst, legacy.file.oid, remote.url);
    return dst;
  };

  const full = clone('legacy-clone');
  const pull = await runCmf(['artifact', 'pull', '-p', 'Test-env', '-a', 'legacy/set'], {
    cwd: full,
    env,
  });
  expect(pull.stderr).toBe('');
  expect(pull.code).toBe(0);
  const file = await runCmf(['artifact', 'pull', '-p', 'Test-env', '-a', 'notes.txt', '--json'], {
    cwd: full,
    env,
  });
  expect(file.code, file.stderr).toBe(0);
  expect(JSON.parse(file.stdout)).toMatchObject({
    downloaded: 1,
    checkedOut: ['legacy/notes.txt'],
    failed: [],
  });
  expect(legacyFiles(full)).toEqual(legacyFiles(project));
  for (const f of legacyFiles(project))
    expect(
      readFileSync(join(full, 'legacy', f)).equals(readFileSync(join(project, 'legacy', f))),
      f,
    ).toBe(true);
  expect(listFiles(join(full, '.dvc/cache'))).toEqual(legacy.keys);

  // A corrupt legacy object: the CRLF file's, replaced by other text.
  await remote.write(legacyKey(legacy.file.oid), Buffer.from('not the notes\r\n'));
  const bad = clone('legacy-clone-corrupt');
  const dirPull = await runCmf(['artifact', 'pull', '-p', 'Test-env', '-a', 'legacy/set'], {
    cwd: bad,
    env,
  });
  expect(dirPull.code, dirPull.stderr).toBe(0);
  const r = await runCmf(['artifact', 'pull', '-p', 'Test-env', '-a', 'notes.txt', '--json'], {
    cwd: bad,
    env,
  });
  expect(r.code, r.stderr).toBe(5);
  const err = JSON.parse(r.stderr).error;
  expect(err.code).toBe('ARTIFACT_PULL_CORRUPT');
  expect(err.data.result.failed).toEqual([
    expect.objectContaining({
      oid: legacy.file.oid,
      code: 'REMOTE_OBJECT_CORRUPT',
      message: expect.stringContaining(legacyKey(legacy.file.oid)),
    }),
  ]);
  expect(legacyFiles(bad)).toEqual(legacyFiles(project).filter((f) => f !== 'notes.txt'));
  const cachedBad = listFiles(join(bad, '.dvc/cache'));
  expect(cachedBad.filter((k) => k.includes(legacy.file.oid.slice(2)))).toEqual([]);
  expect(cachedBad.filter((k) => !k.startsWith('files/'))).toEqual(
    legacy.keys.filter((k) => k !== legacyKey(legacy.file.oid)),
  );
}
