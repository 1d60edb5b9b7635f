import type { TransferOptions } from './driver.js';

/** Reports one chunk that moved: itself to `onChunk`, its size to `onBytes`. */
export function reportChunk(opts: TransferOptions, chunk: Buffer): void {
  opts.onChunk?.(chunk);
  opts.onBytes?.(chunk.length);
}

/** A pipeline stage that passes chunks through, reporting each (see {@link reportChunk}). */
export function counting(opts: TransferOptions) {
  return async function* (src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of src) {
      reportChunk(opts, chunk);
      yield chunk;
    }
  };
}
