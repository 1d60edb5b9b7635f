import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  selectArtifacts,
  objectUrlFor,
  objectFromUrl,
  oidFromObjectUrl,
  projectRelativePath,
  type PipelineArtifact,
} from '../../../src/artifacts/index.js';
import { UsageError } from '../../../src/errors/index.js';
import { tempDir } from '../../helpers/tmp.js';

const H = '236d9502e0283d91f689d7038b8508a2';

describe('url property', () => {
  it("takes the entry of exactly this pipeline (cmflib's substring test would take Test-env's for Test)", () => {
    const url = `Test-env:s3://b/p/files/md5/23/6d9502e0283d91f689d7038b8508a2,Test:/srv/r/files/md5/aa/${'b'.repeat(30)}`;
    expect(objectUrlFor(url, 'Test')).toBe(`/srv/r/files/md5/aa/${'b'.repeat(30)}`);
    expect(objectUrlFor(url, 'Test-env')).toBe(
      `s3://b/p/files/md5/23/6d9502e0283d91f689d7038b8508a2`,
    );
    expect(objectUrlFor(url, 'Other')).toBeUndefined();
  });

  it('the oid is the last four URL segments (files/md5/xx/rest), whatever the scheme and prefix', () => {
    expect(oidFromObjectUrl(`s3://bucket/a/b/files/md5/23/${H.slice(2)}`)).toBe(H);
    expect(oidFromObjectUrl(`ssh://host:2222/srv/files/md5/23/${H.slice(2)}.dir`)).toBe(`${H}.dir`);
    expect(oidFromObjectUrl(`https://origin/ns/files/md5/23/${H.slice(2)}`)).toBe(H);
    expect(oidFromObjectUrl('/srv/files/md5/zz/nothex')).toBeUndefined();
    expect(oidFromObjectUrl(`/srv/${H}`)).toBeUndefined();
  });

  it('a URL in the legacy layout (DVC 2, old cmf: <remote>/xx/rest) names a legacy object', () => {
    const rest = H.slice(2);
    expect(objectFromUrl(`s3://bucket/prefix/23/${rest}`)).toEqual({ oid: H, legacy: true });
    expect(objectFromUrl(`/srv/remote/23/${rest}.dir`)).toEqual({ oid: `${H}.dir`, legacy: true });
    expect(objectFromUrl(`ssh://host:22/srv/23/${rest}/`)).toEqual({ oid: H, legacy: true });
    expect(objectFromUrl(`/srv/files/md5/23/${rest}`)).toEqual({ oid: H, legacy: false });
    expect(oidFromObjectUrl(`/srv/remote/23/${rest}`)).toBe(H);
    expect(objectFromUrl(`23/${rest}`)).toBeUndefined();
    expect(objectFromUrl(`/srv/2/${H.slice(1)}`)).toBeUndefined();
    expect(objectFromUrl(`/srv/23/${rest}.tmp`)).toBeUndefined();
  });
});

