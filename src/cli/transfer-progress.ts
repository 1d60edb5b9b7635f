import type { TransferProgress } from '../remotes/index.js';

/** Bytes for people: 0 B, 12.3 KB, 4.5 MB, 1.2 GB (powers of 1024). */
export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

/**
 * A one-line transfer progress on stderr (`\r`-rewritten, at most 10 times a second), only
 * when stderr is a terminal and progress is wanted; otherwise a no-op. `done()` clears it.
 */
export function transferProgress(
  verb: string,
  enabled: boolean,
  stream: NodeJS.WriteStream = process.stderr,
): { onProgress?: (p: TransferProgress) => void; done: () => void } {
  if (!enabled || !stream.isTTY || process.env.CI) return { done: () => {} };
  let last = 0;
  let shown = false;
  const onProgress = (p: TransferProgress): void => {
    const now = Date.now();
    if (now - last < 100 && p.filesDone < p.filesTotal) return;
    last = now;
    const bytes =
      p.bytesTotal !== undefined
        ? `${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)}`
        : formatBytes(p.bytesDone);
    stream.write(`\r\x1b[2K${verb} ${p.filesDone}/${p.filesTotal} files, ${bytes}`);
    shown = true;
  };
  return {
    onProgress,
    done: () => {
      if (shown) stream.write('\r\x1b[2K');
    },
  };
}
