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
 * `12.0 MB, 42.0 MB resumed`: the bytes a transfer moved and, if any, those an earlier,
 * interrupted one had moved and this one kept (partial downloads of a pull; parts or temp
 * files of large uploads of a push).
 */
export function movedBytes(r: { bytes: number; resumed: number }): string {
  return formatBytes(r.bytes) + (r.resumed > 0 ? `, ${formatBytes(r.resumed)} resumed` : '');
}

/** A duration for people, rounded up to the second: 8s, 2m05s, 1h02m. */
export function formatDuration(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return `${s}s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
}

/**
 * The progress line: `Pushing 3/107 files, 80.0 MB / 109.8 MB, 45.2 MB/s, 1s left`. The rate
 * shows once known, the time left when the total is known too. The line never reaches the
 * last column (a wrapped line could not be rewritten in place): the time left goes first,
 * then the rate, then the end of what is left.
 */
export function progressLine(
  verb: string,
  p: TransferProgress,
  opts: { bytesPerSecond?: number; columns?: number } = {},
): string {
  const bytes =
    p.bytesTotal !== undefined
      ? `${formatBytes(p.bytesDone)} / ${formatBytes(p.bytesTotal)}`
      : formatBytes(p.bytesDone);
  const parts = [`${verb} ${p.filesDone}/${p.filesTotal} files`, bytes];
  const rate = opts.bytesPerSecond;
  if (rate !== undefined && rate > 0) {
    parts.push(`${formatBytes(Math.round(rate))}/s`);
    if (p.bytesTotal !== undefined && p.bytesTotal > p.bytesDone) {
      parts.push(`${formatDuration((p.bytesTotal - p.bytesDone) / rate)} left`);
    }
  }
  // A terminal that reports no width (0 columns, as under script(1)) is not cut to nothing.
  const width = (opts.columns || Number.POSITIVE_INFINITY) - 1;
  while (parts.length > 2 && parts.join(', ').length > width) parts.pop();
  const line = parts.join(', ');
  return line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line;
}

/** How far back the rate looks: long enough to smooth bursts, short enough to follow changes. */
const RATE_WINDOW_MS = 5_000;
/** The rate is shown once it is measured over at least this long. */
const RATE_MIN_SPAN_MS = 1_000;

/**
 * Bytes per second over the last few seconds, from (time, bytes done) samples. Bytes done
 * may go back (a failed object's bytes are taken back): the rate is then not shown.
 */
export class RateMeter {
  private readonly samples: Array<[ms: number, bytes: number]> = [];

  add(ms: number, bytes: number): void {
    this.samples.push([ms, bytes]);
    while (this.samples.length > 2 && ms - this.samples[1]![0] >= RATE_WINDOW_MS) {
      this.samples.shift();
    }
  }

  /** Undefined until measured over a second, or while bytes went back. */
  bytesPerSecond(): number | undefined {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last[0] - first[0] < RATE_MIN_SPAN_MS) return undefined;
    const rate = ((last[1] - first[1]) * 1000) / (last[0] - first[0]);
    return rate > 0 ? rate : undefined;
  }
}

/**
 * A one-line transfer progress on stderr (`\r`-rewritten, at most 10 times a second), only
 * when stderr is a terminal and progress is wanted; otherwise a no-op. `done()` clears it.
 */
export function transferProgress(
  verb: string,
  enabled: boolean,
  stream: NodeJS.WriteStream = process.stderr,
  now: () => number = Date.now,
): { onProgress?: (p: TransferProgress) => void; done: () => void } {
  if (!enabled || !stream.isTTY || process.env.CI) return { done: () => {} };
  let last = 0;
  let shown = false;
  const meter = new RateMeter();
  const onProgress = (p: TransferProgress): void => {
    const t = now();
    if (t - last < 100 && p.filesDone < p.filesTotal) return;
    last = t;
    meter.add(t, p.bytesDone);
    const line = progressLine(verb, p, {
      bytesPerSecond: meter.bytesPerSecond(),
      columns: stream.columns,
    });
    stream.write(`\r\x1b[2K${line}`);
    shown = true;
  };
  return {
    onProgress,
    done: () => {
      if (shown) stream.write('\r\x1b[2K');
    },
  };
}
