import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectPipelineArtifacts } from '../../../src/artifacts/index.js';
import { artifactPath, splitArtifactName } from '../../../src/cmf/artifact-name.js';
import { FixtureBuilder } from '../../helpers/mlmd-fixture.js';
import { tempDir } from '../../helpers/tmp.js';

const H = '236d9502e0283d91f689d7038b8508a2';
const U = '1e4d3c2b-76f4-11ee-9a0f-0242ac110002';

describe('the path part of an artifact name', () => {
  it('is everything before the hash, so a path may hold `:` (every kind of name)', () => {
    expect(artifactPath(`colon:x.csv:${H}`, H)).toBe('colon:x.csv');
    expect(artifactPath(`a:b:c/d:${H}.dir`, `${H}.dir`)).toBe('a:b:c/d');
    expect(artifactPath(`colon:m.pkl:${H}:7`, H)).toBe('colon:m.pkl');
    expect(artifactPath(`cmf_artifacts/${U}/metrics/m:1:${H}:7:${U}`, H)).toBe(
      `cmf_artifacts/${U}/metrics/m:1`,
    );
    expect(artifactPath(`m:1:${U}:7`, U)).toBe('m:1');
    // Without the uri: the last md5-shaped token, else the last uuid-shaped one.
    expect(artifactPath(`colon:x.csv:${H}`)).toBe('colon:x.csv');
    expect(artifactPath(`cmf_artifacts/${U}/metrics/m:1:${H}:7:${U}`)).toBe(
      `cmf_artifacts/${U}/metrics/m:1`,
    );
    expect(artifactPath(`m:1:${U}:7`)).toBe('m:1');
  });

  it('names as Python cmf makes them', () => {
    expect(artifactPath(`artifacts/data.xml.gz:${H}`, H)).toBe('artifacts/data.xml.gz');
    expect(artifactPath(`artifacts/parsed:${H}.dir`, `${H}.dir`)).toBe('artifacts/parsed');
    expect(artifactPath(`artifacts/model/model.pkl:${H}:3`, H)).toBe('artifacts/model/model.pkl');
    expect(artifactPath(`metrics:${U}:4`, U)).toBe('metrics');
    expect(artifactPath(`/home/u/proj/data:raw.csv:${H}`, H)).toBe('/home/u/proj/data:raw.csv');
  });

  it('a path that holds a hash-like token still ends before the recorded hash', () => {
    const other = 'c'.repeat(32);
    expect(artifactPath(`d:${other}:x.csv:${H}`, H)).toBe(`d:${other}:x.csv`);
    expect(artifactPath(`m:${H}:${other}:7`, other)).toBe(`m:${H}`);
  });

  it('a name with no hash is cut at its first `:` (as cmflib does); splitting says there is none', () => {
    expect(artifactPath('plain')).toBe('plain');
    expect(artifactPath('foreign:thing')).toBe('foreign');
    expect(splitArtifactName('colon:x.csv')).toBeUndefined();
    expect(splitArtifactName(`colon:x.csv:${H}:3`)).toEqual(['colon:x.csv', `:${H}:3`]);
  });
});

describe('collectPipelineArtifacts', () => {
  it('takes the path of a Python-cmf-made name with `:` in it whole', async () => {
    const path = join(await tempDir('cmf-name-'), 'mlmd');
    const b = new FixtureBuilder(path);
    const p = { id: b.pipeline('P'), name: 'P' };
    const s = { id: b.stage(p.id, 'P/S'), name: 'P/S' };
    const e = b.execution(p, s, { type: 'S', uuid: U });
    const url = `P:/srv/remote/files/md5/${H.slice(0, 2)}/${H.slice(2)}`;
    b.artifact(s.id, e, {
      type: 'Dataset',
      name: `colon:x.csv:${H}`,
      uri: H,
      event: 'output',
      properties: { Commit: H, url },
    });
    b.artifact(s.id, e, {
      type: 'Model',
      name: `models/a:b.pkl:${H}:${e}`,
      uri: H,
      event: 'output',
      properties: { Commit: H, url },
    });
    try {
      const paths = collectPipelineArtifacts(b.store, 'P').map((a) => a.path);
      expect(paths).toEqual(['colon:x.csv', 'models/a:b.pkl']);
    } finally {
      b.close();
    }
  });
});