describe('-a matching', () => {
  const a = (id: number, name: string): PipelineArtifact => ({
    id,
    type: 'Dataset',
    name,
    path: name.split(':')[0]!,
    push: true,
    paths: [{ path: name.split(':')[0]!, lastEvent: id }],
  });
  const all = [
    a(1, `artifacts/data.xml.gz:${H}`),
    a(2, `artifacts/parsed/train.tsv:${H}`),
    a(3, `artifacts/model.pkl:${H}:3`),
    a(4, `artifacts/model.pkl:${'c'.repeat(32)}:4`),
  ];
  const root = { cwd: '/p', baseDir: '/p' };
  const ids = (wanted: string, where = root, items = all) =>
    selectArtifacts(items, (x) => x.name, wanted, where).map((x) => x.id);

  it('by full name, by path, by basename; several versions of a path all match', () => {
    expect(ids(`artifacts/model.pkl:${H}:3`)).toEqual([3]);
    expect(ids('artifacts/parsed/train.tsv')).toEqual([2]);
    expect(ids('data.xml.gz')).toEqual([1]);
    expect(ids('model.pkl')).toEqual([3, 4]);
    expect(ids('parsed')).toEqual([]);
  });

  it("by the file name of the full name, as 'artifact list' always did", () => {
    expect(ids(`data.xml.gz:${H}`)).toEqual([1]);
    expect(ids(`model.pkl:${H}:3`)).toEqual([3]);
  });

  it('a path as typed: ./, absolute, relative to the current directory, against the MLMD directory', () => {
    expect(ids('./artifacts/data.xml.gz')).toEqual([1]);
    expect(ids('/p/artifacts/data.xml.gz')).toEqual([1]);
    expect(ids('data.xml.gz', { cwd: '/p/artifacts', baseDir: '/p' })).toEqual([1]);
    expect(ids('../artifacts/model.pkl', { cwd: '/p/runs', baseDir: '/p' })).toEqual([3, 4]);
    expect(ids(`./artifacts/model.pkl:${H}:3`)).toEqual([3]);
    const sub = [a(7, `../data/raw.csv:${H}`)];
    expect(ids('data/raw.csv', { cwd: '/p', baseDir: '/p/runs' }, sub)).toEqual([7]);
    expect(ids('/p/data/raw.csv', { cwd: '/p', baseDir: '/p/runs' }, sub)).toEqual([7]);
    expect(ids('../data/raw.csv', { cwd: '/p', baseDir: '/p/runs' }, sub)).toEqual([7]);
  });

  it('an exact path wins over file names; a file name at several paths is refused, naming them', () => {
    const many = [a(1, `many_1.txt:${H}`), a(2, `other/many_1.txt:${H}`), a(3, 'many_1.txt:c')];
    expect(ids('many_1.txt', root, many)).toEqual([1, 3]);
    expect(ids('other/many_1.txt', root, many)).toEqual([2]);
    const refused = (wanted: string, where: typeof root, items: PipelineArtifact[]) => {
      try {
        ids(wanted, where, items);
      } catch (e) {
        return e as UsageError;
      }
      throw new Error(`${wanted} was not refused`);
    };
    const twoFiles = [...many, a(4, `b/x.txt:${H}`), a(5, `c/x.txt:${H}`)];
    let err = refused('x.txt', root, twoFiles);
    expect(err).toBeInstanceOf(UsageError);
    expect(err).toMatchObject({ code: 'ARTIFACT_AMBIGUOUS', exitCode: 2 });
    expect(err.message).toContain('b/x.txt, c/x.txt');
    expect(err.hint).toContain('-a b/x.txt');
    // Typed in other/: the recorded many_1.txt and other/many_1.txt are both "many_1.txt".
    err = refused('many_1.txt', { cwd: '/p/other', baseDir: '/p' }, many);
    expect(err.message).toContain('many_1.txt, other/many_1.txt');
    // A listing takes them all.
    const all = selectArtifacts(twoFiles, (x) => x.name, 'x.txt', root, { several: true });
    expect(all.map((x) => x.id)).toEqual([4, 5]);
  });
});

describe('project-relative paths', () => {
  it('keeps paths inside the project and refuses the rest', () => {
    expect(projectRelativePath('/p', 'artifacts/a.txt')).toBe('artifacts/a.txt');
    expect(projectRelativePath('/p', '/p/artifacts/a.txt')).toBe('artifacts/a.txt');
    expect(projectRelativePath('/p', '../x')).toBeUndefined();
    expect(projectRelativePath('/p', '/etc/passwd')).toBeUndefined();
    expect(projectRelativePath('/p', '.')).toBeUndefined();
  });

  it('resolves relative paths against the MLMD directory, still refusing what leaves the project', () => {
    expect(projectRelativePath('/p', '../data/raw.csv', '/p/runs')).toBe('data/raw.csv');
    expect(projectRelativePath('/p', 'cmf_artifacts/e.yaml', '/p/runs')).toBe(
      'runs/cmf_artifacts/e.yaml',
    );
    expect(projectRelativePath('/p', '/p/a.txt', '/p/runs')).toBe('a.txt');
    expect(projectRelativePath('/p', '../../x', '/p/runs')).toBeUndefined();
    expect(projectRelativePath('/p', '..', '/p/runs')).toBeUndefined();
  });

  it('refuses Windows absolute paths and reads a Windows relative path with `\\` separators', async () => {
    for (const abs of [
      'C:\\Users\\me\\proj\\d.csv',
      'c:/Users/me/d.csv',
      '\\\\srv\\share\\d.csv',
    ]) {
      expect(projectRelativePath('/p', abs)).toBeUndefined();
    }
    expect(projectRelativePath('/p', 'data\\a.csv')).toBe('data/a.csv');
    expect(projectRelativePath('/p', '..\\data\\a.csv', '/p/runs')).toBe('data/a.csv');
    // With a `/`, or a .dvc file of the literal name beside it, a backslash is a character.
    expect(projectRelativePath('/p', 'odd/back\\slash.txt')).toBe('odd/back\\slash.txt');
    expect(projectRelativePath('/p', 'c:x.csv')).toBe('c:x.csv');
    const dir = await tempDir();
    writeFileSync(join(dir, 'back\\slash.txt.dvc'), 'outs: []\n');
    expect(projectRelativePath(dir, 'back\\slash.txt')).toBe('back\\slash.txt');
    const item = { id: 1, name: 'data\\a.csv:60b725f10c9c85c70d97880dfe8191b3' };
    const where = { cwd: dir, baseDir: dir };
    for (const wanted of ['data/a.csv', 'a.csv', './data/a.csv', item.name]) {
      expect(selectArtifacts([item], (x) => x.name, wanted, where)).toEqual([item]);
    }
  });
});
