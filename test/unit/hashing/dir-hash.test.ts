import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors/index.js';
import { hashDirectory } from '../../../src/hashing/dir-hash.js';
import { manifestHash } from '../../../src/hashing/manifest.js';
import { HashState } from '../../../src/hashing/state.js';
import { tempDir, writeTree } from './helpers.js';

describe('hashDirectory', () => {
  let root: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ dir: root, cleanup } = tempDir());
    mkdirSync(join(root, '.dvc'));
  });
  afterEach(() => cleanup());

  it('gives the A1.3 worked example hash', async () => {
    writeTree(root, { 'data/a.txt': 'a\n', 'data/sub/b.txt': 'b\n' });
    mkdirSync(join(root, 'data/empty'));
    const d = await hashDirectory(join(root, 'data'));
    expect(d.md5).toBe('849835d274483dc683eb416d6e4f887d.dir');
    expect([d.size, d.nfiles]).toEqual([4, 2]);
    expect(d.manifest.toString()).toBe(
      '[{"md5": "60b725f10c9c85c70d97880dfe8191b3", "relpath": "a.txt"}, ' +
        '{"md5": "3b5d5c3712955042212316173ccf37be", "relpath": "sub/b.txt"}]',
    );
    expect(manifestHash(d.manifest)).toBe(d.md5);
    expect(d.files.map((f) => [f.relpath, f.path, f.size])).toEqual([
      ['a.txt', join(root, 'data/a.txt'), 2],
      ['sub/b.txt', join(root, 'data/sub/b.txt'), 2],
    ]);
  });

  it('is the same through the state cache, on workers, and with ignored extras', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 400; i++) files[`data/${i % 7}/f${i}.txt`] = `${i}\n`;
    writeTree(root, files);
    const plain = await hashDirectory(join(root, 'data'), { jobs: 1 });
    const state = HashState.open(root);
    const pooled = await hashDirectory(join(root, 'data'), { jobs: 2, state });
    const cached = await hashDirectory(join(root, 'data'), { jobs: 2, state });
    state.close();
    expect(pooled).toEqual(plain);
    expect(cached).toEqual(plain);
    expect(plain.nfiles).toBe(400);

    writeTree(root, { '.dvcignore': '*.tmp\n', 'data/x.tmp': 'junk', 'data/.git/HEAD': 'x' });
    symlinkSync(join(root, 'data/0'), join(root, 'data/link-to-dir'));
    expect((await hashDirectory(join(root, 'data'))).md5).toBe(plain.md5);
  });

  it('sorts entries by code point and escapes names', async () => {
    writeTree(root, {
      'data/\u{1F600}.txt': 'a\n',
      'data/\uFF21.txt': 'a\n',
      'data/caf\u00e9.txt': 'a\n',
    });
    const d = await hashDirectory(join(root, 'data'));
    expect(d.entries.map((e) => e.relpath)).toEqual([
      'caf\u00e9.txt',
      '\uFF21.txt',
      '\u{1F600}.txt',
    ]);
    expect(d.manifest.toString()).toContain('"relpath": "caf\\u00e9.txt"');
    expect(d.manifest.toString()).toMatch(/\\uff21\.txt.*\\ud83d\\ude00\.txt/);
  });

  it('uses md5-dos2unix for legacy outputs, still under the key md5', async () => {
    writeTree(root, { 'data/crlf.txt': 'hello\r\nworld\r\n' });
    const d = await hashDirectory(join(root, 'data'), { hashName: 'md5-dos2unix' });
    expect(d.manifest.toString()).toBe(
      '[{"md5": "0f723ae7f9bf07744445e93ac5595156", "relpath": "crlf.txt"}]',
    );
  });

  it('refuses a directory holding a .dvcignore', async () => {
    writeTree(root, { 'data/a': 'a', 'data/.dvcignore': 'x\n' });
    await expect(hashDirectory(join(root, 'data'))).rejects.toBeInstanceOf(UsageError);
  });

  it('hashes an empty directory to the empty manifest', async () => {
    mkdirSync(join(root, 'data'));
    const d = await hashDirectory(join(root, 'data'));
    expect([d.md5, d.size, d.nfiles]).toEqual(['d751713988987e9331980363e24189ce.dir', 0, 0]);
  });
});
