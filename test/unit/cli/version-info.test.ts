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
    const out = (text: string) => ({ stream: 'stdout', text, exitCode: 0 });
    expect(versionReply(['--version'], '1.2.3')).toEqual(out(line));
    expect(versionReply(['-v'], '1.2.3')).toEqual(out(line));
    for (const argv of [
      ['--version', '--json'],
      ['--js', '-v'],
    ]) {
      expect(JSON.parse(versionReply(argv, '1.2.3')!.text)).toEqual(json);
    }
  });

  it('refuses anything more after a leading version flag (oclif would ignore it)', () => {
    expect(versionReply(['--version', '--bogus'], '1.2.3')).toEqual({
      stream: 'stderr',
      text:
        "Error: Unexpected argument to 'cmf --version': --bogus\n" +
        "Hint: 'cmf --version' takes only --json; 'cmf --help' lists the commands.\n",
      exitCode: 2,
    });
    for (const argv of [
      ['-v', '--version'],
      ['-v', 'artifact', 'list'],
    ]) {
      expect(versionReply(argv, '1.2.3'), argv.join(' ')).toMatchObject({ exitCode: 2 });
    }
    const json = versionReply(['-v', '--json', '--json'], '1.2.3')!;
    expect(JSON.parse(json.text).error).toMatchObject({
      code: 'USAGE',
      exitCode: 2,
      message: "Unexpected arguments to 'cmf -v': --json --json",
    });
    const named = versionReply(['--version', '--bogus', '--json'], '1.2.3')!;
    expect(JSON.parse(named.text).error.message).toBe(
      "Unexpected argument to 'cmf --version': --bogus",
    );
  });

  it('leaves every other command line to oclif', () => {
    for (const argv of [[], ['--json'], ['artifact', '-v'], ['--json', '-v', 'x']]) {
      expect(versionReply(argv, '1.2.3'), argv.join(' ')).toBeUndefined();
    }
  });
});
