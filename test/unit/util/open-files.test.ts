import { describe, expect, it } from 'vitest';
import {
  isOutOfFiles,
  jobsWithinOpenFileLimit,
  openFileLimit,
} from '../../../src/util/open-files.js';

describe.skipIf(process.platform !== 'linux')('open-file limit (Linux /proc)', () => {
  it('reads the soft limit and keeps the jobs within it, never below one', () => {
    const limit = openFileLimit();
    expect(limit).toBeGreaterThan(0);
    expect(jobsWithinOpenFileLimit(limit! * 10)).toBeLessThan(limit! / 2);
    expect(jobsWithinOpenFileLimit(4)).toBe(4);
    expect(jobsWithinOpenFileLimit(1)).toBe(1);
  });
});

describe('isOutOfFiles', () => {
  it('finds EMFILE or ENFILE in the cause chain', () => {
    const emfile = Object.assign(new Error('connect EMFILE'), { code: 'EMFILE' });
    expect(isOutOfFiles(new Error('wrapped', { cause: emfile }))).toBe(true);
    expect(isOutOfFiles(Object.assign(new Error('x'), { code: 'ENFILE' }))).toBe(true);
    expect(isOutOfFiles(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(false);
  });
});
