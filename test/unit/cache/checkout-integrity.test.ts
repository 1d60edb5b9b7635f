/**
 * Checkout never copies a corrupt cache object into the workspace, never records in the
 * hash state a hash it has not established, and with force re-reads workspace files instead
 * of trusting the state.
 */
import { appendFile, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntegrityError } from '../../../src/errors/index.js';
import { add } from '../../../src/hashing/add.js';
import { LocalCache } from '../../../src/hashing/cache.js';
import { checkout, type CheckoutOptions } from '../../../src/hashing/checkout.js';
import { hashItems } from '../../../src/hashing/hash-paths.js';
import { HashState } from '../../../src/hashing/state.js';

const A = '60b725f10c9c85c70d97880dfe8191b3'; // "a\n"

let repo: string;
let cache: LocalCache;
let state: HashState;
let base: CheckoutOptions;
beforeEach(async () => {
  repo = await mkdtemp(join(tmpdir(), 'cmf-checkout-integrity-'));
  await mkdir(join(repo, '.dvc'));
  cache = new LocalCache(join(repo, '.dvc', 'cache'));
  state = HashState.open(repo);
  base = { repoRoot: repo, dvcFileDir: repo, cache, state, linkTypes: ['copy'] };
});
afterEach(async () => {
  state.close();
  await rm(repo, { recursive: true, force: true });
});

async function corrupt(oid: string): Promise<string> {
  const path = cache.objectPath(oid);
  await chmod(path, 0o644);
  await appendFile(path, 'junk');
  await chmod(path, 0o444);
  return path;
}

async function caught(p: Promise<unknown>): Promise<IntegrityError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(IntegrityError);
  return err as IntegrityError;
}

describe('checkout from a corrupt cache object', () => {
  it('refuses a file: IntegrityError naming the object, nothing written, nothing recorded', async () => {
    await writeFile(join(repo, 'a.txt'), 'a\n');
    const { out } = await add(join(repo, 'a.txt'), { repoRoot: repo, cache });
    await rm(join(repo, 'a.txt'));
    const objPath = await corrupt(A);

    const err = await caught(checkout(out, base));
    expect(err.code).toBe('CACHE_OBJECT_CORRUPT');
    expect(err.message).toContain(A);
    expect(err.message).toContain(objPath);
    expect(err.data?.oids).toEqual([A]);
    await expect(readFile(join(repo, 'a.txt'))).rejects.toThrow();
    expect(state.has(join(repo, 'a.txt'), 'md5')).toBe(false);
  });

  it('refuses a directory before touching the workspace, naming every corrupt object', async () => {
    const root = join(repo, 'data');
    await mkdir(root);
    await writeFile(join(root, 'a.txt'), 'a\n');
    await writeFile(join(root, 'b.txt'), 'b\n');
    await writeFile(join(root, 'c.txt'), 'c\n');
    const { out } = await add(root, { repoRoot: repo, cache });
    const [b, c] = await hashItems([{ path: join(root, 'b.txt') }, { path: join(root, 'c.txt') }]);
    await rm(join(root, 'b.txt'));
    await rm(join(root, 'c.txt'));
    await writeFile(join(root, 'extra.txt'), 'a\n'); // cached content: deletable without force
    await corrupt(b!.md5);
    await corrupt(c!.md5);

    const err = await caught(checkout(out, base));
    expect(err.code).toBe('CACHE_OBJECT_CORRUPT');
    expect((err.data?.oids as string[]).sort()).toEqual([b!.md5, c!.md5].sort());
    expect(await readFile(join(root, 'extra.txt'), 'utf8')).toBe('a\n');
    await expect(readFile(join(root, 'b.txt'))).rejects.toThrow();
  });

  it('checks a manifest before reading it', async () => {
    const root = join(repo, 'data');
    await mkdir(root);
    await writeFile(join(root, 'a.txt'), 'a\n');
    const { out } = await add(root, { repoRoot: repo, cache });
    await rm(root, { recursive: true });
    const path = cache.objectPath(out.md5!);
    const text = await readFile(path, 'utf8');
    await chmod(path, 0o644);
    await writeFile(path, text.replace('"a.txt"', '"z.txt"')); // still a valid manifest
    const err = await caught(checkout(out, base));
    expect(err.data?.oids).toEqual([out.md5]);
    await expect(readFile(join(root, 'z.txt'))).rejects.toThrow();
  });

  it('trusts objects the caller verified, and records the cache objects it hashed', async () => {
    await writeFile(join(repo, 'a.txt'), 'a\n');
    const { out } = await add(join(repo, 'a.txt'), { repoRoot: repo, cache });
    await rm(join(repo, 'a.txt'));
    await checkout(out, base);
    expect(state.lookup(cache.objectPath(A), 'md5')?.md5).toBe(A);
    // A set saying "verified" skips the check (the pull that stored it just hashed it).
    await rm(join(repo, 'a.txt'));
    await corrupt(A);
    await checkout(out, { ...base, verified: new Set([A]) });
    expect(await readFile(join(repo, 'a.txt'), 'utf8')).toBe('a\njunk');
  });
});

describe('checkout with force', () => {
  it('re-reads workspace files instead of trusting a state entry, and corrects the entry', async () => {
    await writeFile(join(repo, 'a.txt'), 'a\n');
    const { out } = await add(join(repo, 'a.txt'), { repoRoot: repo, cache });
    // Wrong content under a state entry that claims it is A (what the old checkout left).
    await rm(join(repo, 'a.txt'));
    await writeFile(join(repo, 'a.txt'), 'a\njunk');
    const [h] = await hashItems([{ path: join(repo, 'a.txt') }]);
    state.setMany([{ path: join(repo, 'a.txt'), hashName: 'md5', ...h!, md5: A }]);
    expect((await checkout(out, base)).unchanged).toBe(1); // the state is trusted

    const r = await checkout(out, { ...base, force: true });
    expect(r.modified).toEqual(['a.txt']);
    expect(await readFile(join(repo, 'a.txt'), 'utf8')).toBe('a\n');
    expect((await checkout(out, base)).unchanged).toBe(1);
    expect((await checkout(out, { ...base, force: true })).unchanged).toBe(1);
  });
});
