/**
 * What add and addMany write in the work tree, and in which order: the `.gitignore` line
 * before the `.dvc` file (a process killed in between must not leave a `.dvc` file whose data
 * git lists as untracked); a failed write undoes the others; a full cache is DISK_FULL.
 */
import { watch, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { add } from '../../../src/hashing/add.js';
import { addMany } from '../../../src/hashing/add-many.js';
import { LocalCache } from '../../../src/hashing/cache.js';
import { failure } from '../../helpers/failure.js';
import { fill, mountSmallTmpfs } from '../../helpers/full-fs.js';

let repo: string;
let cache: LocalCache;
beforeEach(async () => {
  repo = await mkdtemp(join(tmpdir(), 'cmf-add-writes-'));
  await mkdir(join(repo, '.dvc'));
  cache = new LocalCache(join(repo, '.dvc', 'cache'));
});
afterEach(async () => {
  await rm(repo, { recursive: true, force: true });
});

/**
 * The names that appeared in `dir` while `fn` ran, in the order the kernel reported them
 * (inotify keeps the order of one directory's events). A sentinel file written after `fn`
 * marks the end, so every earlier event has been delivered.
 */
async function namesWritten(dir: string, fn: () => Promise<unknown>): Promise<string[]> {
  const names: string[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const watcher = watch(dir, (_event, name) => {
    if (name === 'sentinel') done();
    else if (name && !name.endsWith('.tmp') && !names.includes(name)) names.push(name);
  });
  try {
    await fn();
    writeFileSync(join(dir, 'sentinel'), '');
    await finished;
  } finally {
    watcher.close();
  }
  return names;
}

describe('the order of the work-tree writes', () => {
  it('add writes the .gitignore line before the .dvc file, for a file and a directory', async () => {
    await writeFile(join(repo, 'a.txt'), 'a\n');
    await mkdir(join(repo, 'd'));
    await writeFile(join(repo, 'd', 'x'), 'x\n');
    const names = await namesWritten(repo, async () => {
      await add(join(repo, 'a.txt'), { repoRoot: repo, cache });
      await rm(join(repo, '.gitignore'));
      await add(join(repo, 'd'), { repoRoot: repo, cache });
    });
    const at = (n: string) => names.indexOf(n);
    expect(at('.gitignore')).toBeGreaterThanOrEqual(0);
    expect(at('.gitignore')).toBeLessThan(at('a.txt.dvc'));
    expect(at('a.txt.dvc')).toBeLessThan(at('d.dvc'));
  });

  it('addMany writes every .gitignore line before the first .dvc file', async () => {
    await writeFile(join(repo, 'a.txt'), 'a\n');
    await writeFile(join(repo, 'b.txt'), 'b\n');
    await mkdir(join(repo, 'd'));
    await writeFile(join(repo, 'd', 'x'), 'x\n');
    const names = await namesWritten(repo, () =>
      addMany(
        ['a.txt', 'b.txt', 'd'].map((n) => join(repo, n)),
        { repoRoot: repo, cache },
      ),
    );
    const dvcFiles = names.filter((n) => n.endsWith('.dvc'));
    expect(dvcFiles.sort()).toEqual(['a.txt.dvc', 'b.txt.dvc', 'd.dvc']);
    const firstDvc = Math.min(...dvcFiles.map((n) => names.indexOf(n)));
    expect(names.indexOf('.gitignore')).toBeGreaterThanOrEqual(0);
    expect(names.indexOf('.gitignore')).toBeLessThan(firstDvc);
  });
});

describe('a failed add', () => {
  it('leaves no .dvc file and no .gitignore line when one directory cannot be ignored', async () => {
    for (const d of ['ok', 'bad']) {
      await mkdir(join(repo, d));
      await writeFile(join(repo, d, 'f.txt'), `${d}\n`);
    }
    await writeFile(join(repo, 'ok', '.gitignore'), '/old\n');
    // A .gitignore that is a directory cannot be read or replaced.
    await mkdir(join(repo, 'bad', '.gitignore'));
    const paths = [join(repo, 'ok', 'f.txt'), join(repo, 'bad', 'f.txt')];
    await expect(addMany(paths, { repoRoot: repo, cache })).rejects.toThrow();
    expect((await readdir(join(repo, 'ok'))).sort()).toEqual(['.gitignore', 'f.txt']);
    expect(await readdir(join(repo, 'bad'))).toEqual(['.gitignore', 'f.txt']);
    expect(await readFile(join(repo, 'ok', '.gitignore'), 'utf8')).toBe('/old\n');
  });
});

describe('(root) a DVC cache on a full file system', () => {
  const cacheHint = /DVC cache .*cache\.dir/;

  it('is DISK_FULL naming the object, with a hint to free space or move the cache; the work tree is unchanged', async (ctx) => {
    const unmount = mountSmallTmpfs(cache.root);
    if (!unmount) return ctx.skip();
    try {
      // Larger than the whole tmpfs: copied with copyFile (the error names source and dest).
      await writeFile(join(repo, 'big.bin'), Buffer.alloc((1 << 20) + 1, 7));
      const big = await failure(add(join(repo, 'big.bin'), { repoRoot: repo, cache }));
      expect(big).toMatchObject({ code: 'DISK_FULL', exitCode: 1 });
      expect(big.message).toContain(cache.root);
      expect(big.message).not.toContain('big.bin:');
      expect(big.hint).toMatch(cacheHint);

      fill(cache.root);
      await writeFile(join(repo, 'small.txt'), 'small\n');
      const small = await failure(addMany([join(repo, 'small.txt')], { repoRoot: repo, cache }));
      expect(small).toMatchObject({ code: 'DISK_FULL', exitCode: 1 });
      expect(String(small.data?.path)).toContain(join(cache.root, 'files', 'md5'));
      expect(small.hint).toMatch(cacheHint);
      expect((await readdir(repo)).sort()).toEqual(['.dvc', 'big.bin', 'small.txt']);
    } finally {
      unmount();
    }
  });
});
