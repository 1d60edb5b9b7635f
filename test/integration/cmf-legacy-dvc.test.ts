/**
 * Logging a file that a DVC 2.x (legacy) `.dvc` file already tracks (spec/formats.md A2,
 * cmf-reference.md §5.4: cmf runs `dvc add` first): unchanged content stays legacy — the
 * `.dvc` file untouched, the object in the legacy cache layout, the artifact named by the
 * legacy id with a legacy-layout url, and `cmf artifact push` puts it in the remote's legacy
 * layout; changed content switches to md5 and keeps the user's comments.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pushArtifacts } from '../../src/artifacts/index.js';
import { LocalCache } from '../../src/hashing/cache.js';
import { Cmf } from '../../src/index.js';
import { cmfProject } from '../helpers/cmf-project.js';
import { MlmdSql } from '../helpers/mlmd-sql.js';

const CRLF = 'hello\r\nworld\r\n';
const RAW_MD5 = '7ac062d8a84466e70d9b899c0821a51c';
const LEGACY = '0f723ae7f9bf07744445e93ac5595156';
const LEGACY_DVC =
  `# my comment\n` +
  `outs:\n- md5: ${LEGACY}\n  size: 14\n  path: crlf.txt\n  desc: hello world with CRLF\n`;
const legacyKey = (oid: string) => `${oid.slice(0, 2)}/${oid.slice(2)}`;

let sql: MlmdSql | undefined;
afterEach(() => {
  sql?.close();
  sql = undefined;
});

/** Every file under `dir`, relative, sorted. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** The tester's project: `crlf.txt`, its DVC 2.x `.dvc` file, its object in the legacy cache. */
async function legacyProject() {
  const p = await cmfProject();
  writeFileSync(join(p.dir, 'crlf.txt'), CRLF);
  writeFileSync(join(p.dir, 'crlf.txt.dvc'), LEGACY_DVC);
  const cache = new LocalCache(join(p.dir, '.dvc', 'cache'));
  await cache.addFile(join(p.dir, 'crlf.txt'), LEGACY, { legacy: true });
  return p;
}

async function logInput(dir: string, path: string) {
  const cmf = await Cmf.open({ cwd: dir, pipelineName: 'Test-env' });
  await cmf.createContext('Prepare');
  await cmf.createExecution('Prepare');
  await cmf.logDataset(path, 'input');
  await cmf.close();
}

function datasets(dir: string) {
  sql ??= new MlmdSql(join(dir, 'mlmd'));
  return sql.all<{ name: string; uri: string; url: string; commit: string }>(
    `SELECT a.name, a.uri,
       (SELECT string_value FROM ArtifactProperty WHERE artifact_id = a.id AND name = 'url') AS url,
       (SELECT string_value FROM ArtifactProperty WHERE artifact_id = a.id AND name = 'Commit') AS "commit"
     FROM Artifact a JOIN Type t ON t.id = a.type_id WHERE t.name = 'Dataset' ORDER BY a.id`,
  );
}

describe('logging a file tracked by a DVC 2.x .dvc file', () => {
  it('keeps unchanged content legacy, and push puts its object in the remote legacy layout', async () => {
    const p = await legacyProject();
    await logInput(p.dir, 'crlf.txt');

    expect(readFileSync(join(p.dir, 'crlf.txt.dvc'), 'utf8')).toBe(LEGACY_DVC);
    // The legacy object, and nothing of crlf.txt under files/md5 (there is the environment's).
    const cached = files(join(p.dir, '.dvc', 'cache'));
    expect(cached.filter((f) => !f.startsWith('files/md5/'))).toEqual([legacyKey(LEGACY)]);
    expect(cached).not.toContain(`files/md5/${legacyKey(RAW_MD5)}`);
    expect(cached).not.toContain(`files/md5/${legacyKey(LEGACY)}`);
    expect(datasets(p.dir)).toEqual([
      {
        name: `crlf.txt:${LEGACY}`,
        uri: LEGACY,
        commit: LEGACY,
        url: `Test-env:${p.remote}/${legacyKey(LEGACY)}`,
      },
    ]);

    const pushed = await pushArtifacts({
      cwd: p.dir,
      projectRoot: p.dir,
      mlmdPath: join(p.dir, 'mlmd'),
      pipeline: 'Test-env',
    });
    expect(pushed).toMatchObject({ failed: [], skipped: [] });
    const onRemote = files(p.remote);
    expect(onRemote).toContain(legacyKey(LEGACY));
    expect(
      onRemote.filter((f) => f.includes(LEGACY.slice(2)) || f.includes(RAW_MD5.slice(2))),
    ).toEqual([legacyKey(LEGACY)]);
    expect(readFileSync(join(p.remote, legacyKey(LEGACY)), 'utf8')).toBe(CRLF);
  });

  it('switches changed content to md5, keeping the comment, and logs the md5', async () => {
    const p = await legacyProject();
    writeFileSync(join(p.dir, 'crlf.txt'), 'hello\r\nthere\r\n');
    await logInput(p.dir, 'crlf.txt');
    const text = readFileSync(join(p.dir, 'crlf.txt.dvc'), 'utf8');
    const now = /md5: ([0-9a-f]{32})/.exec(text)![1]!;
    expect(text).toBe(
      `# my comment\n` +
        `outs:\n- md5: ${now}\n  size: 14\n  hash: md5\n  path: crlf.txt\n  desc: hello world with CRLF\n`,
    );
    expect(datasets(p.dir)).toEqual([
      {
        name: `crlf.txt:${now}`,
        uri: now,
        commit: now,
        url: `Test-env:${p.remote}/files/md5/${legacyKey(now)}`,
      },
    ]);
  });

  it('keeps the comments of a DVC 3 .dvc file when changed content is logged again', async () => {
    const p = await cmfProject();
    writeFileSync(join(p.dir, 'data.csv'), 'a,b\n1,2\n');
    await logInput(p.dir, 'data.csv');
    const dvc = join(p.dir, 'data.csv.dvc');
    const commented = `# raw data, do not edit\n${readFileSync(dvc, 'utf8')}`;
    writeFileSync(dvc, commented);
    await logInput(p.dir, 'data.csv');
    expect(readFileSync(dvc, 'utf8')).toBe(commented);
    writeFileSync(join(p.dir, 'data.csv'), 'a,b\n1,3\n');
    await logInput(p.dir, 'data.csv');
    const text = readFileSync(dvc, 'utf8');
    expect(text.startsWith('# raw data, do not edit\nouts:\n- md5: ')).toBe(true);
    expect(text).not.toBe(commented);
    const names = datasets(p.dir).map((d) => d.name);
    expect(names).toHaveLength(2);
    expect(text).toContain(names[1]!.split(':')[1]!);
  });
});
