import type { TransferOptions } from './driver.js';

/** A pipeline stage that passes chunks through and reports their sizes to `onBytes`. */
export function counting(opts: TransferOptions) {
  return async function* (src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of src) {
      opts.onBytes?.(chunk.length);
      yield chunk;
    }
  };
}
