import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTarget } from '../../../src/hashing/add-shared.js';

describe('paths that cannot be added', () => {
  it('are ADD_BAD_PATH errors with a hint saying what to add instead', () => {
    const root = '/p';
    const cases: Array<[string, RegExp]> = [
      [root, /files or directories inside the project/],
      ['/elsewhere/x.csv', /Move or copy it into \/p/],
      [join(root, '.dvc', 'config'), /belong to DVC and git/],
      [join(root, 'data.csv.dvc'), /the path without \.dvc/],
    ];
    for (const [path, hint] of cases) {
      expect(() => checkTarget(path, root), path).toThrow(
        expect.objectContaining({ code: 'ADD_BAD_PATH', hint: expect.stringMatching(hint) }),
      );
    }
    expect(() => checkTarget(join(root, 'data.csv'), root)).not.toThrow();
  });
});
