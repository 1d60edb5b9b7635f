/**
 * The git index (`.git/index`, "DIRC" versions 2 and 3) read into memory, updated and written
 * back whole, as git does. Entries that are not changed keep their bytes as read.
 *
 * What this does not handle is reported by {@link parseIndex} as an {@link IndexProblem},
 * and the caller leaves the work to the git CLI: version 4 (path compression), unmerged
 * entries, unknown entry flags, required extensions (a lowercase signature: `link` of a
 * split index, `sdir` of a sparse index, …) and a bad checksum. isomorphic-git is no
 * answer there: it refuses version 4, and reads a split index as if it were whole (the
 * shared entries lost, the tree written with an empty name). Optional extensions (an
 * uppercase signature: TREE, REUC, UNTR, FSMN, EOIE, IEOT, …) are caches or undo data
 * that git documents as safe to ignore; they are dropped on write and git rebuilds them.
 */
import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { comparePaths } from './path-order.js';

const ENTRY_FIXED = 62;
const FLAG_EXTENDED = 0x4000;
const FLAG_STAGE = 0x3000;
const EXT_SKIP_WORKTREE = 0x4000;
const EXT_INTENT_TO_ADD = 0x2000;

export interface IndexEntry {
  path: string;
  oid: string;
  /** The file mode as git records it (0o100644, 0o100755, 0o120000, 0o160000). */
  mode: number;
  intentToAdd: boolean;
  /** The entry as stored: stat data, oid, flags (and extended flags), path, padding. */
  raw: Buffer;
}

function isExtended(e: IndexEntry): boolean {
  return (e.raw.readUInt16BE(60) & FLAG_EXTENDED) !== 0;
}

export interface GitIndexFile {
  version: 2 | 3;
  /** Sorted by path, in git's order. */
  entries: IndexEntry[];
}

/** Why an index cannot be rewritten here, in words for an error message. */
export interface IndexProblem {
  problem: string;
  /** The index holds conflict stages (a merge in progress). */
  unmerged?: boolean;
}

export function isIndexProblem(r: GitIndexFile | IndexProblem): r is IndexProblem {
  return 'problem' in r;
}

/** Parses an index file, or says what in it this reader does not handle. */
export function parseIndex(buf: Buffer): GitIndexFile | IndexProblem {
  const bad = (problem: string): IndexProblem => ({ problem });
  if (buf.length < 32 || buf.toString('latin1', 0, 4) !== 'DIRC') {
    return bad('not an index file (no DIRC signature)');
  }
  const body = buf.subarray(0, buf.length - 20);
  if (
    !createHash('sha1')
      .update(body)
      .digest()
      .equals(buf.subarray(buf.length - 20))
  ) {
    return bad('a bad checksum');
  }
  const version = buf.readUInt32BE(4);
  if (version !== 2 && version !== 3) return bad(`index version ${version}`);
  const count = buf.readUInt32BE(8);
  const entries: IndexEntry[] = [];
  let at = 12;
  for (let i = 0; i < count; i++) {
    if (at + ENTRY_FIXED > body.length) return bad('a truncated entry');
    const flags = buf.readUInt16BE(at + 60);
    if (flags & FLAG_STAGE)
      return { problem: 'unmerged entries (a merge conflict)', unmerged: true };
    let headLength = ENTRY_FIXED;
    let intentToAdd = false;
    if (flags & FLAG_EXTENDED) {
      if (version < 3) return bad('extended entry flags in a version 2 index');
      const ext = buf.readUInt16BE(at + 62);
      if (ext & ~(EXT_SKIP_WORKTREE | EXT_INTENT_TO_ADD)) return bad('unknown entry flags');
      intentToAdd = (ext & EXT_INTENT_TO_ADD) !== 0;
      headLength += 2;
    }
    const pathStart = at + headLength;
    const nul = buf.indexOf(0, pathStart);
    if (nul < 0 || nul >= body.length) return bad('a truncated entry');
    const end = at + entryLength(headLength, nul - pathStart);
    if (end > body.length) return bad('a truncated entry');
    entries.push({
      path: buf.toString('utf8', pathStart, nul),
      oid: buf.toString('hex', at + 40, at + 60),
      mode: buf.readUInt32BE(at + 24),
      intentToAdd,
      // A view into the file's bytes: the whole buffer stays alive while the index does.
      raw: buf.subarray(at, end),
    });
    at = end;
  }
  // Extensions: 4-byte signature, 4-byte size. A lowercase first letter marks one that a
  // reader must understand.
  while (at + 8 <= body.length) {
    const sig = buf.toString('latin1', at, at + 4);
    if (sig === 'link') return bad('a split index (link extension)');
    if (sig === 'sdir') return bad('a sparse index (sdir extension)');
    if (!/^[A-Z]/.test(sig)) return bad(`the required index extension "${sig}"`);
    at += 8 + buf.readUInt32BE(at + 4);
  }
  return { version, entries };
}

/** Entry size on disk: stat data, path and 1–8 NULs, padded to a multiple of 8. */
function entryLength(headLength: number, pathBytes: number): number {
  return Math.ceil((headLength + pathBytes + 1) / 8) * 8;
}

