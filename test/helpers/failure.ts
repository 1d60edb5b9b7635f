import { expect } from 'vitest';
import { CmfError } from '../../src/errors/index.js';

/** The CmfError a promise rejects with; the test fails if it resolves or rejects otherwise. */
export async function failure(p: Promise<unknown>): Promise<CmfError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(CmfError);
    return err as CmfError;
  }
  throw new Error('expected a rejection');
}

/** The CmfError `fn` throws or rejects with: for calls that may fail before returning a promise. */
export function thrown(fn: () => unknown): Promise<CmfError> {
  return failure((async () => fn())());
}
