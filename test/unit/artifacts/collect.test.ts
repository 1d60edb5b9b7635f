import { describe, expect, it } from 'vitest';
import {
  matchArtifacts,
  objectUrlFor,
  oidFromObjectUrl,
  projectRelativePath,
  type PipelineArtifact,
} from '../../../src/artifacts/index.js';

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
});

describe('-a matching', () => {
  const a = (id: number, name: string): PipelineArtifact => ({
    id,
    type: 'Dataset',
    name,
    path: name.split(':')[0]!,
    lastEvent: id,
  });
  const all = [
    a(1, `artifacts/data.xml.gz:${H}`),
    a(2, `artifacts/parsed/train.tsv:${H}`),
    a(3, `artifacts/model.pkl:${H}:3`),
    a(4, `artifacts/model.pkl:${'c'.repeat(32)}:4`),
  ];
  it('by full name, by path, by basename; several versions of a path all match', () => {
    expect(matchArtifacts(all, `artifacts/model.pkl:${H}:3`).map((x) => x.id)).toEqual([3]);
    expect(matchArtifacts(all, 'artifacts/parsed/train.tsv').map((x) => x.id)).toEqual([2]);
    expect(matchArtifacts(all, 'data.xml.gz').map((x) => x.id)).toEqual([1]);
    expect(matchArtifacts(all, 'model.pkl').map((x) => x.id)).toEqual([3, 4]);
    expect(matchArtifacts(all, 'parsed')).toEqual([]);
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
});
