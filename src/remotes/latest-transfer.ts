/**
 * This process's latest transfer, which a stop signal reports (src/cli/interrupt.ts): kept
 * apart from the transfer engine (transfer.ts) so that every command, a listing too, can
 * handle signals without loading the engine and what it imports.
 */

/** What a transfer has done so far. */
export interface TransferCounts {
  transferred: number;
  present: number;
  bytes: number;
  /** Bytes an earlier, interrupted transfer had moved and this one kept (not in `bytes`). */
  resumed: number;
  failed: number;
}

let latest: (() => TransferCounts) | undefined;

/** Called by the engine when a transfer begins: `counts` tells what it has done so far. */
export function transferBegun(counts: () => TransferCounts): void {
  latest = counts;
}

/**
 * What this process's latest transfer has done so far (undefined before any): a stop signal
 * reports it, as an error that stops a transfer carries its partial result.
 */
export function latestTransferCounts(): TransferCounts | undefined {
  return latest?.();
}
