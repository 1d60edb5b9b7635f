import { beforeEach, describe, expect, it, vi } from 'vitest';

/** A fresh copy of the module: a stop is for good within one. */
let inFlight: typeof import('../../../src/remotes/in-flight.js');
beforeEach(async () => {
  vi.resetModules();
  inFlight = await import('../../../src/remotes/in-flight.js');
});

describe('remote work undone on a stop', () => {
  it('runs the undo of work in flight, not of finished work, and refuses new work', async () => {
    const undone: string[] = [];
    await inFlight.withUndoOnStop(
      async () => undone.push('finished'),
      async () => 'done',
    );
    let release!: () => void;
    const running = inFlight.withUndoOnStop(
      async () => undone.push('running'),
      () => new Promise<void>((r) => (release = r)),
    );
    expect(inFlight.remoteWorkInFlight()).toBe(true);
    expect(await inFlight.undoRemoteWorkInFlight(1000)).toBe(1);
    expect(undone).toEqual(['running']);
    await expect(
      inFlight.withUndoOnStop(
        async () => undefined,
        async () => 'new',
      ),
    ).rejects.toMatchObject({ code: 'INTERRUPTED' });
    release();
    await running;
  });

  it('returns after the timeout when an undo hangs (the test would time out otherwise)', async () => {
    void inFlight.withUndoOnStop(
      () => new Promise(() => undefined),
      () => new Promise(() => undefined),
    );
    expect(await inFlight.undoRemoteWorkInFlight(50)).toBe(1);
  });
});
