import { randomBytes } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compressObject, zlibStored } from '../../../src/git/zlib-stored.js';

describe('zlib streams for git objects', () => {
  it('stored blocks inflate back to the input, across the 64 KiB block limit', () => {
    for (const n of [0, 1, 200, 65535, 65536, 65537, 200_000]) {
      const data = randomBytes(n);
      expect(inflateSync(zlibStored(data)).equals(data)).toBe(true);
    }
  });

  it('compresses large objects for real', () => {
    const text = Buffer.from('outs:\n- md5: 0123\n'.repeat(1000));
    const z = compressObject(text);
    expect(z.length).toBeLessThan(text.length / 10);
    expect(inflateSync(z).equals(text)).toBe(true);
  });
});
