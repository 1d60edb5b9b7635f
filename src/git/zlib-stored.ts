/**
 * Compression for git objects. zlib's set-up (allocating its window and hash tables) costs
 * about 50–100 µs per stream here, far more than compressing a 200-byte `.dvc` file saves,
 * and every git object is its own stream. Small objects are therefore written as zlib
 * streams of "stored" (uncompressed) deflate blocks, exactly what git itself writes with
 * `core.compression 0`; every zlib reader (git, isomorphic-git, libgit2) inflates them.
 */
import { deflateSync } from 'node:zlib';

/** Objects from this size on are compressed for real. */
const COMPRESS_FROM = 4096;

function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  const MOD = 65521;
  // Sums stay below 2^53 for 5552-byte runs, the classic zlib bound for 32-bit sums.
  for (let i = 0; i < data.length;) {
    const end = Math.min(i + 5552, data.length);
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= MOD;
    b %= MOD;
  }
  return ((b << 16) | a) >>> 0;
}

/** A zlib stream (RFC 1950) of stored deflate blocks (RFC 1951 §3.2.4). */
export function zlibStored(data: Uint8Array): Buffer {
  const blocks = Math.max(1, Math.ceil(data.length / 0xffff));
  const out = Buffer.alloc(2 + blocks * 5 + data.length + 4);
  out[0] = 0x78; // deflate, 32K window
  out[1] = 0x01; // no dictionary, fastest; (0x78 << 8 | 0x01) % 31 === 0
  let at = 2;
  for (let i = 0; i < blocks; i++) {
    const chunk = data.subarray(i * 0xffff, Math.min((i + 1) * 0xffff, data.length));
    out[at] = i === blocks - 1 ? 1 : 0; // BFINAL, BTYPE 00
    out.writeUInt16LE(chunk.length, at + 1);
    out.writeUInt16LE(~chunk.length & 0xffff, at + 3);
    out.set(chunk, at + 5);
    at += 5 + chunk.length;
  }
  out.writeUInt32BE(adler32(data), at);
  return out;
}

/** The zlib stream git stores for an object's bytes (header included). */
export function compressObject(data: Uint8Array): Buffer {
  return data.length < COMPRESS_FROM ? zlibStored(data) : deflateSync(data);
}
