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
    expect(collectTokens(undefined, '')).toEqual([]);
    expect(collectTokens(undefined, 't1,')).toEqual(['t1']);
  });

  it('refuses a blank token given on purpose: it would turn authentication off (exit 2)', () => {
    for (const [flags, env, said] of [
      [[''], undefined, /^--token was given an empty value/],
      [['t1', '  '], 'x', /^--token was given an empty value/],
      [undefined, ',,', /^CMF_SERVER_TOKEN holds no token \(",,"\)/],
      [undefined, ' ', /^CMF_SERVER_TOKEN holds no token/],
    ] as const) {
      let caught: unknown;
      try {
        collectTokens(flags, env);
      } catch (err) {
        caught = err;
      }
      expect(caught, `${String(flags)} ${env}`).toMatchObject({
        code: 'SERVER_TOKEN_EMPTY',
        exitCode: 2,
        message: expect.stringMatching(said),
        hint: expect.stringContaining('To run without authentication, give no --token'),
      });
    }
  });
});
