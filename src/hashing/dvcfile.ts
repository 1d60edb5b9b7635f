import { stat } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { Document, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Node as YamlNode, YAMLMap, YAMLSeq } from 'yaml';
import { IntegrityError, NotFoundError } from '../errors/index.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { readRegularFile } from '../fs/regular-file.js';
import type { HashName } from './types.js';

/**
 * DVC 3 single-stage `.dvc` files (spec/formats.md A2): what `dvc add` writes, read back
 * leniently (DVC 3, 2.x and 1.x entries) and written in DVC's exact layout.
 */

/** One entry of `outs`. */
export interface DvcOut {
  /** POSIX path relative to the `.dvc` file's directory. */
  path: string;
  /** File md5 or `<md5>.dir`; lowercase. Absent when the file records no hash. */
  md5?: string;
  size?: number;
  nfiles?: number;
  /** Only ever true when present: DVC omits `isexec: false`. */
  isexec?: boolean;
  /**
   * `md5` for DVC 3 entries (`hash: md5`); `md5-dos2unix` for 2.x/1.x entries, which have no
   * `hash` key and whose objects live in the legacy cache layout.
   */
  hashName: HashName;
  /** Any other keys of the entry (desc, meta, remote, push, cache, …), kept for round trips. */
  extra?: Record<string, unknown>;
}

export interface DvcFile {
  outs: DvcOut[];
  /** Top-level keys other than `outs` (desc, meta, deps, …), kept for round trips. */
  extra?: Record<string, unknown>;
}

/** Writer order of out-entry keys (`Output.dumpd`); unknown keys follow in their own order. */
const OUT_KEY_ORDER = [
  'md5',
  'size',
  'nfiles',
  'isexec',
  'version_id',
  'etag',
  'checksum',
  'hash',
  'path',
  'fs_config',
  'desc',
  'type',
  'labels',
  'meta',
  'cache',
  'metric',
  'plot',
  'persist',
  'remote',
  'push',
  'files',
];
/** Writer order of top-level keys (`dvc/stage/serialize.py`). */
const TOP_KEY_ORDER = [
  'desc',
  'md5',
  'cmd',
  'wdir',
  'frozen',
  'deps',
  'outs',
  'always_changed',
  'meta',
];
const OWN_OUT_KEYS = new Set(['md5', 'size', 'nfiles', 'isexec', 'hash', 'path']);

function ordered(obj: Record<string, unknown>, order: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of order) if (obj[key] !== undefined) out[key] = obj[key];
  for (const [key, value] of Object.entries(obj))
    if (!(key in out) && value !== undefined) out[key] = value;
  return out;
}

/** A path YAML writes plain (unquoted): starts with a letter, no specials, not a keyword. */
const PLAIN_PATH = /^[A-Za-z_][A-Za-z0-9_.-]{0,59}$/;
const KEYWORD = /^(true|false|null|yes|no|on|off|y|n|nan|inf)$/i;
/** An md5 YAML cannot read as a number (it has a hex letter other than e). */
const PLAIN_MD5 = /^(?=.*[abcdf])[0-9a-f]{32}(\.dir)?$/;

/**
 * The text `dvc add` writes for one output with no extra keys (what cmf writes thousands
 * of times per batch), without building a YAML document; undefined for anything else.
 */
function serializeCommonShape(file: DvcFile): string | undefined {
  if (file.extra !== undefined || file.outs.length !== 1) return undefined;
  const o = file.outs[0]!;
  if (o.extra !== undefined || o.hashName !== 'md5' || o.md5 === undefined) return undefined;
  if (!PLAIN_MD5.test(o.md5) || !PLAIN_PATH.test(o.path) || KEYWORD.test(o.path)) return undefined;
  if (o.size !== undefined && !Number.isSafeInteger(o.size)) return undefined;
  if (o.nfiles !== undefined && !Number.isSafeInteger(o.nfiles)) return undefined;
  return (
    `outs:\n- md5: ${o.md5}\n` +
    (o.size === undefined ? '' : `  size: ${o.size}\n`) +
    (o.nfiles === undefined ? '' : `  nfiles: ${o.nfiles}\n`) +
    (o.isexec ? '  isexec: true\n' : '') +
    `  hash: md5\n  path: ${o.path}\n`
  );
}

/** The YAML text of a `.dvc` file, byte-identical to DVC's for the same content. */
export function serializeDvcFile(file: DvcFile): string {
  return serializeCommonShape(file) ?? serializeDocument(file);
}

/** The data DVC dumps for `file` (`Stage.dumpd`): keys in writer order, empty ones left out. */
function dvcFileData(file: DvcFile): Record<string, unknown> {
  const outs = file.outs.map((o) =>
    ordered(
      {
        ...o.extra,
        md5: o.md5,
        size: o.size,
        nfiles: o.nfiles,
        isexec: o.isexec ? true : undefined,
        hash: o.hashName === 'md5' ? 'md5' : undefined,
        path: o.path,
      },
      OUT_KEY_ORDER,
    ),
  );
  return ordered({ ...file.extra, outs: outs.length > 0 ? outs : undefined }, TOP_KEY_ORDER);
}

