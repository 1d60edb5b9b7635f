import type { TransferOptions } from './driver.js';

/**
 * A pipeline stage that passes chunks through, reporting their sizes to `onBytes` and the
 * chunks themselves to `onChunk`.
 */
export function counting(opts: TransferOptions) {
  return async function* (src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of src) {
      opts.onChunk?.(chunk);
      opts.onBytes?.(chunk.length);
      yield chunk;
    }
  };
}
