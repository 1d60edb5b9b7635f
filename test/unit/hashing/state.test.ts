import { existsSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import * as core from '../../../src/hashing/hash-core.js';
import { hashItems, hashPaths } from '../../../src/hashing/hash-paths.js';
import { HashState, msFromNs, stateDbPath } from '../../../src/hashing/state.js';
import { tempDir } from './helpers.js';

vi.mock('../../../src/hashing/hash-core.js', { spy: true });

/** How many files were actually read (hash-core's hashFileSync calls on this thread). */
const reads = () => vi.mocked(core.hashFileSync).mock.calls.length;

describe('HashState', () => {
  let dir: string;
  let cleanup: () => void;
  let state: HashState;
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    state = HashState.open(join(dir, 'state.db'));
    vi.mocked(core.hashFileSync).mockClear();
  });
  afterEach(() => {
    state.close();
    cleanup();
  });

  const file = (name: string, data: string): string => {
    const p = join(dir, name);
    writeFileSync(p, data);
    return p;
  };
  const md5Of = async (p: string) => (await hashPaths([p], { state, jobs: 1 })).get(p)!.md5;

  it('lives in .dvc/tmp/cmf-state.db when opened on a repository root', () => {
    const repo = HashState.open(dir);
    expect(repo.dbPath).toBe(stateDbPath(dir));
    expect(repo.dbPath).toBe(join(dir, '.dvc', 'tmp', 'cmf-state.db'));
    expect(existsSync(repo.dbPath)).toBe(true);
    repo.close();
  });

  it('hits for an unchanged file and does not read it again', async () => {
    const p = file('a', 'a\n');
    expect(await md5Of(p)).toBe('60b725f10c9c85c70d97880dfe8191b3');
    expect(reads()).toBe(1);
    expect(await md5Of(p)).toBe('60b725f10c9c85c70d97880dfe8191b3');
    expect(reads()).toBe(1);
    // and across processes: a new handle on the same file
    state.close();
    state = HashState.open(join(dir, 'state.db'));
    expect(await md5Of(p)).toBe('60b725f10c9c85c70d97880dfe8191b3');
    expect(reads()).toBe(1);
  });

  it('misses when content changes with the same size (mtime moves)', async () => {
    const p = file('a', 'a\n');
    await md5Of(p);
    const before = statSync(p, { bigint: true });
    writeFileSync(p, 'b\n');
    // make sure the mtime differs even on coarse clocks
    utimesSync(p, new Date(), new Date(Number(before.mtimeMs) + 5000));
    expect(await md5Of(p)).toBe('3b5d5c3712955042212316173ccf37be');
    expect(reads()).toBe(2);
  });

  it('misses on touch (mtime only)', async () => {
    const p = file('a', 'a\n');
    await md5Of(p);
    utimesSync(p, new Date(), new Date(Date.now() + 10_000));
    await md5Of(p);
    expect(reads()).toBe(2);
  });

  it('misses when the inode changes (file replaced by rename, same size and mtime)', async () => {
    const p = file('a', 'a\n');
    utimesSync(p, 1_700_000_000, 1_700_000_000); // whole seconds: exactly reproducible
    await md5Of(p);
    const before = statSync(p, { bigint: true });
    const tmp = file('a.new', 'b\n');
    utimesSync(tmp, 1_700_000_000, 1_700_000_000);
    renameSync(tmp, p);
    const after = statSync(p, { bigint: true });
    expect([after.mtimeNs, after.size]).toEqual([before.mtimeNs, before.size]);
    expect(after.ino).not.toBe(before.ino);
    expect(await md5Of(p)).toBe('3b5d5c3712955042212316173ccf37be');
    expect(reads()).toBe(2);
  });

  it("msFromNs reproduces Node's Stats.mtimeMs exactly (the fast comparison relies on it)", () => {
    const p = file('t', 'x');
    const times = [1_700_000_000.123456, 1.5, 0, -1.25, 4_000_000_000.999999, Date.now() / 1000];
    for (const t of times) {
      utimesSync(p, t, t);
      expect(msFromNs(statSync(p, { bigint: true }).mtimeNs)).toBe(statSync(p).mtimeMs);
    }
    writeFileSync(p, 'now'); // a kernel-stamped time with full ns precision
    expect(msFromNs(statSync(p, { bigint: true }).mtimeNs)).toBe(statSync(p).mtimeMs);
  });

  it('returns the exact inode and mtime_ns for hits as for misses', async () => {
    const p = file('a', 'a\n');
    const [miss] = await hashItems([{ path: p }], { state, jobs: 1 });
    const [hit] = await hashItems([{ path: p }], { state, jobs: 1 });
    expect(reads()).toBe(1);
    const big = statSync(p, { bigint: true });
    expect(hit).toEqual(miss);
    expect([hit!.ino, hit!.mtimeNs]).toEqual([big.ino, big.mtimeNs]);
  });

  it('get() requires inode, mtime_ns and size to match; keys include the hash name', () => {
    const key = { ino: 42n, mtimeNs: 1_700_000_000_123_456_789n, size: 2 };
    state.setMany([{ path: '/x/a', hashName: 'md5', md5: 'f'.repeat(32), ...key }]);
    expect(state.get('/x/a', key, 'md5')).toBe('f'.repeat(32));
    expect(state.get('/x/a', { ...key, ino: 43n }, 'md5')).toBeUndefined();
    expect(state.get('/x/a', { ...key, mtimeNs: key.mtimeNs + 1n }, 'md5')).toBeUndefined();
    expect(state.get('/x/a', { ...key, size: 3 }, 'md5')).toBeUndefined();
    expect(state.get('/x/a', key, 'md5-dos2unix')).toBeUndefined();
    // inode numbers with the top bit set survive SQLite's signed integers
    const big = { ...key, ino: (1n << 64n) - 5n };
    state.setMany([{ path: '/x/b', hashName: 'md5', md5: 'e'.repeat(32), ...big }]);
    expect(state.get('/x/b', big, 'md5')).toBe('e'.repeat(32));
  });

  it('answers the same after preloading every row', () => {
    const entries = Array.from({ length: 300 }, (_, i) => ({
      path: `/p/${i}`,
      hashName: 'md5' as const,
      md5: i.toString(16).padStart(32, '0'),
      ino: BigInt(i),
      mtimeNs: 10n,
      size: i,
    }));
    state.setMany(entries);
    state.close();
    state = HashState.open(join(dir, 'state.db'));
    state.prepare('md5', 1000);
    expect(state.get('/p/299', { ino: 299n, mtimeNs: 10n, size: 299 }, 'md5')).toBe(
      entries[299]!.md5,
    );
    expect(state.has('/p/300', 'md5')).toBe(false);
  });

  it('preloads only the rows below a directory, and still answers for the rest', () => {
    const entries = ['/d/a', '/d/sub/b', '/d0/c', '/d.x', '/e/f'].map((path, i) => ({
      path,
      hashName: 'md5' as const,
      md5: String(i).repeat(32),
      ino: BigInt(i + 1),
      mtimeNs: 10n,
      size: i,
    }));
    state.setMany(entries);
    state.close();
    state = HashState.open(join(dir, 'state.db'));
    state.prepare('md5', 1000, '/d');
    const rows = (state as unknown as { preloaded: Map<string, { rows: Map<string, unknown> }> })
      .preloaded;
    expect([...rows.get('md5')!.rows.keys()].sort()).toEqual(['/d/a', '/d/sub/b']);
    for (const e of entries) expect(state.lookup(e.path, 'md5')?.md5).toBe(e.md5);
    expect(state.has('/d/none', 'md5')).toBe(false);
  });

  it('replaces a corrupt database and keeps hashing', async () => {
    const dbPath = join(dir, 'state.db');
    const p = file('a', 'a\n');
    await md5Of(p);
    state.close();
    writeFileSync(dbPath, Buffer.alloc(8192, 0x5a)); // not SQLite any more
    state = HashState.open(dbPath);
    expect(state.enabled).toBe(true);
    expect(await md5Of(p)).toBe('60b725f10c9c85c70d97880dfe8191b3');
    expect(await md5Of(p)).toBe('60b725f10c9c85c70d97880dfe8191b3');
    expect(reads()).toBe(2); // re-read once after the reset, then a hit again
  });

  it('never breaks hashing when the database cannot be created', async () => {
    const blocker = file('blocker', 'not a directory');
    const broken = HashState.open(join(blocker, 'sub', 'state.db'));
    expect(broken.enabled).toBe(false);
    const p = file('a', 'a\n');
    const r = await hashPaths([p], { state: broken, jobs: 1 });
    expect(r.get(p)!.md5).toBe('60b725f10c9c85c70d97880dfe8191b3');
    broken.close();
  });

  it('can be used by two handles at once (as two processes would)', () => {
    const other = HashState.open(join(dir, 'state.db'));
    const e = { hashName: 'md5' as const, md5: 'a'.repeat(32), ino: 1n, mtimeNs: 2n, size: 3 };
    state.setMany([{ path: '/one', ...e }]);
    other.setMany([{ path: '/two', ...e }]);
    expect(other.get('/one', e, 'md5')).toBe(e.md5);
    expect(state.get('/two', e, 'md5')).toBe(e.md5);
    other.close();
  });
});