/**
 * ruamel's block style: sequences flush with their key, mappings indented by 2, and single
 * quotes for strings that would otherwise read as numbers or booleans.
 */
const STRINGIFY = { indentSeq: false, singleQuote: true } as const;

function serializeDocument(file: DvcFile): string {
  return new Document(dvcFileData(file)).toString(STRINGIFY);
}

type Plain = Record<string, unknown>;
const isPlainObject = (v: unknown): v is Plain =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * DVC's `apply_diff` (dvc/utils/collections.py) from the data `src` into the parsed node
 * `dest`, whose plain value is `old`: equal values are left alone (with their comments and
 * quoting), changed ones replaced, missing ones removed, new keys inserted before the first
 * existing key that `order` (the writer order) puts after them — DVC appends them, which for
 * `hash` would land after `path`; the writer order keeps the layout of a fresh file.
 * Returns whether anything changed.
 */
function applyDiff(
  doc: Document,
  src: unknown,
  dest: YAMLMap | YAMLSeq,
  old: unknown,
  order?: string[],
): boolean {
  let changed = false;
  /** The node for a changed value: a scalar stays the same node (keeping its comment). */
  const fresh = (value: unknown, node?: unknown) => {
    changed = true;
    if (isScalar(node) && (value === null || typeof value !== 'object')) {
      node.value = value;
      delete node.source; // the source text of the old value (e.g. an all-digit md5)
      return node;
    }
    return doc.createNode(value);
  };
  if (isSeq(dest)) {
    const list = src as unknown[];
    const prev = Array.isArray(old) ? old : [];
    if (list.length !== dest.items.length) {
      dest.items = list.map((v) => fresh(v));
      return true;
    }
    list.forEach((value, i) => {
      const node = dest.items[i];
      if (containerLike(value, node)) {
        changed = applyDiff(doc, value, node, prev[i], order) || changed;
      } else if (!isDeepStrictEqual(value, prev[i])) dest.items[i] = fresh(value, node);
    });
    return changed;
  }
  const data = src as Plain;
  const prev = isPlainObject(old) ? old : {};
  const keyOf = (k: unknown): string => String(isScalar(k) ? k.value : k);
  for (const [key, value] of Object.entries(data)) {
    const pair = dest.items.find((p) => keyOf(p.key) === key);
    if (pair) {
      const node = pair.value;
      if (containerLike(value, node)) {
        changed =
          applyDiff(doc, value, node, prev[key], key === 'outs' ? OUT_KEY_ORDER : undefined) ||
          changed;
      } else if (!isDeepStrictEqual(value, prev[key])) pair.value = fresh(value, node);
      continue;
    }
    const rank = order ? order.indexOf(key) : -1;
    const later = rank < 0 ? -1 : dest.items.findIndex((p) => order!.indexOf(keyOf(p.key)) > rank);
    dest.items.splice(later < 0 ? dest.items.length : later, 0, doc.createPair(key, value));
    changed = true;
  }
  const removed = dest.items.filter((p) => !Object.hasOwn(data, keyOf(p.key)));
  for (const p of removed) dest.items.splice(dest.items.indexOf(p), 1);
  return changed || removed.length > 0;
}

/** Both `value` and `node` are mappings, or both sequences (`is_same_type` in apply_diff). */
function containerLike(value: unknown, node: unknown): node is YAMLMap | YAMLSeq {
  return (isPlainObject(value) && isMap(node)) || (Array.isArray(value) && isSeq(node));
}

/**
 * The text of `file` written over the `.dvc` file whose current text is `previousText`, as
 * DVC writes an existing file (spec/formats.md A2): re-parsed keeping comments, key order and
 * quoting, with only what changed replaced. Undefined when its data already is `file`'s
 * (nothing to write). `previousText` must parse (see {@link parseDvcFile}).
 */
