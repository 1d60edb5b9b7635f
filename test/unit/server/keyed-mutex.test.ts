import { describe, expect, it } from 'vitest';
import { KeyedMutex } from '../../../src/server/keyed-mutex.js';

describe('KeyedMutex', () => {
  it('runs one holder per key at a time, keys independently, and forgets idle keys', async () => {
    const locks = new KeyedMutex();
    const order: string[] = [];
    let releaseA!: () => void;
    const gate = new Promise<void>((r) => (releaseA = r));
    const a1 = locks.run('a', async () => {
      order.push('a1 start');
      await gate;
      order.push('a1 end');
    });
    const a2 = locks.run('a', async () => void order.push('a2'));
    await locks.run('b', async () => void order.push('b'));
    expect(order).toEqual(['a1 start', 'b']);
    expect(locks.size).toBe(1);
    releaseA();
    await Promise.all([a1, a2]);
    expect(order).toEqual(['a1 start', 'b', 'a1 end', 'a2']);
    expect(locks.size).toBe(0);
    await expect(locks.run('a', async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(locks.size).toBe(0);
  });
});
