import { availableParallelism } from 'node:os';
import { statSync } from 'node:fs';
import { isAbsolute, normalize, resolve } from 'node:path';
import { hashFileDetailed } from './file-hash.js';
import type { HashedFile } from './hash-core.js';
import { hashInPool, hashRangeSync, unwrapResults, type WorkerFailure } from './hash-pool.js';
import { HashState, type StateEntry } from './state.js';
import type { FileHash, HashName } from './types.js';

export interface HashPathsOptions {
  /** The state cache to consult and update; without it every file is read. */
  state?: HashState;
  /** Threads to hash on (default: all cores). 1 hashes on the calling thread only. */
  jobs?: number;
  hashName?: HashName;
}

/** A file to hash, with its size when the caller already knows it (for batching). */
export interface HashItem {
  path: string;
  size?: number;
}

/** Below these totals, starting workers costs more than it saves. */
const POOL_MIN_FILES = 256;
const POOL_MIN_BYTES = 64 << 20;
/** Files at least this large are hashed asynchronously when hashing on the main thread. */
const ASYNC_MIN_BYTES = 8 << 20;

/**
 * Hashes files through the state cache: a file whose (inode, mtime_ns, size) matches its
 * state entry is not read. The rest are hashed on all cores when there are enough of them,
 * else on this thread; their results are saved to the state in one transaction.
 * Results are in the order of `items`; a missing or unreadable file throws a CmfError.
 */
export async function hashItems(
  items: readonly HashItem[],
  opts: HashPathsOptions = {},
): Promise<HashedFile[]> {
  const hashName = opts.hashName ?? 'md5';
  const jobs = Math.max(1, opts.jobs ?? availableParallelism());
  const state = opts.state?.enabled ? opts.state : undefined;
  const abs = items.map((it) => absolute(it.path));
  const results: Array<HashedFile | undefined> = new Array(items.length);

  const missIdx: number[] = [];
  state?.prepare(hashName, items.length);
  for (let i = 0; i < items.length; i++) {
    const path = abs[i]!;
    // Stat only files the state knows, and with a plain stat: over 20,000 files a bigint
    // stat costs ~60% more (BigInt allocation and GC), and a stat is not free either.
    const cached = state?.lookup(path, hashName);
    if (cached) {
      const st = statSync(path, { throwIfNoEntry: false });
      if (st?.isFile()) {
        let hit = HashState.matches(cached, st);
        let ino = BigInt(st.ino);
        if (!hit && st.ino > Number.MAX_SAFE_INTEGER) {
          const big = statSync(path, { bigint: true });
          ino = big.ino;
          const key = { ino, mtimeNs: big.mtimeNs, size: Number(big.size) };
          hit = state!.get(path, key, hashName) !== undefined;
        }
        if (hit) {
          const isexec = (st.mode & 0o111) !== 0;
          const mtimeNs = BigInt(cached.mtimeNsText);
          results[i] = { md5: cached.md5, size: st.size, isexec, ino, mtimeNs };
          continue;
        }
      }
    }
    missIdx.push(i);
  }

  if (missIdx.length > 0) {
    const missPaths = missIdx.map((i) => abs[i]!);
    const sizes = missIdx.map((i) => items[i]!.size);
    const knownBytes = sizes.reduce<number>((a, s) => a + (s ?? 0), 0);
    const usePool =
      jobs > 1 &&
      missPaths.length > 1 &&
      (missPaths.length >= POOL_MIN_FILES || knownBytes >= POOL_MIN_BYTES);
    const hashed = usePool
      ? await hashInPool(missPaths, { hashName, jobs, sizes })
      : await hashOnThisThread(missPaths, sizes, hashName);
    const entries: StateEntry[] = [];
    for (let k = 0; k < missIdx.length; k++) {
      const r = hashed[k]!;
      results[missIdx[k]!] = r;
      entries.push({ path: missPaths[k]!, hashName, ...r });
    }
    state?.setMany(entries);
  }
  return results as HashedFile[];
}

/** `resolve`, skipping its cost (cwd lookup, normalising) for paths that are already fine. */
function absolute(p: string): string {
  return isAbsolute(p) && normalize(p) === p ? p : resolve(p);
}

async function hashOnThisThread(
  paths: readonly string[],
  sizes: ReadonlyArray<number | undefined>,
  hashName: HashName,
): Promise<HashedFile[]> {
  const out: Array<HashedFile | WorkerFailure | undefined> = new Array(paths.length);
  for (let i = 0; i < paths.length; i++) {
    if ((sizes[i] ?? 0) >= ASYNC_MIN_BYTES) {
      // Large files: overlapped async reads, and the event loop stays free.
      out[i] = await hashFileDetailed(paths[i]!, { hashName });
    } else {
      hashRangeSync(paths, hashName, out, [i, i + 1]);
    }
  }
  return unwrapResults(paths, out);
}

/**
 * Hashes many files (DVC 3 md5 by default), skipping unchanged ones through `state`, on all
 * cores. Keys of the result are the paths as given.
 */
export async function hashPaths(
  paths: readonly string[],
  opts: HashPathsOptions = {},
): Promise<Map<string, FileHash>> {
  const unique = [...new Set(paths)];
  const hashed = await hashItems(
    unique.map((path) => ({ path })),
    opts,
  );
  const map = new Map<string, FileHash>();
  for (let i = 0; i < unique.length; i++) {
    const { md5, size, isexec } = hashed[i]!;
    map.set(unique[i]!, { md5, size, isexec });
  }
  return map;
}
