import { describe, expect, it } from 'vitest';
import { closest, closestByPrefix, didYouMean } from '../../../src/util/closest.js';

describe('closest names', () => {
  it('closest: small edit distances (swaps count once) and prefixes', () => {
    expect(closest('lsit', ['list', 'push'])).toEqual(['list']);
    expect(closest('exp', ['export', 'push'])).toEqual(['export']);
    expect(closest('zzzz', ['list', 'push'])).toEqual([]);
  });

  it('closestByPrefix: names whose start is close to a typo of an abbreviation', () => {
    const names = ['pipeline_name', 'file_name', 'execution_uuid'];
    expect(closestByPrefix('pipline', names)).toEqual(['pipeline_name']);
    expect(closestByPrefix('exeuction', names)).toEqual(['execution_uuid']);
    // Equally close starts are all returned; too short or too far words match nothing.
    expect(closestByPrefix('artifcat', ['artifact_name', 'artifact_dir'])).toEqual([
      'artifact_name',
      'artifact_dir',
    ]);
    expect(closestByPrefix('fle', names)).toEqual([]);
    expect(closestByPrefix('zzzzzz', names)).toEqual([]);
  });

  it('closest: a name equal but for case is the nearest; a typed prefix finds the whole name', () => {
    expect(closest('test-env', ['team-00-nightly', 'Test-env', 'Test-envs'])).toEqual(['Test-env']);
    expect(closest('Test-evn', ['team-00-nightly', 'Test-env'])).toEqual(['Test-env']);
    const uuids = ['e8a1c7e2-76f3-11ee-9a0f-0242ac110002', 'f0000000-76f3-11ee-9a0f-0242ac110002'];
    expect(closest('e8a1c7e2', uuids)).toEqual([uuids[0]]);
    expect(closest('e8a1c7e2-76f3-11ee-9a0f-0242ac110003', uuids)).toEqual([uuids[0]]);
    expect(closest('file-1.cs', ['file-1.csv', 'file-2.csv', 'model.pkl'])).toEqual(['file-1.csv']);
  });

  it('didYouMean quotes each name as a shell word, at most `max` of them', () => {
    expect(didYouMean(['Test-env'])).toBe("Did you mean 'Test-env'?");
    expect(didYouMean(['a b', "it's", 'x'])).toBe("Did you mean 'a b', 'it'\\''s' or 'x'?");
    expect(didYouMean(['two\nlines'])).toBe("Did you mean $'two\\nlines'?");
    expect(didYouMean(['a', 'b', 'c'], 2)).toBe("Did you mean 'a' or 'b'?");
  });
});
