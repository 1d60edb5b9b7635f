import { describe, expect, it } from 'vitest';
import {
  safeBaseName,
  safePipelineSegments,
  safeSegments,
} from '../../../src/server/upload-names.js';

describe('upload names', () => {
  it('keeps relative paths and basenames', () => {
    expect(safeSegments('run1/./events.out')).toEqual(['run1', 'events.out']);
    expect(safeSegments('run1\\events.out')).toEqual(['run1', 'events.out']);
    expect(safeBaseName('cmf_artifacts/python_env_abc.txt')).toBe('python_env_abc.txt');
    expect(safePipelineSegments('Test-env')).toEqual(['Test-env']);
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
  });

  it('nests a team/project pipeline name one directory per segment, each checked', () => {
    expect(safePipelineSegments('team/project')).toEqual(['team', 'project']);
    expect(safePipelineSegments('a\\b/c')).toEqual(['a', 'b', 'c']);
    expect(safePipelineSegments('v1.2 run')).toEqual(['v1.2 run']);
    for (const bad of [
      '',
      '..',
      '.',
      'a/..',
      '../a',
      'a/../../b',
      'a/./b',
      'a//b',
      'a/',
      '/a',
      '\\a',
      'C:\\a',
      'a\0b',
      `a/${'x'.repeat(256)}`,
    ]) {
      expect(() => safePipelineSegments(bad), JSON.stringify(bad)).toThrow(/Refused file name/);
    }
  });
});
