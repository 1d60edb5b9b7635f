/**
 * Runs `fn` over `items` with at most `jobs` calls in flight. The first error thrown by `fn`
 * stops new items from starting; it is rethrown once the calls in flight have settled.
 */
export async function runPool<T>(
  items: readonly T[],
  jobs: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        if (!failed) firstError = err;
        failed = true;
      }
    }
  };
  const n = Math.max(1, Math.min(jobs, items.length));
  await Promise.all(Array.from({ length: n }, worker));
  if (failed) throw firstError;
}
