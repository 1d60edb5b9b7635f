import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../src/errors/index.js';
import { add } from '../../../src/hashing/add.js';
import { addMany } from '../../../src/hashing/add-many.js';
import { SMALL_FILE_MAX } from '../../../src/hashing/add-small.js';
import { LocalCache } from '../../../src/hashing/cache.js';
import { addManyToGitignore, addToGitignore } from '../../../src/hashing/gitignore.js';
import { HashState } from '../../../src/hashing/state.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'cmf-add-many-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Every file under `dir` (relative path → content and mode), .dvc/cache included. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith('.tmp')) out[relative(dir, p)] = 'TEMP FILE';
      else {
        const mode = ((await stat(p)).mode & 0o777).toString(8);
        out[relative(dir, p)] = `${mode} ${await readFile(p, 'utf8')}`;
      }
    }
  };
  await walk(dir);
  return out;
}

/** The same project in two places: one gets add() per path, the other one addMany(). */
async function twoRepos(setup: (repo: string) => Promise<void>): Promise<[string, string]> {
  const a = join(root, 'one-by-one');
  const b = join(root, 'batch');
  for (const repo of [a, b]) {
    await mkdir(join(repo, '.dvc'), { recursive: true });
    await setup(repo);
  }
  return [a, b];
}

describe('addMany', () => {
  it('writes the same objects, .dvc files and .gitignore lines as add() path by path', async () => {
    const rels = [
      'data/a.csv',
      'data/b.csv',
      'data/same-as-a.csv',
      'data/a.csv', // repeated
      'data/run.sh',
      'other/x[1]*.txt',
      'kept.txt',
      'dir',
      'data/c.csv',
    ];
    const [one, batch] = await twoRepos(async (repo) => {
      await mkdir(join(repo, 'data'));
      await mkdir(join(repo, 'other'));
      await mkdir(join(repo, 'dir', 'sub'), { recursive: true });
      await writeFile(join(repo, 'data', 'a.csv'), 'a,1\n');
      await writeFile(join(repo, 'data', 'b.csv'), 'b,2\n');
      await writeFile(join(repo, 'data', 'same-as-a.csv'), 'a,1\n');
      await writeFile(join(repo, 'data', 'c.csv'), 'c,3\n');
      await writeFile(join(repo, 'data', 'run.sh'), '#!/bin/sh\n');
      await chmod(join(repo, 'data', 'run.sh'), 0o755);
      await writeFile(join(repo, 'other', 'x[1]*.txt'), 'x\n');
      await writeFile(join(repo, 'dir', 'sub', 'f.txt'), 'f\n');
      await writeFile(join(repo, 'kept.txt'), 'new content\n');
      // An existing .gitignore without a final newline, already holding one entry.
      await writeFile(join(repo, 'data', '.gitignore'), '*.log\n/b.csv');
      await chmod(join(repo, 'data', '.gitignore'), 0o600);
      // An existing .dvc file with user keys, which add() keeps.
      await writeFile(
        join(repo, 'kept.txt.dvc'),
        'desc: mine\nouts:\n- md5: 00000000000000000000000000000000\n  size: 1\n  hash: md5\n  path: kept.txt\n  remote: r1\n',
      );
      await chmod(join(repo, 'kept.txt.dvc'), 0o640);
    });
    const cacheOf = (repo: string): LocalCache => new LocalCache(join(repo, '.dvc', 'cache'));
    const expected = [];
    for (const rel of rels) {
      expected.push(await add(join(one, rel), { repoRoot: one, cache: cacheOf(one) }));
    }
    const state = HashState.open(batch);
    let results;
    try {
      results = await addMany(
        rels.map((rel) => join(batch, rel)),
        { repoRoot: batch, cache: cacheOf(batch), state },
      );
    } finally {
      state.close();
    }
    // The state database is the one thing only the batch has.
    const snapB = await snapshot(batch);
    for (const k of Object.keys(snapB)) if (k.startsWith('.dvc/tmp')) delete snapB[k];
    expect(snapB).toEqual(await snapshot(one));
    expect(
      results.map((r) => ({
        ...r,
        dvcFilePath: relative(batch, r.dvcFilePath),
        gitignorePath: relative(batch, r.gitignorePath!),
      })),
    ).toEqual(
      expected.map((r) => ({
        ...r,
        dvcFilePath: relative(one, r.dvcFilePath),
        gitignorePath: relative(one, r.gitignorePath!),
      })),
    );
  });

  it('records the cache objects it writes in the state, so pushes need not read them again', async () => {
    const repo = join(root, 'repo');
    await mkdir(join(repo, '.dvc'), { recursive: true });
    await mkdir(join(repo, 'dir'));
    await writeFile(join(repo, 'small.txt'), 'small\n');
    await writeFile(join(repo, 'big.bin'), Buffer.alloc(SMALL_FILE_MAX + 10, 7));
    await writeFile(join(repo, 'dir', 'inner.txt'), 'inner\n');
    const cache = new LocalCache(join(repo, '.dvc', 'cache'));
    const state = HashState.open(repo);
    try {
      const results = await addMany(
        ['small.txt', 'big.bin', 'dir'].map((rel) => join(repo, rel)),
        { repoRoot: repo, cache, state },
      );
      const oids = results.map((r) => r.out.md5!);
      oids.push(...(await cache.readManifest(oids[2]!)).map((e) => e.md5));
      expect(oids).toHaveLength(4);
      for (const oid of oids) {
        const path = cache.objectPath(oid);
        const entry = state.lookup(path, 'md5');
        expect(entry?.md5, oid).toBe(oid.slice(0, 32));
        expect(HashState.matches(entry!, await stat(path))).toBe(true);
      }
    } finally {
      state.close();
    }
  });

  it('checks every path before writing anything', async () => {
    const repo = join(root, 'repo');
    await mkdir(join(repo, '.dvc'), { recursive: true });
    await writeFile(join(repo, 'a.txt'), 'a\n');
    const cache = new LocalCache(join(repo, '.dvc', 'cache'));
    await expect(
      addMany([join(repo, 'a.txt'), join(repo, 'missing.txt')], { repoRoot: repo, cache }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect((await readdir(repo)).sort()).toEqual(['.dvc', 'a.txt']);
    expect(await readdir(join(repo, '.dvc'))).toEqual([]);
  });
});

describe('addManyToGitignore', () => {
  it('gives the file addToGitignore gives name by name', async () => {
    const names = ['a', 'b', 'a', 'c!', 'd'];
    for (const d of ['one', 'many']) {
      await mkdir(join(root, d));
      await writeFile(join(root, d, '.gitignore'), '/b\nno-newline');
    }
    for (const n of names) await addToGitignore(join(root, 'one'), n);
    const changes = await addManyToGitignore(join(root, 'many'), names);
    expect(await readFile(join(root, 'many', '.gitignore'), 'utf8')).toBe(
      await readFile(join(root, 'one', '.gitignore'), 'utf8'),
    );
    expect(changes.map((c) => c.changed)).toEqual([true, false, false, true, true]);
  });
});
