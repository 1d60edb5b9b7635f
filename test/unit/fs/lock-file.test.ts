import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { OperationError } from '../../../src/errors/index.js';
import { acquireLockFile, withLockFile } from '../../../src/fs/lock-file.js';
import { fill, mountSmallTmpfs } from '../../helpers/full-fs.js';
import { tempDir } from '../../helpers/tmp.js';

const opts = (staleMs?: number) => ({
  timeoutMs: 5000,
  staleMs,
  busy: () => new OperationError('BUSY', 'busy'),
});

describe('withLockFile', () => {
  it('serialises holders and removes the lock when done', async () => {
    const lock = join(await tempDir(), 'x.lock');
    const order: string[] = [];
    const hold = (name: string) =>
      withLockFile(lock, opts(), async () => {
        order.push(`${name}+`);
        await sleep(20);
        order.push(`${name}-`);
      });
    await Promise.all([hold('a'), hold('b'), hold('c')]);
    expect(order.join(' ')).toMatch(/^(\w)\+ \1- (\w)\+ \2- (\w)\+ \3-$/);
    expect(existsSync(lock)).toBe(false);
  });

  it('a holder that lost its stale lock to another does not delete the new holder’s lock', async () => {
    const lock = join(await tempDir(), 'x.lock');
    let seenByB: boolean | undefined;
    const a = withLockFile(lock, opts(30), () => sleep(100)); // paused past staleMs
    await sleep(50);
    const b = withLockFile(lock, opts(30), async () => {
      await sleep(150); // a finishes meanwhile
      seenByB = existsSync(lock);
    });
    await Promise.all([a, b]);
    expect(seenByB).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });

  /** A file last modified `ageMs` ago. */
  const aged = (path: string, ageMs: number, content = ''): void => {
    writeFileSync(path, content);
    const then = (Date.now() - ageMs) / 1000;
    utimesSync(path, then, then);
  };

  it('leaves a stale lock alone while another waiter is breaking it', async () => {
    // Another process holds <lock>.break: it is about to remove the stale lock and take the
    // lock itself. Removing the lock here too could delete the lock it has just created.
    const lock = join(await tempDir(), 'x.lock');
    aged(lock, 60_000, 'old holder');
    writeFileSync(`${lock}.break`, '');
    const err = await acquireLockFile(lock, { ...opts(1000), timeoutMs: 150 }).catch((e) => e);
    expect(err).toMatchObject({ code: 'BUSY' });
    expect(readFileSync(lock, 'utf8')).toBe('old holder');
  });

  it('breaks a stale lock whose breaker was killed half-way', async () => {
    const lock = join(await tempDir(), 'x.lock');
    aged(lock, 60_000, 'old holder');
    aged(`${lock}.break`, 60_000);
    await acquireLockFile(lock, opts(1000), 'new holder');
    expect(readFileSync(lock, 'utf8')).toBe('new holder');
    expect(existsSync(`${lock}.break`)).toBe(false);
  });

  it('waits for a fresh lock and takes it once released, leaving no breaker behind', async () => {
    const lock = join(await tempDir(), 'x.lock');
    writeFileSync(lock, 'holder');
    setTimeout(() => rmSync(lock), 100);
    await acquireLockFile(lock, opts(60_000), 'next');
    expect(readFileSync(lock, 'utf8')).toBe('next');
    expect(existsSync(`${lock}.break`)).toBe(false);
  });
});

describe('a lock found in the way', () => {
  it('already older than abandonedMs: abandoned(age) at once, the lock left in place', async () => {
    const lock = join(await tempDir(), 'x.lock');
    writeFileSync(lock, '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(lock, old, old);
    const err = await acquireLockFile(lock, {
      ...opts(),
      abandonedMs: 30_000,
      abandoned: (ageMs) => new OperationError('OLD', `old ${Math.round(ageMs / 1000)}`),
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'OLD', message: expect.stringMatching(/^old 6\d$/) });
    expect(existsSync(lock)).toBe(true);
  });

  it('(root) a lock whose content a full disk refused is removed, and the error names it', async (ctx) => {
    const dir = join(await tempDir(), 'full');
    const unmount = mountSmallTmpfs(dir);
    if (!unmount) return ctx.skip();
    try {
      fill(dir);
      const lock = join(dir, 'x.lock');
      const err = await withLockFile(lock, opts(), async () => undefined).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'DISK_FULL', exitCode: 1, data: { path: lock } });
      expect(existsSync(lock)).toBe(false);
    } finally {
      unmount();
    }
  });
});
