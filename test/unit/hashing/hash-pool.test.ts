import { randomBytes } from 'node:crypto';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../src/errors/index.js';
import { hashBuffer, md5Hex } from '../../../src/hashing/file-hash.js';
import { hashItems, hashPaths } from '../../../src/hashing/hash-paths.js';
import { HashPool, hashInPool, hashWorkerUrl } from '../../../src/hashing/hash-pool.js';
import { HashState } from '../../../src/hashing/state.js';
import { HIT } from '../../../src/hashing/hash-core.js';
import { tempDir, writeTree } from './helpers.js';

describe('hash pool', () => {
  let dir: string;
  let cleanup: () => void;
  const contents = new Map<string, Buffer>();
  let paths: string[];

  beforeAll(() => {
    ({ dir, cleanup } = tempDir());
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 300; i++) {
      // mostly small files, some CRLF text, one spanning several 1 MiB chunks
      const data =
        i === 7
          ? randomBytes(2.5 * 2 ** 20)
          : i % 10 === 0
            ? Buffer.from(`line ${i}\r\n`.repeat(i + 1))
            : randomBytes(i * 13);
      files[`d${i % 5}/f${i}.bin`] = data;
      contents.set(join(dir, `d${i % 5}/f${i}.bin`), data);
    }
    writeTree(dir, files);
    paths = [...contents.keys()];
  });
  afterAll(() => cleanup());

  it('resolves the worker script beside the module being run', () => {
    expect(hashWorkerUrl().pathname).toMatch(/\/src\/hashing\/hash-worker\.ts$/);
  });

  it('loads the worker (from .ts sources under vitest) and gets a ready message', async () => {
    const worker = new Worker(hashWorkerUrl());
    const first = await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(first).toBe('ready');
  });

  it.each(['md5', 'md5-dos2unix'] as const)(
    'gives the same %s results on workers as on the main thread',
    async (hashName) => {
      const stats = { mainFiles: 0, workerFiles: 0 };
      const pooled = await hashInPool(paths, { hashName, jobs: 2, mainThread: false, stats });
      expect(stats).toEqual({ mainFiles: 0, workerFiles: paths.length });
      const inline = await hashItems(
        paths.map((path) => ({ path })),
        { hashName, jobs: 1 },
      );
      expect(pooled).toEqual(inline);
      for (let i = 0; i < paths.length; i++) {
        expect(pooled[i]!.md5).toBe(hashBuffer(contents.get(paths[i]!)!, { hashName }));
        expect(pooled[i]!.size).toBe(contents.get(paths[i]!)!.length);
      }
    },
  );

  it('shares the queue between the main thread and the workers', async () => {
    const stats = { mainFiles: 0, workerFiles: 0 };
    const pooled = await hashInPool(paths, { hashName: 'md5', jobs: 3, stats });
    expect(stats.mainFiles + stats.workerFiles).toBe(paths.length);
    expect(pooled.map((r) => r.md5)).toEqual(paths.map((p) => md5Hex(contents.get(p)!)));
  });

  it('hashPaths keys results by the paths given, on all cores', async () => {
    const result = await hashPaths(paths, { jobs: 2 });
    expect(result.size).toBe(paths.length);
    for (const p of paths) expect(result.get(p)!.md5).toBe(md5Hex(contents.get(p)!));
  });

  it('handles an empty list', async () => {
    expect(await hashInPool([], { hashName: 'md5', jobs: 4 })).toEqual([]);
    expect((await hashPaths([], { jobs: 4 })).size).toBe(0);
  });

  it('records pooled results in the state, then answers from it', async () => {
    const state = HashState.open(join(dir, 'state.db'));
    const first = await hashPaths(paths, { state, jobs: 2 });
    state.close();
    const again = HashState.open(join(dir, 'state.db'));
    again.prepare('md5', paths.length);
    for (const p of paths.slice(0, 20)) expect(again.has(p, 'md5')).toBe(true);
    expect(await hashPaths(paths, { state: again, jobs: 2 })).toEqual(first);
    again.close();
    rmSync(join(dir, 'state.db'), { force: true });
  });

  it('throws NotFoundError for a missing file, from a worker batch too', async () => {
    const withMissing = [...paths];
    withMissing.splice(250, 0, join(dir, 'missing.bin'));
    const err = await hashInPool(withMissing, { hashName: 'md5', jobs: 2 }).catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).data?.path).toBe(join(dir, 'missing.bin'));
  });

  it.each(['md5', 'md5-dos2unix'] as const)(
    'gives the same %s and size without stats (content detail) as with',
    async (hashName) => {
      const full = await hashInPool(paths, { hashName, jobs: 2 });
      const content = await hashInPool(paths, { hashName, jobs: 2, detail: 'content' });
      expect(content).toEqual(full.map(({ md5, size }) => ({ md5, size })));
    },
  );

  it('redoes the batches of a worker that dies on the main thread', async () => {
    const stats = { mainFiles: 0, workerFiles: 0 };
    const pool = new HashPool({ hashName: 'md5', jobs: 1, mainThread: false, stats });
    for (const p of paths) pool.add(p);
    const done = pool.finish();
    // As when the worker crashes: its 'error' event retires it.
    const workers = (pool as unknown as { workers: Array<{ worker: Worker }> }).workers;
    workers[0]!.worker.emit('error', new Error('worker crashed'));
    const results = await done;
    expect(stats.mainFiles).toBe(paths.length);
    expect(results.map((r) => (r as { md5: string }).md5)).toEqual(
      paths.map((p) => md5Hex(contents.get(p)!)),
    );
  });

  it('only stats files whose state entry still matches (on a worker), and reads the rest', async () => {
    const stats = { mainFiles: 0, workerFiles: 0 };
    const pool = new HashPool({ hashName: 'md5', jobs: 1, mainThread: false, stats });
    const changed = join(dir, 'changed.bin');
    writeFileSync(changed, 'new content');
    for (const p of [...paths, changed]) {
      const st = statSync(p);
      // The changed file's entry has a stale size.
      const size = p === changed ? st.size + 1 : st.size;
      pool.add(p, undefined, [st.ino, st.mtimeMs, size, 'f'.repeat(32), '0']);
    }
    const results = await pool.finish();
    // Unchanged files come back as a verdict (the caller has their md5); the changed one is read.
    expect(results.slice(0, -1).every((r) => r === HIT)).toBe(true);
    expect(results.at(-1)).toMatchObject({ md5: md5Hex(Buffer.from('new content')), size: 11 });
    expect(stats.workerFiles).toBe(paths.length + 1);
    rmSync(changed);
  });
});
