import { describe, expect, it } from 'vitest';
import { parseByteSize } from '../../../src/server/start.js';

describe('parseByteSize (--body-limit)', () => {
  it('reads bytes and binary units', () => {
    expect(parseByteSize('1048576')).toBe(1048576);
    expect(parseByteSize('64k')).toBe(65536);
    expect(parseByteSize(' 1.5 MiB ')).toBe(1572864);
    expect(parseByteSize('1G')).toBe(1024 ** 3);
  });

  it('refuses what is not at least one whole byte, or not a size (INVALID_SIZE, exit 2)', () => {
    for (const text of ['0', '0.5', '0.9b', '0.0001k', '', 'x', '-1', '5T', `${'9'.repeat(30)}G`]) {
      expect(() => parseByteSize(text), text).toThrow(
        expect.objectContaining({ code: 'INVALID_SIZE', exitCode: 2 }),
      );
    }
  });
});
