import { describe, expect, it } from 'vitest';
import { versionReply } from '../../../src/cli/version-info.js';

describe('the --version fast path', () => {
  const line = `cmf/1.2.3 ${process.platform}-${process.arch} node-v${process.versions.node}\n`;
  const json = {
    version: '1.2.3',
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
  };

  it('answers --version and -v in text, and in JSON with --json in either place', () => {
    expect(versionReply(['--version'], '1.2.3')).toBe(line);
    expect(versionReply(['-v'], '1.2.3')).toBe(line);
    for (const argv of [
      ['--version', '--json'],
      ['--js', '-v'],
    ]) {
      expect(JSON.parse(versionReply(argv, '1.2.3')!)).toEqual(json);
    }
  });

  it('leaves every other command line to oclif', () => {
    for (const argv of [
      [],
      ['--json'],
      ['-v', '--bogus'],
      ['-v', '--version'],
      ['-v', '--json', '--json'],
    ]) {
      expect(versionReply(argv, '1.2.3'), argv.join(' ')).toBeUndefined();
    }
  });
});