export function updateDvcFileText(previousText: string, file: DvcFile): string | undefined {
  // The common case, cheaply: a file written as we write it, and added again unchanged.
  if (serializeDvcFile(file) === previousText) return undefined;
  const doc = parseDocument(previousText, { uniqueKeys: true, prettyErrors: false });
  const root = doc.contents;
  if (doc.errors.length > 0 || !isMap(root)) return serializeDvcFile(file);
  if (!applyDiff(doc, dvcFileData(file), root, doc.toJS(), TOP_KEY_ORDER)) return undefined;
  // A list indented under its key stays indented (the library sets this for the whole file).
  const indentSeq = /^outs:[ \t]*(#.*)?\r?\n[ \t]+-/m.test(previousText);
  return doc.toString({ ...STRINGIFY, indentSeq });
}

function invalid(file: string, what: string, line?: number): IntegrityError {
  const where = line === undefined ? file : `${file}:${line}`;
  return new IntegrityError('DVCFILE_INVALID', `${where}: ${what}`, {
    hint: 'Fix or restore the .dvc file (e.g. from git), or add the output again.',
    data: { file, ...(line === undefined ? {} : { line }) },
  });
}

/**
 * The md5 as DVC reads it: a string, lowercased. An unquoted all-digit md5 is a number to
 * YAML (and may lose digits as one), so take the scalar's source text instead.
 */
function readMd5(node: unknown, value: unknown): string | undefined | null {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value.toLowerCase();
  if (typeof value === 'number' && isScalar(node) && typeof node.source === 'string') {
    return node.source.toLowerCase();
  }
  return null;
}

const isCount = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Parses the text of a `.dvc` file. `file` names it in errors. Unreadable YAML and entries
 * of the wrong shape throw IntegrityError (code `DVCFILE_INVALID`).
 */
export function parseDvcFile(text: string, file = '.dvc file'): DvcFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const lineOf = (node: unknown): number | undefined => {
    const range = (node as YamlNode | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : undefined;
  };
  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = yamlError.linePos?.[0].line ?? lineCounter.linePos(yamlError.pos[0]).line;
    throw invalid(file, `unreadable YAML (${yamlError.message.split('\n')[0]})`, line);
  }
  const root = doc.contents;
  if (!isMap(root)) throw invalid(file, 'expected a mapping with an "outs" list', lineOf(root));
  const data = doc.toJS() as Record<string, unknown>;
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) if (k !== 'outs') extra[k] = v;

  const outsNode = root.get('outs', true);
  const outs: DvcOut[] = [];
  if (outsNode !== undefined && !(isScalar(outsNode) && outsNode.value === null)) {
    if (!isSeq(outsNode)) throw invalid(file, '"outs" must be a list', lineOf(outsNode));
    const values = data.outs as unknown[];
    outsNode.items.forEach((item, i) => {
      const line = lineOf(item);
      if (!isMap(item)) throw invalid(file, `outs[${i}] must be a mapping`, line);
      const value = values[i] as Record<string, unknown>;
      if (typeof value.path !== 'string' || value.path === '') {
        throw invalid(file, `outs[${i}] has no "path"`, line);
      }
      const md5 = readMd5(item.get('md5', true), value.md5);
      if (md5 === null || (md5 !== undefined && md5.length < 3)) {
        throw invalid(file, `outs[${i}].md5 is not a hash: ${JSON.stringify(value.md5)}`, line);
      }
      if (value.hash !== undefined && value.hash !== 'md5') {
        throw invalid(
          file,
          `outs[${i}].hash ${JSON.stringify(value.hash)} is not supported (only md5)`,
          line,
        );
      }
      for (const key of ['size', 'nfiles'] as const) {
        if (value[key] !== undefined && value[key] !== null && !isCount(value[key])) {
          throw invalid(file, `outs[${i}].${key} must be a non-negative integer`, line);
        }
      }
      if (
        value.isexec !== undefined &&
        value.isexec !== null &&
        typeof value.isexec !== 'boolean'
      ) {
        throw invalid(file, `outs[${i}].isexec must be true or false`, line);
      }
      const out: DvcOut = {
        path: value.path,
        hashName: value.hash === 'md5' ? 'md5' : 'md5-dos2unix',
      };
      if (md5 !== undefined) out.md5 = md5;
      if (isCount(value.size)) out.size = value.size;
      if (isCount(value.nfiles)) out.nfiles = value.nfiles;
      if (value.isexec === true) out.isexec = true;
      const rest = Object.entries(value).filter(([k]) => !OWN_OUT_KEYS.has(k));
      if (rest.length > 0) out.extra = Object.fromEntries(rest);
      outs.push(out);
    });
  }
  return Object.keys(extra).length > 0 ? { outs, extra } : { outs };
}

/** Reads and parses a `.dvc` file; a missing file is a NotFoundError. */
export async function readDvcFile(path: string): Promise<DvcFile> {
  let text: string;
  try {
    text = await readRegularFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotFoundError('DVCFILE_NOT_FOUND', `${path} does not exist`, {
        data: { file: path },
      });
    }
    throw err;
  }
  return parseDvcFile(text, path);
}

/**
 * Writes a `.dvc` file atomically; an existing file keeps its mode. With `previousText` (the
 * file's current text), writes over it as {@link updateDvcFileText} does, and not at all when
 * its data does not change; returns whether it wrote.
 */
export async function writeDvcFile(
  path: string,
  file: DvcFile,
  previousText?: string,
): Promise<boolean> {
  const text =
    previousText === undefined ? serializeDvcFile(file) : updateDvcFileText(previousText, file);
  if (text === undefined) return false;
  let mode: number | undefined;
  try {
    mode = (await stat(path)).mode & 0o7777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await writeFileAtomic(path, text, mode === undefined ? {} : { mode });
  return true;
}
