/**
 * Flag value checks that need no oclif: the oclif flags (flags.ts) and the fast path
 * (fast-path.ts) read values through them, so both take exactly the same values.
 */

/** Upper bound of `-j`: each job may hold a connection and a hashing thread. */
export const MAX_JOBS = 256;

/**
 * A whole number from `min` to `max` written in decimal (spaces around it and a sign
 * allowed), else undefined: `1e3`, `0x10`, `2.5` and numbers beyond 2^53 are not taken.
 */
export function integerInRange(input: string, min: number, max: number): number | undefined {
  const text = input.trim();
  const n = /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}
