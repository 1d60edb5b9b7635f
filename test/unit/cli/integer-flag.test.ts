import { describe, expect, it } from 'vitest';
import { parseIntegerInRange } from '../../../src/cli/flags.js';

describe('integer flags', () => {
  it('take whole decimal numbers within the range', () => {
    expect(parseIntegerInRange('1', 1, 256)).toBe(1);
    expect(parseIntegerInRange('256', 1, 256)).toBe(256);
    expect(parseIntegerInRange('+7', 0, 10)).toBe(7);
    expect(parseIntegerInRange('0', 0, 65535)).toBe(0);
  });

  it('refuse anything else, naming the range', () => {
    for (const bad of ['0', '257', '1.5', '1e3', '0x10', '', 'abc', '99999999999999999999']) {
      expect(() => parseIntegerInRange(bad, 1, 256), bad).toThrow(
        `expected an integer from 1 to 256, got '${bad}'`,
      );
    }
  });
});
