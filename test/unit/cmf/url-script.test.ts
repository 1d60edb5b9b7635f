import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeUrl, pipelineUrl, remoteObjectUrl } from '../../../src/cmf/url.js';
import { commandString, scriptName } from '../../../src/cmf/script.js';
import { UsageError } from '../../../src/errors/index.js';
import { eventType } from '../../../src/cmf/conventions.js';

describe('url', () => {
  it('builds the DVC 3 remote object url', () => {
    expect(remoteObjectUrl('s3://bucket/root/', '236d9502e0283d91f689d7038b8508a2')).toBe(
      's3://bucket/root/files/md5/23/6d9502e0283d91f689d7038b8508a2',
    );
    expect(
      pipelineUrl('Test-env', '/home/u/local-storage', 'dd2d792b7cf6efb02231f85c6147e403.dir'),
    ).toBe('Test-env:/home/u/local-storage/files/md5/dd/2d792b7cf6efb02231f85c6147e403.dir');
  });

  it('builds the legacy (DVC 2.x) remote object url, which collect reads back as legacy', async () => {
    const { objectFromUrl } = await import('../../../src/artifacts/collect.js');
    const oid = '236d9502e0283d91f689d7038b8508a2';
    const url = remoteObjectUrl('s3://bucket/root/', oid, { legacy: true });
    expect(url).toBe('s3://bucket/root/23/6d9502e0283d91f689d7038b8508a2');
    expect(objectFromUrl(url)).toEqual({ oid, legacy: true });
    expect(objectFromUrl(remoteObjectUrl('s3://bucket/root', oid))).toEqual({ oid, legacy: false });
  });

  it('merges whole entries, not substrings', () => {
    expect(mergeUrl('', 'a:x')).toBe('a:x');
    expect(mergeUrl('a:x', 'a:x')).toBe('a:x');
    expect(mergeUrl('Test-env:x', 'Test:x')).toBe('Test-env:x,Test:x');
    expect(mergeUrl('Test-env:x,Test:x', 'Test:x')).toBe('Test-env:x,Test:x');
    // cmflib's substring test would take 'env:x' as already present in 'Test-env:x'.
    expect(mergeUrl('Test-env:x', 'env:x')).toBe('Test-env:x,env:x');
  });
});

describe('script name and command', () => {
  it('names auto-created stages after the script without extension', () => {
    expect(scriptName(['node', '/a/src/parse.ts'])).toBe('parse');
    expect(scriptName(['node', 'train.mjs', 'x'])).toBe('train');
    expect(scriptName(['node', 'Makefile'])).toBe('Makefile');
    expect(scriptName(['node'])).toBe('node');
  });

  it("renders the command as Python's str(sys.argv)", () => {
    expect(commandString(undefined, ['node', 'src/parse.py', 'a b', "it's"])).toBe(
      `['src/parse.py', 'a b', "it's"]`,
    );
    expect(commandString(undefined, ['node', join(process.cwd(), 'src', 'train.ts'), '-v'])).toBe(
      "['src/train.ts', '-v']",
    );
    expect(commandString(['x', 'back\\slash'])).toBe("['x', 'back\\\\slash']");
    expect(commandString('python train.py')).toBe('python train.py');
  });
});

describe('events', () => {
  it('accepts input/output in any case and nothing else', () => {
    expect(eventType('input')).toBe(3);
    expect(eventType('OUTPUT')).toBe(4);
    for (const bad of ['in', 'internal_output', '', 3, undefined])
      expect(() => eventType(bad)).toThrow(UsageError);
  });
});
