import { describe, expect, it } from 'vitest';
import { toCmfError } from '../../../src/errors/index.js';

/** A Node fs error as thrown for `syscall` (a write to an open file names no path). */
const fsError = (code: string, extra: Record<string, string> = {}) =>
  Object.assign(new Error(`${code}: no space left on device`), {
    code,
    syscall: 'write',
    ...extra,
  });

describe('a write that found no space, not typed by the code that wrote', () => {
  it('is DISK_FULL (exit 1) naming the file written, not an unexpected error', () => {
    const err = toCmfError(fsError('ENOSPC', { path: '/src/a', dest: '/cache/b' }));
    expect(err).toMatchObject({ code: 'DISK_FULL', exitCode: 1, data: { path: '/cache/b' } });
    expect(err.message).toBe('Cannot write /cache/b: no space left on its file system (ENOSPC).');
    expect(err.hint).toMatch(/Free space on the file system holding \/cache/);
    expect(err.hint).not.toMatch(/bug/);
  });

  it('says so when a quota is used up, or when the error names no file', () => {
    expect(toCmfError(fsError('EDQUOT', { path: '/x/y' })).message).toBe(
      'Cannot write /x/y: the disk quota is used up (EDQUOT).',
    );
    const anon = toCmfError(fsError('ENOSPC'));
    expect(anon).toMatchObject({ code: 'DISK_FULL', exitCode: 1 });
    expect(anon.message).toBe('A write failed: no space left on its file system (ENOSPC).');
  });
});
