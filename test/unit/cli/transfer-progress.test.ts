import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  progressLine,
  RateMeter,
  transferProgress,
} from '../../../src/cli/transfer-progress.js';

const MB = 1024 * 1024;

describe('the transfer progress line', () => {
  const p = { filesDone: 3, filesTotal: 107, bytesDone: 80 * MB, bytesTotal: 110 * MB };

  it('shows files, bytes, then the rate and the time left once the rate is known', () => {
    expect(progressLine('Pushing', p)).toBe('Pushing 3/107 files, 80.0 MB / 110.0 MB');
    expect(progressLine('Pushing', p, { bytesPerSecond: 10 * MB })).toBe(
      'Pushing 3/107 files, 80.0 MB / 110.0 MB, 10.0 MB/s, 3s left',
    );
    // No total (a pull learns sizes as it goes): no time left.
    const pull = { filesDone: 3, filesTotal: 107, bytesDone: 80 * MB };
    expect(progressLine('Pulling', pull, { bytesPerSecond: 10 * MB })).toBe(
      'Pulling 3/107 files, 80.0 MB, 10.0 MB/s',
    );
  });

  it('never reaches the last column: time left, then rate, then the end go first', () => {
    const fast = { bytesPerSecond: 10 * MB };
    const full = progressLine('Pushing', p, fast);
    expect(progressLine('Pushing', p, { ...fast, columns: full.length + 1 })).toBe(full);
    expect(progressLine('Pushing', p, { ...fast, columns: full.length })).toBe(
      'Pushing 3/107 files, 80.0 MB / 110.0 MB, 10.0 MB/s',
    );
    expect(progressLine('Pushing', p, { ...fast, columns: 42 })).toBe(
      'Pushing 3/107 files, 80.0 MB / 110.0 MB',
    );
    const narrow = progressLine('Pushing', p, { ...fast, columns: 20 });
    expect(narrow).toBe('Pushing 3/107 file…');
    expect(narrow.length).toBe(19);
    // A terminal that says it has no width is not cut.
    expect(progressLine('Pushing', p, { ...fast, columns: 0 })).toBe(full);
  });

  it('formats durations for people', () => {
    expect([0.2, 8, 59.5, 125, 3725].map(formatDuration)).toEqual([
      '1s',
      '8s',
      '1m00s',
      '2m05s',
      '1h02m',
    ]);
  });
});

describe('RateMeter', () => {
  it('measures over the last five seconds, once it has a second of samples', () => {
    const m = new RateMeter();
    m.add(0, 0);
    m.add(500, 5 * MB);
    expect(m.bytesPerSecond()).toBeUndefined();
    m.add(1000, 10 * MB);
    expect(m.bytesPerSecond()).toBe(10 * MB);
    // A fast start, then a slow minute: the rate follows the slow part.
    for (let t = 2000; t <= 60_000; t += 1000) m.add(t, 10 * MB + (t / 1000 - 1) * MB);
    expect(m.bytesPerSecond()).toBe(MB);
  });

  it('shows no rate while bytes go back (a failed object taken back)', () => {
    const m = new RateMeter();
    m.add(0, 10 * MB);
    m.add(2000, 4 * MB);
    expect(m.bytesPerSecond()).toBeUndefined();
  });
});

describe('transferProgress', () => {
  /** A terminal stream of `columns` that records what is written. */
  const tty = (columns: number) => {
    const written: string[] = [];
    const stream = { isTTY: true, columns, write: (s: string) => written.push(s) };
    return { stream: stream as unknown as NodeJS.WriteStream, written };
  };

  it('draws on a terminal, at most ten times a second, with the rate after a second', () => {
    const saved = process.env.CI;
    delete process.env.CI;
    try {
      const { stream, written } = tty(200);
      let now = 0;
      const progress = transferProgress('Pulling', true, stream, () => now);
      const at = (ms: number, filesDone: number, bytesDone: number) => {
        now = ms;
        progress.onProgress!({ filesDone, filesTotal: 10, bytesDone });
      };
      at(1000, 1, MB);
      at(1050, 2, 2 * MB); // too soon: not drawn
      at(1500, 3, 3 * MB);
      at(2500, 4, 5 * MB);
      progress.done();
      expect(written).toEqual([
        '\r\x1b[2KPulling 1/10 files, 1.0 MB',
        '\r\x1b[2KPulling 3/10 files, 3.0 MB',
        '\r\x1b[2KPulling 4/10 files, 5.0 MB, 2.7 MB/s',
        '\r\x1b[2K',
      ]);
      const off = transferProgress('Pulling', false, tty(80).stream);
      expect(off.onProgress).toBeUndefined();
    } finally {
      if (saved !== undefined) process.env.CI = saved;
    }
  });
});
