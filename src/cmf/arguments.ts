/** Checks of the plain arguments of the logging calls (before anything is written). */
import { UsageError } from '../errors/index.js';

/** A name that becomes a file name (step metrics, dataslices). */
export function checkFileName(what: string, name: unknown): string {
  if (
    typeof name !== 'string' ||
    name === '' ||
    name === '.' ||
    name === '..' ||
    /[/\\\0]/.test(name)
  ) {
    throw new UsageError('CMF_BAD_NAME', `Invalid ${what} name ${JSON.stringify(name)}`, {
      hint: `A ${what} name becomes a file name: use a non-empty name without slashes.`,
    });
  }
  return name;
}

export function checkText(what: string, v: unknown): string {
  if (typeof v !== 'string' || v === '' || v.includes('\0')) {
    throw new UsageError('CMF_BAD_ARGUMENT', `${what} must be a non-empty string`, {
      data: { value: String(v) },
    });
  }
  return v;
}
