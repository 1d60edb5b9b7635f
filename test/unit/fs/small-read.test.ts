import { closeSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSmallFile } from '../../../src/fs/small-read.js';
import { tempDir } from '../../helpers/tmp.js';

describe('readSmallFile', () => {
  it('reads a file shorter than the limit whole, by path or from offset 0 of a descriptor', async () => {
    const dir = await tempDir();
    const file = join(dir, 'f');
    writeFileSync(file, 'hello world');
    expect(readSmallFile(file, 12)?.toString()).toBe('hello world');
    const fd = openSync(file, 'r');
    try {
      expect(readSmallFile(fd, 100)?.toString()).toBe('hello world');
    } finally {
      closeSync(fd);
    }
    writeFileSync(join(dir, 'empty'), '');
    expect(readSmallFile(join(dir, 'empty'), 1)?.length).toBe(0);
  });

  it('returns undefined for a file of the limit or more', async () => {
    const file = join(await tempDir(), 'f');
    writeFileSync(file, 'hello world');
    expect(readSmallFile(file, 11)).toBeUndefined();
    expect(readSmallFile(file, 3)).toBeUndefined();
  });

  it('hands out views of one buffer: the next read overwrites the last', async () => {
    const dir = await tempDir();
    writeFileSync(join(dir, 'a'), 'aaaa');
    writeFileSync(join(dir, 'b'), 'bbbb');
    const first = readSmallFile(join(dir, 'a'), 10)!;
    const second = readSmallFile(join(dir, 'b'), 10)!;
    expect(first.buffer).toBe(second.buffer);
    expect(first.toString()).toBe('bbbb');
  });

  it('throws the system error of a missing file', () => {
    expect(() => readSmallFile('/nonexistent/cmf-small-read', 10)).toThrow(/ENOENT/);
  });
});
