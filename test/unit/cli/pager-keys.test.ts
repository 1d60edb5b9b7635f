import { describe, expect, it } from 'vitest';
import { splitKeys } from '../../../src/cli/pager.js';

describe('keys that arrive together', () => {
  it('are one character or one escape sequence each', () => {
    expect(splitKeys('qq')).toEqual(['q', 'q']);
    expect(splitKeys('x q')).toEqual(['x', ' ', 'q']);
    // Arrow keys (CSI and SS3 forms), Alt+x, a lone Escape, a non-BMP character.
    expect(splitKeys('\x1b[A\x1bOBz\x1bx\x1b')).toEqual(['\x1b[A', '\x1bOB', 'z', '\x1bx', '\x1b']);
    expect(splitKeys('🚀q')).toEqual(['🚀', 'q']);
    expect(splitKeys('\u0003')).toEqual(['\u0003']);
    expect(splitKeys('')).toEqual([]);
  });
});
