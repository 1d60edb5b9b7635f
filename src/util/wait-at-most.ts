/**
 * Waits for `work` to settle, or `ms` milliseconds, whichever comes first: for clean-ups
 * that must not hold the exit when a server does not answer. Never rejects.
 */
export async function waitAtMost(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((done) => (timer = setTimeout(done, ms)));
  try {
    await Promise.race([work.catch(() => undefined), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