export function serializeIndex(index: GitIndexFile): Buffer {
  let size = 12 + 20;
  let extended = false;
  for (const e of index.entries) {
    size += e.raw.length;
    extended ||= isExtended(e);
  }
  const out = Buffer.allocUnsafe(size);
  out.write('DIRC', 0, 'latin1');
  out.writeUInt32BE(extended ? 3 : index.version, 4);
  out.writeUInt32BE(index.entries.length, 8);
  let at = 12;
  for (const e of index.entries) at += e.raw.copy(out, at);
  createHash('sha1').update(out.subarray(0, at)).digest().copy(out, at);
  return out;
}

/** Git's mode for a file: symlink, or a regular file executable or not. */
export function gitMode(st: BigIntStats): number {
  if (st.isSymbolicLink()) return 0o120000;
  return (st.mode & 0o111n) !== 0n ? 0o100755 : 0o100644;
}

/**
 * A new entry for a staged file. A path outside a sparse checkout keeps its skip-worktree
 * bit (as isomorphic-git and git keep it); intent-to-add is cleared, the path being staged.
 */
export function makeEntry(
  path: string,
  oid: string,
  st: BigIntStats,
  previous?: IndexEntry,
): IndexEntry {
  const skipWorktree =
    previous !== undefined &&
    isExtended(previous) &&
    (previous.raw.readUInt16BE(ENTRY_FIXED) & EXT_SKIP_WORKTREE) !== 0;
  const headLength = skipWorktree ? ENTRY_FIXED + 2 : ENTRY_FIXED;
  const pathBytes = Buffer.from(path, 'utf8');
  const head = Buffer.alloc(entryLength(headLength, pathBytes.length)); // NUL padded
  const u32 = (v: bigint): number => Number(BigInt.asUintN(32, v));
  const mode = gitMode(st);
  const fields = [
    u32(st.ctimeNs / 1_000_000_000n),
    u32(st.ctimeNs % 1_000_000_000n),
    u32(st.mtimeNs / 1_000_000_000n),
    u32(st.mtimeNs % 1_000_000_000n),
    u32(st.dev),
    u32(st.ino),
    mode,
    u32(st.uid),
    u32(st.gid),
    u32(st.size),
  ];
  fields.forEach((v, i) => head.writeUInt32BE(v, i * 4));
  head.write(oid, 40, 'hex');
  const nameLength = Math.min(pathBytes.length, 0xfff);
  head.writeUInt16BE(nameLength | (skipWorktree ? FLAG_EXTENDED : 0), 60);
  if (skipWorktree) head.writeUInt16BE(EXT_SKIP_WORKTREE, ENTRY_FIXED);
  pathBytes.copy(head, headLength);
  return { path, oid, mode, intentToAdd: false, raw: head };
}

/** Position of `path` in the sorted entries, or -(insertion point) - 1. */
function search(entries: readonly IndexEntry[], path: string): number {
  let lo = 0;
  let hi = entries.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = comparePaths(entries[mid]!.path, path);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

export function findEntry(index: GitIndexFile, path: string): IndexEntry | undefined {
  const i = search(index.entries, path);
  return i >= 0 ? index.entries[i] : undefined;
}

/**
 * Puts entries into the index, replacing those with the same path. A file where a directory
 * was (or the reverse) is refused by the caller's checks, not here.
 */
export function upsertEntries(index: GitIndexFile, updates: readonly IndexEntry[]): void {
  const fresh: IndexEntry[] = [];
  for (const u of updates) {
    const i = search(index.entries, u.path);
    if (i >= 0) index.entries[i] = u;
    else fresh.push(u);
  }
  if (fresh.length === 0) return;
  fresh.sort((a, b) => comparePaths(a.path, b.path));
  const merged: IndexEntry[] = new Array<IndexEntry>(index.entries.length + fresh.length);
  let i = 0;
  let j = 0;
  let k = 0;
  const old = index.entries;
  while (i < old.length || j < fresh.length) {
    if (j >= fresh.length || (i < old.length && comparePaths(old[i]!.path, fresh[j]!.path) < 0)) {
      merged[k++] = old[i++]!;
    } else {
      // Two updates of one new path: the later wins.
      if (k > 0 && merged[k - 1]!.path === fresh[j]!.path) merged[k - 1] = fresh[j++]!;
      else merged[k++] = fresh[j++]!;
    }
  }
  merged.length = k;
  index.entries = merged;
}

/**
 * Whether `entry` was made from a file with this stat (mtime, inode and size as the index
 * stores them, 32 bits each): false when the index entry belongs to another version.
 */
export function entryMatchesStat(entry: IndexEntry, st: BigIntStats): boolean {
  const u32 = (v: bigint): number => Number(BigInt.asUintN(32, v));
  const at = (field: number): number => entry.raw.readUInt32BE(field * 4);
  return (
    at(2) === u32(st.mtimeNs / 1_000_000_000n) &&
    at(3) === u32(st.mtimeNs % 1_000_000_000n) &&
    at(5) === u32(st.ino) &&
    at(9) === u32(st.size)
  );
}
