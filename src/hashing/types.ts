/** Hash results shared by the hashing, cache and .dvc-file modules. */

/** DVC 3 hashes are plain MD5 (`hash: md5`); DVC 2.x entries use md5 after dos2unix. */
export type HashName = 'md5' | 'md5-dos2unix';

/** One entry of a `.dir` manifest: exactly what DVC writes, nothing more. */
export interface ManifestEntry {
  md5: string;
  relpath: string;
}

export interface FileHash {
  /** 32 lowercase hex characters. */
  md5: string;
  size: number;
  /** True when the file has any execute bit (DVC's `isexec`). */
  isexec: boolean;
}

export interface DirectoryHash {
  /** `<32 hex>.dir`: MD5 of the manifest bytes plus the `.dir` suffix. */
  md5: string;
  /** Sum of the file sizes. */
  size: number;
  nfiles: number;
  /** Entries sorted by relpath in code-point order. */
  entries: ManifestEntry[];
  /** The manifest bytes exactly as DVC writes them (the cache object's content). */
  manifest: Buffer;
  /** Per-file details (absolute path, size) for callers that copy the files. */
  files: Array<{ relpath: string; path: string; md5: string; size: number }>;
}
