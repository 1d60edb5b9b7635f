import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  configureSmallCopyPool,
  poolStats,
  readyWorkers,
  smallCopy,
  stopWorkers,
  type CopyError,
  type CopyOutcome,
} from '../../../src/fs/small-copy-pool.js';
import { tempDir } from '../../helpers/tmp.js';

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');

/** `count` source files of a few KB in `dir`/src, and an empty `dir`/out. */
function sources(dir: string, count: number): Array<{ src: string; bytes: Buffer }> {
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'out'));
  return Array.from({ length: count }, (_, i) => {
    const bytes = randomBytes(i * 37);
    const src = join(dir, 'src', `f${i}`);
    writeFileSync(src, bytes);
    return { src, bytes };
  });
}

describe('small-copy pool', () => {
  afterEach(() => stopWorkers());
  afterAll(() => configureSmallCopyPool({}));

  it.each([
    ['on this thread only', 0],
    ['in a worker and on this thread', 1],
  ])('copies files %s: same bytes, mode, nothing left under a temp name', async (_, workers) => {
    configureSmallCopyPool({ workers, startAfter: 0 });
    expect(await readyWorkers()).toBe(workers);
    const dir = await tempDir();
    const files = sources(dir, 400);
    const before = { ...poolStats };
    // Handed over as a transfer does: a few dozen at a time, across turns of the event loop.
    const outcomes: CopyOutcome[] = [];
    for (let at = 0; at < files.length; at += 32) {
      outcomes.push(
        ...(await Promise.all(
          files.slice(at, at + 32).map(({ src }, j) =>
            smallCopy({
              src,
              tmp: join(dir, 'out', `.t${at + j}.tmp`),
              dest: join(dir, 'out', `f${at + j}`),
              mode: 0o444,
              keep: true,
              limit: 1 << 20,
            }),
          ),
        )),
      );
    }
    files.forEach(({ bytes }, i) => {
      const dest = join(dir, 'out', `f${i}`);
      expect(readFileSync(dest).equals(bytes)).toBe(true);
      expect(statSync(dest).mode & 0o777).toBe(0o444);
      const o = outcomes[i]!;
      expect('done' in o && Buffer.from(o.bytes!).equals(bytes)).toBe(true);
    });
    expect(readdirSync(join(dir, 'out')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const byWorkers = poolStats.workerCopies - before.workerCopies;
    if (workers === 0) expect(byWorkers).toBe(0);
    else expect(byWorkers).toBeGreaterThan(files.length / 10);
    expect(byWorkers + poolStats.mainCopies - before.mainCopies).toBe(files.length);
  });

  it.each([0, 1])(
    'with %i workers: a wrong MD5 or a file of the limit writes nothing; failures name their step',
    async (workers) => {
      configureSmallCopyPool({ workers, startAfter: 0 });
      await readyWorkers();
      const before = poolStats.workerCopies;
      const dir = await tempDir();
      const [a, b] = sources(dir, 3).slice(1);
      const out = (name: string) => join(dir, 'out', name);
      const task = (src: string, name: string) => ({
        src,
        tmp: out(`.${name}.tmp`),
        dest: out(name),
        mode: 0o644,
        limit: 1 << 20,
      });
      // Several rounds, so that with a worker some land there once it is ready.
      for (let round = 0; round < 20; round++) {
        const [ok, corrupt, large, missing, noDir] = await Promise.allSettled([
          smallCopy({ ...task(a!.src, `ok${round}`), md5: md5(a!.bytes) }),
          smallCopy({ ...task(a!.src, `bad${round}`), md5: md5(b!.bytes) }),
          smallCopy({ ...task(b!.src, `big${round}`), limit: b!.bytes.length }),
          smallCopy(task(join(dir, 'src', 'none'), `missing${round}`)),
          smallCopy({
            ...task(a!.src, 'x'),
            tmp: join(dir, 'no', '.x.tmp'),
            dest: join(dir, 'no', 'x'),
          }),
        ]);
        expect(ok).toMatchObject({ status: 'fulfilled', value: { done: true } });
        expect(corrupt).toEqual({
          status: 'fulfilled',
          value: { corrupt: md5(a!.bytes), size: a!.bytes.length },
        });
        expect(large).toEqual({ status: 'fulfilled', value: { large: true } });
        const read = (missing as PromiseRejectedResult).reason as CopyError;
        expect([read.step, read.code, read.syscall]).toEqual(['read', 'ENOENT', 'open']);
        const write = (noDir as PromiseRejectedResult).reason as CopyError;
        expect([write.step, write.code, write.path]).toEqual([
          'write',
          'ENOENT',
          join(dir, 'no', '.x.tmp'),
        ]);
        expect(write).toBeInstanceOf(Error);
      }
      expect(readdirSync(join(dir, 'out')).sort()).toEqual(
        Array.from({ length: 20 }, (_, r) => `ok${r}`).sort(),
      );
      if (workers > 0) expect(poolStats.workerCopies).toBeGreaterThan(before);
    },
  );

  it('writes given bytes (a view into a larger buffer) and keeps the mode a chmod sets', async () => {
    configureSmallCopyPool({ workers: 1, startAfter: 0 });
    await readyWorkers();
    const before = poolStats.workerCopies;
    const dir = await tempDir();
    const big = randomBytes(64 << 10);
    const outcomes: CopyOutcome[] = [];
    for (let round = 0; round < 20; round++) {
      const tasks = Array.from({ length: 16 }, (_, j) => {
        const i = round * 16 + j;
        return smallCopy({
          data: big.subarray(i * 100, i * 100 + 100),
          tmp: join(dir, `.t${i}.tmp`),
          dest: join(dir, `f${i}`),
          mode: 0o600,
          chmod: 0o751,
          limit: 1 << 20,
        });
      });
      outcomes.push(...(await Promise.all(tasks)));
    }
    for (let i = 0; i < 320; i++) {
      expect(readFileSync(join(dir, `f${i}`)).equals(big.subarray(i * 100, i * 100 + 100))).toBe(
        true,
      );
      expect(statSync(join(dir, `f${i}`)).mode & 0o777).toBe(0o751);
    }
    expect(poolStats.workerCopies).toBeGreaterThan(before);
    // Given bytes are not sent back.
    expect(outcomes.every((o) => 'done' in o && o.bytes === undefined)).toBe(true);
  });

  it('copies a stopped worker had not answered are done on this thread', async () => {
    configureSmallCopyPool({ workers: 1, startAfter: 0 });
    const dir = await tempDir();
    const files = sources(dir, 200);
    // Once the worker is ready, hand over a batch and stop the worker while it holds some.
    await readyWorkers();
    const before = poolStats.workerCopies;
    const pending = files.map(({ src }, i) =>
      smallCopy({
        src,
        tmp: join(dir, 'out', `.t${i}.tmp`),
        dest: join(dir, 'out', `f${i}`),
        mode: 0o644,
        limit: 1 << 20,
      }),
    );
    await new Promise((r) => setImmediate(r));
    stopWorkers();
    await Promise.all(pending);
    // The worker answered none of them: every copy was made here.
    expect(poolStats.workerCopies).toBe(before);
    files.forEach(({ bytes }, i) => {
      expect(readFileSync(join(dir, 'out', `f${i}`)).equals(bytes)).toBe(true);
    });
  });
});
