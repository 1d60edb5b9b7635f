import { describe, expect, it } from 'vitest';
import * as errors from '../../../src/errors/index.js';
import { InvalidDocumentError } from '../../../src/cmf/merge-document.js';

/** A second, separately loaded copy of the error module (as two installed versions of cmf). */
const other = (await import(
  new URL('../../../src/errors/index.ts?copy=2', import.meta.url).href
)) as typeof errors;

describe('errors thrown by another copy of cmf', () => {
  it('are a separate copy (plain instanceof would not match)', () => {
    expect(other.UsageError).not.toBe(errors.UsageError);
  });

  it('are cmf errors of their class, and of no other', () => {
    const e = new other.UsageError('X_BAD', 'bad', { hint: 'h' });
    expect(errors.isCmfError(e)).toBe(true);
    expect(e instanceof errors.CmfError).toBe(true);
    expect(e instanceof errors.UsageError).toBe(true);
    expect(e instanceof errors.NotFoundError).toBe(false);
    expect(e instanceof errors.InterruptedError).toBe(false);
    expect(e instanceof Error).toBe(true);
    expect(errors.withHint(e, 'other') instanceof errors.UsageError).toBe(true);
  });

  it('keep their code, exit code and hint through toCmfError (not UNEXPECTED)', () => {
    const e = new other.NotFoundError('PIPELINE_NOT_FOUND', 'no such pipeline', { hint: 'h' });
    expect(errors.toCmfError(e)).toBe(e);
    expect(errors.toCmfError(e)).toMatchObject({ code: 'PIPELINE_NOT_FOUND', exitCode: 3 });
  });

  it('a subclass matches its bases, and the bases do not match it', async () => {
    const copy = new URL('../../../src/cmf/merge-document.ts?copy=2', import.meta.url).href;
    const { InvalidDocumentError: OtherInvalid } = (await import(copy)) as {
      InvalidDocumentError: typeof InvalidDocumentError;
    };
    expect(OtherInvalid).not.toBe(InvalidDocumentError);
    const e = new OtherInvalid('Pipeline[0]', 'no name');
    expect(e instanceof InvalidDocumentError).toBe(true);
    expect(e instanceof errors.UsageError).toBe(true);
    expect(new errors.UsageError('X', 'x') instanceof InvalidDocumentError).toBe(false);
  });

  it('plain errors and look-alikes without the brand are not cmf errors', () => {
    const lookAlike = Object.assign(new Error('x'), { code: 'X', exitCode: 2, name: 'UsageError' });
    expect(errors.isCmfError(lookAlike)).toBe(false);
    expect(lookAlike instanceof errors.UsageError).toBe(false);
    expect(errors.isCmfError(null)).toBe(false);
    expect(errors.isCmfError('UsageError')).toBe(false);
    expect(errors.toCmfError(lookAlike).code).toBe('UNEXPECTED');
  });
});
