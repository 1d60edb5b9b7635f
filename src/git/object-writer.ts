/**
 * Writing git objects, synchronously, with Node's own sha1 and zlib. isomorphic-git's writer
 * goes through WebCrypto and a CompressionStream per object (a stream pipeline for a
 * 200-byte `.dvc` file) and writes the object in place; here every file is written under a
 * temp name and renamed, so a killed process never leaves a truncated object that a later
 * "exists" check would trust. A batch of many new objects goes into one pack (two files)
 * instead of a loose file each.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { orNoSpace } from '../errors/index.js';
import { tempName } from '../fs/atomic.js';
import { encodePack, type PackObject } from './pack-file.js';
import { compressObject } from './zlib-stored.js';

export type ObjectType = 'blob' | 'tree' | 'commit';

/** New objects in one batch from which a pack is written instead of loose files. */
const PACK_THRESHOLD = 16;

/** The object's id: sha1 of `<type> <size>\0<content>`. */
export function objectId(type: ObjectType, content: Uint8Array): string {
  return createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex');
}

/**
 * Writes `data` to `path` through a read-only temp file beside it (git's objects are 0444).
 * The directory is made only when missing: most fan-out directories exist already. A full
 * disk is DISK_FULL naming `path` (the failed write names no file, or the temp one).
 */
function writeReadOnly(dir: string, path: string, data: Uint8Array): void {
  // Named as git names its own (tmp_obj_*): one a kill leaves behind is ignored by git fsck
  // and removed by git gc's prune once old, where any other name is "bad sha1 file" forever.
  const tmp = join(dir, `tmp_obj_${tempName().slice(1, -4)}`);
  try {
    try {
      writeFileSync(tmp, data, { flag: 'wx', mode: 0o444 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      mkdirSync(dir, { recursive: true });
      writeFileSync(tmp, data, { flag: 'wx', mode: 0o444 });
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw orNoSpace(err, path);
  }
}

/**
 * Writes objects into one repository's object store, remembering which ids it wrote or
 * found, so an object is looked for on disk at most once per instance. Only loose objects
 * are looked for: an object that is already packed may be written again, which git allows.
 */
export class ObjectWriter {
  private readonly known = new Set<string>();

  private readonly gitdir: string;

  constructor(gitdir: string) {
    this.gitdir = gitdir;
  }

  private loosePath(oid: string): { dir: string; path: string } {
    const dir = join(this.gitdir, 'objects', oid.slice(0, 2));
    return { dir, path: join(dir, oid.slice(2)) };
  }

  /** True when the object needs writing: neither written by us nor present as a loose file. */
  private missing(oid: string): boolean {
    if (this.known.has(oid)) return false;
    if (statSync(this.loosePath(oid).path, { throwIfNoEntry: false })) {
      this.known.add(oid);
      return false;
    }
    return true;
  }

  /** Stores one object unless it exists already; returns its id. */
  write(type: ObjectType, content: Uint8Array): string {
    const oid = objectId(type, content);
    if (!this.missing(oid)) return oid;
    const { dir, path } = this.loosePath(oid);
    writeReadOnly(
      dir,
      path,
      compressObject(Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content])),
    );
    this.known.add(oid);
    return oid;
  }

  /** Stores many objects (one pack when many are new); returns their ids in order. */
  writeMany(objects: ReadonlyArray<{ type: ObjectType; content: Uint8Array }>): string[] {
    const oids = objects.map((o) => objectId(o.type, o.content));
    const fresh = new Map<string, PackObject>();
    objects.forEach((o, i) => {
      const oid = oids[i]!;
      if (!fresh.has(oid) && this.missing(oid)) fresh.set(oid, { oid, ...o });
    });
    if (fresh.size < PACK_THRESHOLD) {
      for (const o of fresh.values()) this.write(o.type, o.content);
      return oids;
    }
    const { pack, idx, name } = encodePack([...fresh.values()]);
    const dir = join(this.gitdir, 'objects', 'pack');
    // The pack first: git looks objects up through the .idx, so a pack without one is unseen.
    writeReadOnly(dir, join(dir, `pack-${name}.pack`), pack);
    writeReadOnly(dir, join(dir, `pack-${name}.idx`), idx);
    for (const oid of fresh.keys()) this.known.add(oid);
    return oids;
  }
}
