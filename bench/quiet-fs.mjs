// Keeps the benchmarks from measuring the kernel's memory of earlier deletions.
//
// The root filesystem of this machine is ext4 without a journal. On such a filesystem the
// inode allocator skips every free inode deleted in the last minutes (ext4
// `recently_deleted`, up to ~5 min while the inode table block is dirty) and pays a buffer
// lookup for each one it skips, on every file it creates. After a test run or a benchmark
// set-up has deleted tens of thousands of files, creating a file costs 150–400 µs instead
// of ~20 µs, for every tool alike — cmf, rclone, cp. So the benchmarks
//  - never delete between timed runs: they move old outputs into a trash directory
//    (a rename frees no inode) and delete the trash only when they finish, and
//  - before a timed section, probe how long creating a file takes and wait (bounded) until
//    the filesystem is back to normal, reporting how long they waited.
import { closeSync, mkdirSync, openSync, renameSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const work = fileURLToPath(new URL('.work/', import.meta.url));
const trash = join(work, 'trash');
const probes = join(work, 'probe');
let moved = 0;

/** Moves `path` (if it exists) into the trash instead of deleting it. */
export function moveToTrash(path) {
  if (!existsSync(path)) return;
  mkdirSync(trash, { recursive: true });
  renameSync(path, join(trash, `${process.pid}-${Date.now()}-${moved++}`));
}

/** Deletes the trash (and the probe files): call once, when a benchmark is done. */
export function emptyTrash() {
  rmSync(trash, { recursive: true, force: true });
  rmSync(probes, { recursive: true, force: true });
}

/** Microseconds per file to create 300 empty files (kept: deleting them would be the harm). */
export function probeCreateMicros() {
  const dir = join(probes, `${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const n = 300;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) closeSync(openSync(join(dir, `f${i}`), 'wx'));
  return Number(process.hrtime.bigint() - t0) / 1e3 / n;
}

/**
 * Waits until creating a file costs under `limitMicros` again (at most `maxSeconds`).
 * Returns a short description for the benchmark's note, e.g. "fs settled in 95 s".
 */
export function waitForQuietFs({ limitMicros = 40, maxSeconds = 400 } = {}) {
  const t0 = Date.now();
  let us = probeCreateMicros();
  while (us > limitMicros && Date.now() - t0 < maxSeconds * 1000) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 15_000);
    us = probeCreateMicros();
  }
  const waited = Math.round((Date.now() - t0) / 1000);
  const state =
    us > limitMicros
      ? `fs still slow: ${us.toFixed(0)} µs/create`
      : `fs ${us.toFixed(0)} µs/create`;
  return waited > 0 ? `${state} after waiting ${waited} s` : state;
}
