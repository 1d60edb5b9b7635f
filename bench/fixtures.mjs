// Builds benchmark inputs once under bench/.work (git-ignored) and reuses them.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  statSync,
  writeSync,
} from 'node:fs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function prepareBigFile(path, mib) {
  if (existsSync(path) && statSync(path).size === mib * 2 ** 20) return;
  const fd = openSync(path, 'w');
  const chunk = randomBytes(2 ** 20);
  for (let i = 0; i < mib; i++) {
    chunk.writeUInt32LE(i, 0); // every MiB differs
    writeSync(fd, chunk);
  }
  closeSync(fd);
}

/** `count` files of `size` random bytes, 100 per sub-directory. */
export function prepareSmallFiles(dir, count, size) {
  const marker = `${dir}.complete`;
  if (existsSync(marker)) return;
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const sub = join(dir, `d${String(Math.floor(i / 100)).padStart(3, '0')}`);
    if (i % 100 === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${i}.bin`), randomBytes(size));
  }
  writeFileSync(marker, '');
  if (readdirSync(dir).length === 0) throw new Error('no files written');
}
