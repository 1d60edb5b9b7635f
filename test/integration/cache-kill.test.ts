import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { add } from '../../src/hashing/add.js';
import { LocalCache } from '../../src/hashing/cache.js';
import { parseDvcFile } from '../../src/hashing/dvcfile.js';
import { hashFile } from '../../src/hashing/file-hash.js';

/**
 * Kill safety: a process SIGKILLed while it writes a cache object never leaves a partial
 * object under the object's final name (only `.<random>.tmp` leftovers), and the next add
 * succeeds. The child runs the TypeScript sources directly (Node's type stripping plus a
 * `.js` → `.ts` resolve hook), so no build is needed.
 */

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'cache');
const SIZE = 200 << 20;
const TMP_NAME = /^\.[A-Za-z0-9_-]{22}\.tmp$/;

let dir: string;
let src: string;
let md5: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cmf-kill-'));
  src = join(dir, 'repo', 'big.bin');
  await mkdir(join(dir, 'repo', '.dvc'), { recursive: true });
  // 200 MiB of incompressible data: an 8 MiB random block, each copy stamped differently.
  const block = randomBytes(8 << 20);
  const fh = await open(src, 'w');
  for (let i = 0; i < SIZE / block.length; i++) {
    block.writeUInt32LE(i, 0);
    await fh.write(block);
  }
  await fh.close();
  md5 = (await hashFile(src)).md5;
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function startChild(args: string[]): {
  child: ChildProcess;
  started: Promise<void>;
  exited: Promise<number | null>;
} {
  const child = spawn(
    process.execPath,
    ['--import', './ts-resolve.mjs', 'add-child.mjs', ...args],
    {
      cwd: FIXTURES,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const started = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('start')) resolve();
    });
    child.on('exit', () => reject(new Error(`child exited before starting: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, started, exited };
}

/**
 * Busy-polls (the copy takes well under a second) until any file in the object's prefix
 * directory is partly written, whatever its name, so that a write straight to the final
 * name would be caught half-done too.
 */
function waitForPartialWrite(prefixDir: string, exited: { done: boolean }): boolean {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && !exited.done) {
    let names: string[] = [];
    try {
      names = readdirSync(prefixDir);
    } catch {
      continue;
    }
    for (const n of names) {
      try {
        const size = statSync(join(prefixDir, n)).size;
        if (size > 0 && size < SIZE) return true;
      } catch {
        // renamed or removed in between
      }
    }
  }
  return false;
}

async function assertNoPartialObject(cache: LocalCache): Promise<void> {
  const final = cache.objectPath(md5);
  const prefixDir = dirname(final);
  const names = await readdir(prefixDir).catch(() => [] as string[]);
  for (const n of names) {
    if (join(prefixDir, n) === final) {
      // Only a complete object may carry the final name.
      expect((await stat(final)).size).toBe(SIZE);
      await cache.verify(md5);
    } else {
      expect(n).toMatch(TMP_NAME);
    }
  }
}

describe('kill safety of the cache', () => {
  it('SIGKILL while an object is being copied leaves only temp files; the next add works', async () => {
    const cache = new LocalCache(join(dir, 'cache1'));
    const prefixDir = dirname(cache.objectPath(md5));
    let killedMidWrite = 0;
    for (let attempt = 0; attempt < 5 && killedMidWrite < 2; attempt++) {
      const { child, started, exited } = startChild(['object', cache.root, src, md5]);
      const state = { done: false };
      void exited.then(() => (state.done = true));
      await started;
      // Let the exit event land if the child finished very fast.
      await new Promise((r) => setImmediate(r));
      if (waitForPartialWrite(prefixDir, state)) {
        child.kill('SIGKILL');
        killedMidWrite++;
      }
      await exited;
      await assertNoPartialObject(cache);
      if (await cache.has(md5)) await rm(cache.objectPath(md5), { force: true });
    }
    expect(killedMidWrite).toBeGreaterThan(0);
    expect(await cache.has(md5)).toBe(false);
    // Temp leftovers do not get in the way of the next add.
    const leftovers = (await readdir(prefixDir)).filter((n) => TMP_NAME.test(n));
    expect(leftovers.length).toBeGreaterThan(0);
    const r = await cache.addFile(src, md5);
    expect(r.added).toBe(true);
    await cache.verify(md5);
    expect((await stat(r.path)).mode & 0o777).toBe(0o444);
  }, 120_000);

  it.each(['add', 'add-many'])(
    'SIGKILL at any point of %s leaves no partial object or .dvc file',
    async (mode) => {
      const repo = join(dir, 'repo');
      const cache = new LocalCache(join(repo, '.dvc', 'cache'));
      for (const delayMs of [30, 150, 300, 600]) {
        await rm(cache.root, { recursive: true, force: true });
        await rm(`${src}.dvc`, { force: true });
        const { child, started, exited } = startChild([mode, repo, src]);
        await started;
        await new Promise((r) => setTimeout(r, delayMs));
        child.kill('SIGKILL');
        await exited;
        await assertNoPartialObject(cache);
        const dvc = await readFile(`${src}.dvc`, 'utf8').catch(() => undefined);
        if (dvc !== undefined)
          expect(parseDvcFile(dvc).outs[0]).toMatchObject({ md5, size: SIZE, path: 'big.bin' });
      }
      const r = await add(src, { repoRoot: repo, cache });
      expect(r.out).toMatchObject({ md5, size: SIZE });
      await cache.verify(md5);
    },
    120_000,
  );
});
