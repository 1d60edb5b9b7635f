import { spawn } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { LocalCache } from '../../src/hashing/cache.js';
import {
  openRemote,
  type OpenRemoteOptions,
  type RemoteConfig,
} from '../../src/remotes/factory.js';
import { pullObjects, pushObjects } from '../../src/remotes/transfer.js';
import { buildRemoteFixture } from './remote-fixture.js';
import { tempDir } from './tmp.js';

/**
 * Two child processes that load the TypeScript sources, four transfers of ~400 objects: about
 * 12 s on an idle machine, but 20–45 s were measured with the machine's two cores shared by
 * several test runs (load ~13), close to vitest's 60 s default, which made it fail at times.
 */
const KILL_TEST_TIMEOUT = 240_000;

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/**
 * Runs a push or pull in a child process and SIGKILLs it once `killAt` objects are done.
 * Resolves with the number of objects the child reported done.
 */
async function killHalfway(
  mode: 'push' | 'pull',
  cacheRoot: string,
  specPath: string,
  killAt: number,
): Promise<number> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      join(FIXTURES, 'cache', 'ts-resolve.mjs'),
      join(FIXTURES, 'remotes', 'transfer-child.mjs'),
      mode,
      cacheRoot,
      specPath,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let done = 0;
  let finished = false;
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const m = /^progress (\d+)/.exec(line);
      if (m) {
        done = Number(m[1]);
        if (done >= killAt && child.exitCode === null) child.kill('SIGKILL');
      }
      if (line.startsWith('done')) finished = true;
    }
  });
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
    child.on('exit', (c, s) => resolve([c, s])),
  );
  if (signal !== 'SIGKILL')
    throw new Error(`child was not killed (exit ${code}, finished ${finished}): ${stderr}`);
  return done;
}

/** Every object file in the cache (temp names excluded) matches its name. */
async function assertCacheSound(cache: LocalCache): Promise<number> {
  let n = 0;
  const root = join(cache.root, 'files', 'md5');
  for (const p of await readdir(root).catch(() => [] as string[])) {
    for (const f of await readdir(join(root, p))) {
      if (f.startsWith('.')) continue;
      await cache.verify(p + f);
      n++;
    }
  }
  return n;
}

/**
 * Push killed halfway then re-run, and pull killed halfway then re-run: both complete, the
 * remote holds only sound objects, and nothing corrupt is in the pulled cache.
 */
export function killAndResumeTest(
  name: string,
  remote: (dir: string) => RemoteConfig,
  options: () => OpenRemoteOptions = () => ({}),
) {
  it(
    `${name}: a push and a pull killed with SIGKILL halfway complete when re-run`,
    async () => {
      const dir = await tempDir();
      const fx = await buildRemoteFixture(dir, { many: 400, bigBytes: 16 << 20 });
      const spec = join(dir, 'spec.json');
      const cfg = remote(dir);
      await writeFile(
        spec,
        JSON.stringify({ remote: cfg, options: options(), oids: fx.roots, jobs: 2 }),
      );
      const total = fx.objects.size;

      const pushedBefore = await killHalfway('push', fx.cache.root, spec, Math.floor(total / 2));
      expect(pushedBefore).toBeLessThan(total);
      const d = await openRemote(cfg, options());
      try {
        const push = await pushObjects(fx.cache, d, fx.roots);
        expect(push.failed).toEqual([]);
        expect(push.transferred).toBeLessThan(total);
        expect(push.transferred + push.present).toBe(total);

        const clone = new LocalCache(join(dir, 'clone'));
        const pulledBefore = await killHalfway('pull', clone.root, spec, Math.floor(total / 2));
        expect(pulledBefore).toBeLessThan(total);
        const sound = await assertCacheSound(clone);
        expect(sound).toBeGreaterThan(0);
        const pull = await pullObjects(clone, d, fx.roots);
        expect(pull.failed).toEqual([]); // every remote object verified on the way in
        expect(pull.transferred).toBeLessThan(total);
        expect(pull.transferred + pull.present).toBe(total);
        expect(await assertCacheSound(clone)).toBe(total);
      } finally {
        await d.close();
      }
    },
    KILL_TEST_TIMEOUT,
  );
}
