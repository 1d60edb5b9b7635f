import { describe, expect, it } from 'vitest';
import { erasePrompt, screenLines, splitKeys } from '../../../src/cli/pager.js';

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

describe('screen lines', () => {
  it('a line wraps at the terminal width; a line as wide as the terminal takes one', () => {
    expect(screenLines('', 80)).toBe(1);
    expect(screenLines('x'.repeat(80), 80)).toBe(1);
    expect(screenLines('x'.repeat(81), 80)).toBe(2);
    expect(screenLines('中'.repeat(40), 40)).toBe(2); // wide characters take two columns
    expect(screenLines('x'.repeat(10), 0)).toBe(10); // a width of 0 is taken as 1
  });
});

describe('erasing the prompt', () => {
  it('goes back over every line the prompt wrapped onto; a dumb terminal gets a newline', () => {
    expect(erasePrompt(1, false)).toBe('\r\x1b[J');
    expect(erasePrompt(2, false)).toBe('\r\x1b[1A\x1b[J');
    expect(erasePrompt(2, true)).toBe('\n');
  });
});
