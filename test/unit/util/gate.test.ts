import { describe, expect, it } from 'vitest';
import { Gate } from '../../../src/util/gate.js';

describe('Gate', () => {
  it('runs at most `limit` functions at once, the others in order, and passes errors through', async () => {
    const gate = new Gate(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const task = (i: number) =>
      gate.run(async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setImmediate(r));
        order.push(i);
        running--;
        if (i === 3) throw new Error('three');
        return i;
      });
    const results = await Promise.allSettled([1, 2, 3, 4, 5, 6].map(task));
    expect(most).toBe(2);
    expect(order).toEqual([1, 2, 3, 4, 5, 6]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'failed'))).toEqual([
      1,
      2,
      'failed',
      4,
      5,
      6,
    ]);
    // Turns freed by finished and failed functions are all back.
    expect(await Promise.all([task(7), task(8)])).toEqual([7, 8]);
  });
});
