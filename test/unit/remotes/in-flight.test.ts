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
    expect(await inFlight.undoRemoteWorkInFlight(1000)).toEqual({
      undone: 1,
      notUndone: 0,
      left: [],
      kept: [],
    });
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

  it('returns after the timeout when an undo hangs, and counts only the undos that finished', async () => {
    const never = () => new Promise(() => undefined);
    void inFlight.withUndoOnStop(never, never, 'ssh://h/d/.a.tmp');
    void inFlight.withUndoOnStop(
      async () => Promise.reject(new Error('refused')),
      never,
      'ssh://h/d/.b.tmp',
    );
    void inFlight.withUndoOnStop(never, never);
    void inFlight.withUndoOnStop(async () => undefined, never, 'ssh://h/d/.c.tmp');
    // Was: the number of undos started (4), whether they finished or not.
    expect(await inFlight.undoRemoteWorkInFlight(50)).toEqual({
      undone: 1,
      notUndone: 3,
      left: ['ssh://h/d/.a.tmp', 'ssh://h/d/.b.tmp'],
      kept: [],
    });
  });

  it('keeps work marked to be resumed once its record is written; one not recorded in time may remain', async () => {
    const never = () => new Promise(() => undefined);
    let recordWritten = false;
    void inFlight.withKeepOnStop(
      async () => {
        recordWritten = true;
      },
      never,
      'files/md5/ab/cd',
    );
    void inFlight.withKeepOnStop(never, never, 'files/md5/ef/01');
    expect(await inFlight.undoRemoteWorkInFlight(50)).toEqual({
      undone: 0,
      notUndone: 1,
      left: ['files/md5/ef/01'],
      kept: ['files/md5/ab/cd'],
    });
    expect(recordWritten).toBe(true);
  });
});
