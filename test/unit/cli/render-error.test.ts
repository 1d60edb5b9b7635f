import { afterEach, describe, expect, it } from 'vitest';
import { renderError } from '../../../src/cli/render-error.js';
import { toCmfError } from '../../../src/errors/index.js';

const saved = process.env.DEBUG;
afterEach(() => {
  if (saved === undefined) delete process.env.DEBUG;
  else process.env.DEBUG = saved;
});

function whereItBroke(): Error {
  return Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
}

describe('renderError', () => {
  it('with DEBUG set, shows the stack of the error and of its causes (where it really came from)', () => {
    const err = toCmfError(whereItBroke());
    expect(err.code).toBe('UNEXPECTED');
    delete process.env.DEBUG;
    expect(renderError(err, false)).toBe(`Error: aborted\nHint: ${err.hint}\n`);
    process.env.DEBUG = 'cmf*';
    const text = renderError(err, false);
    expect(text).toMatch(/^Error: aborted\nHint: .*\n[^\n]*Error: aborted\n\s+at /);
    expect(text).toMatch(/\nCaused by: Error: aborted\n\s+at whereItBroke /);
  });
});
