import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listArtifactsNamed } from '../../../src/artifacts/index.js';
import { NotFoundError } from '../../../src/errors/index.js';
import { EventType, MlmdStore } from '../../../src/mlmd/index.js';
import { FixtureBuilder } from '../../helpers/mlmd-fixture.js';

const h = (n: number) => String(n).repeat(32);

/**
 * `-a` as `cmf artifact list` selects, on a real MLMD file: it narrows by name in SQL before
 * selecting, so every form of a name the selection rules accept must still be found.
 */
describe('cmf artifact list -a: which artifacts a name selects', () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'cmf-test-')));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'mlmd');
  const b = new FixtureBuilder(path);
  const p = { id: b.pipeline('P'), name: 'P' };
  const s = { id: b.stage(p.id, 'P/s'), name: 'P/s' };
  const e1 = b.execution(p, s, { type: 's', uuid: 'e8a1c7e2-76f3-11ee-9a0f-0242ac110002' });
  const e2 = b.execution(p, s, { type: 's', uuid: 'e8a1c7e2-76f3-11ee-9a0f-0242ac110003' });
  const ids: Record<string, number> = {};
  const add = (name: string, uri: string, type: 'Dataset' | 'Model' = 'Dataset') =>
    (ids[name] = b.artifact(s.id, e1, { type, name, uri, event: 'input' }));
  add(`data/a.csv:${h(1)}`, h(1));
  add(`other/a.csv:${h(2)}`, h(2));
  add(`data/b.csv:${h(3)}`, h(3));
  add(`win\\w.csv:${h(4)}`, h(4));
  add(`${dir}/abs/z.csv:${h(5)}`, h(5));
  add(`data/m.pkl:${h(6)}:3`, h(6), 'Model');
  add(`.:${h(7)}`, h(7));
  add(`sub/..:${h(8)}`, h(8));
  // The content of data/b.csv logged again at copy/c.csv: one artifact, linked by that name.
  b.store.links.putEvent({
    artifactId: ids[`data/b.csv:${h(3)}`]!,
    executionId: e2,
    type: EventType.OUTPUT,
    path: [{ key: `copy/c.csv:${h(3)}` }],
  });
  b.close();
  mkdirSync(join(dir, 'data'));

  const names = (wanted: string, cwd = dir) => {
    const store = MlmdStore.open(path, { readonly: true });
    try {
      return listArtifactsNamed(store, 'P', wanted, { cwd, baseDir: dir }).map((r) => r.name);
    } finally {
      store.close();
    }
  };

  it('a full name, or the file name of one', () => {
    expect(names(`data/a.csv:${h(1)}`)).toEqual([`data/a.csv:${h(1)}`]);
    expect(names(`./data/a.csv:${h(1)}`)).toEqual([`data/a.csv:${h(1)}`]);
    expect(names(`a.csv:${h(1)}`)).toEqual([`data/a.csv:${h(1)}`]);
    expect(names(`data/m.pkl:${h(6)}:3`)).toEqual([`data/m.pkl:${h(6)}:3`]);
  });

  it('a path as recorded, with ./, absolute, or relative to the current directory', () => {
    expect(names('data/a.csv')).toEqual([`data/a.csv:${h(1)}`]);
    expect(names('./data/a.csv')).toEqual([`data/a.csv:${h(1)}`]);
    expect(names(join(dir, 'data/a.csv'))).toEqual([`data/a.csv:${h(1)}`]);
    // From data/, `a.csv` is the path data/a.csv: the path wins over other/a.csv's file name.
    expect(names('a.csv', join(dir, 'data'))).toEqual([`data/a.csv:${h(1)}`]);
    expect(names('../other/a.csv', join(dir, 'data'))).toEqual([`other/a.csv:${h(2)}`]);
    expect(names('data/m.pkl')).toEqual([`data/m.pkl:${h(6)}:3`]);
    // Recorded with Windows separators, or absolute.
    expect(names('win/w.csv')).toEqual([`win\\w.csv:${h(4)}`]);
    expect(names('abs/z.csv')).toEqual([`${dir}/abs/z.csv:${h(5)}`]);
    // The MLMD file's directory: recorded as `.` or a path that comes back to it.
    expect(names('.')).toEqual([`.:${h(7)}`, `sub/..:${h(8)}`]);
    expect(names('..', join(dir, 'data'))).toEqual([`.:${h(7)}`, `sub/..:${h(8)}`]);
  });

  it('a file name: every artifact with it', () => {
    expect(names('a.csv')).toEqual([`data/a.csv:${h(1)}`, `other/a.csv:${h(2)}`]);
    expect(names('w.csv')).toEqual([`win\\w.csv:${h(4)}`]);
    expect(names('z.csv')).toEqual([`${dir}/abs/z.csv:${h(5)}`]);
  });

  it('another path the same content was logged at, by path or file name', () => {
    expect(names('copy/c.csv')).toEqual([`data/b.csv:${h(3)}`]);
    expect(names(`copy/c.csv:${h(3)}`)).toEqual([`data/b.csv:${h(3)}`]);
    expect(names('c.csv')).toEqual([`data/b.csv:${h(3)}`]);
    expect(names('b.csv')).toEqual([`data/b.csv:${h(3)}`]);
  });

  it('a name that selects nothing suggests the closest names, those linked by events too', () => {
    const refused = (wanted: string) => {
      try {
        names(wanted);
      } catch (err) {
        expect(err).toBeInstanceOf(NotFoundError);
        return (err as NotFoundError).data as { suggestions: string[] };
      }
      throw new Error(`${wanted} was found`);
    };
    expect(refused('data/a.cvs').suggestions).toEqual(['data/a.csv']);
    expect(refused('copy/c.cs').suggestions).toEqual(['copy/c.csv']);
    expect(refused('m.pk').suggestions).toEqual(['m.pkl']);
    expect(refused('A.csv').suggestions).toEqual(['a.csv']);
  });
});
