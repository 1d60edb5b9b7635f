import { describe, expect, it } from 'vitest';
import { collectTokens, TokenSet } from '../../../src/server/tokens.js';

describe('TokenSet', () => {
  it('accepts exactly "Bearer <one of the tokens>"', () => {
    const t = new TokenSet(['alpha', 'beta-longer-token']);
    expect(t.enabled).toBe(true);
    expect(t.accepts('Bearer alpha')).toBe(true);
    expect(t.accepts('bearer beta-longer-token')).toBe(true);
    for (const bad of [
      undefined,
      '',
      'alpha',
      'Bearer',
      'Bearer alph',
      'Bearer alphaa',
      'Basic alpha',
      'Bearer gamma',
    ]) {
      expect(t.accepts(bad), String(bad)).toBe(false);
    }
  });

  it('is disabled without tokens; collects flags and the comma-separated variable', () => {
    expect(new TokenSet([]).enabled).toBe(false);
    expect(new TokenSet(['']).enabled).toBe(false);
    expect(collectTokens(['a', 'b'], ' c, ,a ')).toEqual(['a', 'b', 'c']);
    expect(collectTokens(undefined, undefined)).toEqual([]);
  });
});
