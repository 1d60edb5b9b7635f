import { IntegrityError } from '../errors/index.js';
import { md5Hex } from './file-hash.js';
import type { ManifestEntry } from './types.js';

/**
 * Compares strings by Unicode code point, as Python does. JS's default order compares UTF-16
 * code units, which puts astral characters (surrogates D800–DFFF) before U+E000–U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        // Move surrogates above the rest of the BMP; order within each group is kept.
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

/** Entries sorted by relpath in code-point order (a new array). */
export function sortManifestEntries(entries: readonly ManifestEntry[]): ManifestEntry[] {
  return [...entries].sort((p, q) => compareCodePoints(p.relpath, q.relpath));
}

function isSorted(entries: readonly ManifestEntry[]): boolean {
  for (let i = 1; i < entries.length; i++) {
    if (compareCodePoints(entries[i - 1]!.relpath, entries[i]!.relpath) > 0) return false;
  }
  return true;
}

const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const SHORT: Record<number, string> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x08: '\\b',
  0x0c: '\\f',
};

/** A JSON string literal exactly as Python's `json.dumps` writes it with `ensure_ascii`. */
export function pythonJsonString(s: string): string {
  if (PLAIN.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i); // UTF-16 units: astral characters come out as surrogate pairs
    if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) out += s[i];
    else out += SHORT[c] ?? `\\u${c.toString(16).padStart(4, '0')}`;
  }
  return out + '"';
}

/**
 * The `.dir` manifest bytes as DVC writes them: Python
 * `json.dumps(sorted(entries, key=relpath), sort_keys=True)` encoded as UTF-8, two keys per
 * entry, no trailing newline. Entries are sorted here if they are not already.
 */
export function serializeManifest(entries: readonly ManifestEntry[]): Buffer {
  const sorted = isSorted(entries) ? entries : sortManifestEntries(entries);
  const parts = sorted.map(
    (e) => `{"md5": ${pythonJsonString(e.md5)}, "relpath": ${pythonJsonString(e.relpath)}}`,
  );
  // ensure_ascii makes the text pure ASCII, so latin1 and utf-8 give the same bytes.
  return Buffer.from(`[${parts.join(', ')}]`, 'latin1');
}

/** The object id of a manifest: its MD5 plus the literal `.dir` suffix. */
export function manifestHash(bytes: Uint8Array): string {
  return `${md5Hex(bytes)}.dir`;
}

const MD5_RE = /^[0-9a-f]{32}$/;

function corrupt(reason: string, data?: Record<string, unknown>): IntegrityError {
  return new IntegrityError('CORRUPT_MANIFEST', `Corrupt .dir manifest: ${reason}`, {
    data,
    hint: 'Delete the object from the cache and fetch it again (it will be re-verified).',
  });
}

/**
 * Reads a `.dir` manifest leniently, like DVC: a JSON list of objects, each with string `md5`
 * and `relpath`; other keys are ignored. Anything else throws IntegrityError. `md5` must be
 * 32 lowercase hex digits, since it becomes a cache path. Relpaths are not checked here;
 * callers that write files use `assertSafeRelpath`.
 */
export function parseManifest(bytes: Uint8Array | string): ManifestEntry[] {
  let text: string;
  try {
    text =
      typeof bytes === 'string' ? bytes : new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw corrupt('not valid UTF-8');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw corrupt(`not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(raw)) throw corrupt('not a JSON list');
  return raw.map((item: unknown, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw corrupt(`entry ${index} is not an object`, { index });
    }
    const { md5, relpath } = item as Record<string, unknown>;
    if (typeof relpath !== 'string') throw corrupt(`entry ${index} has no relpath`, { index });
    if (typeof md5 !== 'string' || !MD5_RE.test(md5)) {
      throw corrupt(`entry ${index} (${relpath}) has no valid md5`, { index, relpath });
    }
    return { md5, relpath };
  });
}

/**
 * Throws unless `relpath` is a plain relative POSIX path that stays inside its directory:
 * not empty or absolute, no `.`/`..`/empty segments or NUL. On Windows, where they would
 * leave the directory, also no backslash or drive letter; elsewhere those are ordinary file
 * name characters (DVC adds and checks out `a\b.txt` and `c:notes.txt` on Linux), so they
 * are accepted.
 */
export function assertSafeRelpath(
  relpath: string,
  platform: NodeJS.Platform = process.platform,
): void {
  const reject = (why: string): never => {
    throw new IntegrityError('UNSAFE_RELPATH', `Unsafe path in manifest (${why}): ${relpath}`, {
      data: { relpath },
      hint: 'The manifest may be malicious or corrupt; it was not used.',
    });
  };
  if (typeof relpath !== 'string' || relpath.length === 0) reject('empty');
  if (relpath.includes('\0')) reject('NUL byte');
  if (relpath.startsWith('/')) reject('absolute');
  if (platform === 'win32') {
    if (relpath.includes('\\')) reject('backslash');
    if (/^[A-Za-z]:/.test(relpath)) reject('drive letter');
  }
  for (const seg of relpath.split('/')) {
    if (seg === '') reject('empty segment');
    if (seg === '..' || seg === '.') reject(`"${seg}" segment`);
  }
}
