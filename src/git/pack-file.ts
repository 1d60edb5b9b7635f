/**
 * A git pack (version 2) of whole, undeltified objects and its index (`.idx` version 2), as
 * `git index-pack` would write them (Documentation/gitformat-pack.txt). Staging a batch of
 * `.dvc` files into one pack creates two files instead of one loose object per file.
 */
import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { ObjectType } from './object-writer.js';
import { compressObject } from './zlib-stored.js';

const TYPE_CODE: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3 };

export interface PackObject {
  oid: string;
  type: ObjectType;
  content: Uint8Array;
}

/** The entry header: type and inflated size, 4 bits then 7 bits a byte, low bits first. */
function entryHeader(type: ObjectType, size: number): Buffer {
  const bytes: number[] = [];
  let c = (TYPE_CODE[type] << 4) | (size & 0x0f);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes.push(c | 0x80);
    c = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  bytes.push(c);
  return Buffer.from(bytes);
}

/**
 * Encodes distinct objects as a pack and its index. Returns both files' bytes and the pack's
 * checksum, which names them (`pack-<hex>.pack`, `pack-<hex>.idx`).
 */
export function encodePack(objects: readonly PackObject[]): {
  pack: Buffer;
  idx: Buffer;
  name: string;
} {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(12);
  head.write('PACK', 0, 'latin1');
  head.writeUInt32BE(2, 4);
  head.writeUInt32BE(objects.length, 8);
  parts.push(head);
  let offset = 12;
  const placed: Array<{ oid: Buffer; offset: number; crc: number }> = [];
  for (const o of objects) {
    const entry = Buffer.concat([entryHeader(o.type, o.content.length), compressObject(o.content)]);
    placed.push({ oid: Buffer.from(o.oid, 'hex'), offset, crc: crc32(entry) });
    parts.push(entry);
    offset += entry.length;
  }
  if (offset >= 2 ** 31) throw new RangeError('pack too large for 32-bit offsets');
  const body = Buffer.concat(parts);
  const packSum = createHash('sha1').update(body).digest();
  const pack = Buffer.concat([body, packSum]);

  placed.sort((a, b) => Buffer.compare(a.oid, b.oid));
  const n = placed.length;
  const idx = Buffer.alloc(8 + 256 * 4 + n * 28 + 40);
  idx.writeUInt32BE(0xff744f63, 0); // "\377tOc"
  idx.writeUInt32BE(2, 4);
  const fanout = new Array<number>(256).fill(0);
  for (const p of placed) fanout[p.oid[0]!]!++;
  let total = 0;
  for (let i = 0; i < 256; i++) {
    total += fanout[i]!;
    idx.writeUInt32BE(total, 8 + i * 4);
  }
  const names = 8 + 1024;
  const crcs = names + n * 20;
  const offsets = crcs + n * 4;
  placed.forEach((p, i) => {
    p.oid.copy(idx, names + i * 20);
    idx.writeUInt32BE(p.crc >>> 0, crcs + i * 4);
    idx.writeUInt32BE(p.offset, offsets + i * 4);
  });
  packSum.copy(idx, offsets + n * 4);
  createHash('sha1')
    .update(idx.subarray(0, idx.length - 20))
    .digest()
    .copy(idx, idx.length - 20);
  return { pack, idx, name: packSum.toString('hex') };
}
