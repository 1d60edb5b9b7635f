import { describe, expect, it } from 'vitest';
import { safeBaseName, safeDirectoryName, safeSegments } from '../../../src/server/upload-names.js';

describe('upload names', () => {
  it('keeps relative paths and basenames', () => {
    expect(safeSegments('run1/./events.out')).toEqual(['run1', 'events.out']);
    expect(safeSegments('run1\\events.out')).toEqual(['run1', 'events.out']);
    expect(safeBaseName('cmf_artifacts/python_env_abc.txt')).toBe('python_env_abc.txt');
    expect(safeDirectoryName('Test-env')).toBe('Test-env');
  });

  it('refuses anything that could leave the directory', () => {
    for (const bad of [
      '',
      '..',
      '../x',
      'a/../../x',
      '/etc/passwd',
      'C:\\x',
      'c:x',
      'a\0b',
      '..\\x',
      './',
      'x'.repeat(300),
    ]) {
      expect(() => safeSegments(bad), JSON.stringify(bad)).toThrow(/Refused file name/);
    }
    expect(() => safeDirectoryName('a/b')).toThrow(/separators/);
    expect(() => safeDirectoryName('..')).toThrow();
  });
});
