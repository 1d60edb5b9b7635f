import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { OperationError } from '../../../src/errors/index.js';
import { withLockFile } from '../../../src/fs/lock-file.js';
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
});
