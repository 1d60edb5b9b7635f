/**
 * The hand-over of SIGINT/SIGTERM from the clean-stop handler to a command's own (`cmf server
 * start`): a signal already received but not yet dispatched when the hand-over happens must
 * reach the new handler, not be lost.
 */
import { describe, expect, it } from 'vitest';
import { handOverSignals } from '../../../src/cli/interrupt.js';

/** Blocks this thread (no event loop turn): the signal is received but not dispatched. */
function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('handOverSignals', () => {
  it('a SIGTERM pending during the hand-over goes to the new handler', async () => {
    const before: string[] = [];
    const after: string[] = [];
    const first = (s: string) => before.push(s);
    process.on('SIGTERM', first);
    process.on('SIGINT', first);
    // This test's process must have no other listener: it would hide the loss.
    expect(process.listenerCount('SIGTERM')).toBe(1);
    const release = () => {
      process.off('SIGTERM', first);
      process.off('SIGINT', first);
    };
    process.kill(process.pid, 'SIGTERM');
    blockFor(200);
    const stop = handOverSignals(release, (s) => after.push(s));
    try {
      await until(() => after.length > 0);
      expect(after).toEqual(['SIGTERM']);
      expect(before).toEqual([]);
      expect(process.listenerCount('SIGTERM')).toBe(1);
    } finally {
      stop();
    }
    expect(process.listenerCount('SIGTERM')).toBe(0);
    expect(process.listenerCount('SIGINT')).toBe(0);
  });
});
