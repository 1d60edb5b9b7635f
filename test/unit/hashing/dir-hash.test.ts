import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors/index.js';
import { hashDirectory } from '../../../src/hashing/dir-hash.js';
import { hashItems } from '../../../src/hashing/hash-paths.js';
import { walkDirectory } from '../../../src/hashing/walk.js';
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

  it('streams walked files to the workers with the same results as walk, then hash', async () => {
    const files: Record<string, string | Buffer> = {};
    // Enough files that even all state hits (a quarter of a read each) go to the workers.
    for (let i = 0; i < 1200; i++) files[`data/d${i % 9}/s${i % 2}/f${i}.txt`] = `line ${i}\r\n`;
    files['data/big.bin'] = Buffer.alloc(3 * 2 ** 20 + 5, 7);
    writeTree(root, files);
    for (const hashName of ['md5', 'md5-dos2unix'] as const) {
      const walked = await walkDirectory(join(root, 'data'), { stat: false });
      const listed = await hashItems(walked, { hashName, jobs: 1 });
      const byRel = new Map(walked.map((w, i) => [w.relpath, listed[i]!]));
      const streamed = await hashDirectory(join(root, 'data'), { hashName, jobs: 2 });
      expect(streamed.nfiles).toBe(walked.length);
      for (const f of streamed.files) {
        expect([f.md5, f.size]).toEqual([byRel.get(f.relpath)!.md5, byRel.get(f.relpath)!.size]);
      }
    }
    // Through the state: a file changed after caching is read again, the rest are not.
    const state = HashState.open(root);
    const first = await hashDirectory(join(root, 'data'), { jobs: 2, state });
    writeFileSync(join(root, 'data/d0/s0/f0.txt'), 'changed and longer\n');
    const second = await hashDirectory(join(root, 'data'), { jobs: 2, state });
    state.close();
    const fresh = await hashDirectory(join(root, 'data'), { jobs: 1 });
    expect(second).toEqual(fresh);
    expect(second.md5).not.toBe(first.md5);
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

  it('sorts plain names by code point too (separator against dot and digit)', async () => {
    writeTree(root, {
      'data/b': '1',
      'data/a0': '2',
      'data/a/b': '3',
      'data/a.txt': '4',
      'data/B': '5',
    });
    const d = await hashDirectory(join(root, 'data'));
    expect(d.entries.map((e) => e.relpath)).toEqual(['B', 'a.txt', 'a/b', 'a0', 'b']);
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
