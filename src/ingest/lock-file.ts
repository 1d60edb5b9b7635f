/**
 * `dvc.lock` as DVC writes it (spec/formats.md A6): schema '2.0' (DVC 2 and 3; entries with
 * `hash: md5` are DVC 3, those without are legacy md5-dos2unix ones) and the DVC 1 layout
 * (no `schema` key, stages at the top level). The whole file is checked before anything is
 * used, and every problem names its line.
 */
import { isMap, isScalar, isSeq, visit, type YAMLMap } from 'yaml';
import type { HashName } from '../hashing/types.js';
import { invalidInput, parseYamlInput, sourceText, type YamlInput } from './yaml-input.js';
import { setOwn } from '../util/own-keys.js';

export interface LockEntry {
  /** As written in dvc.yaml: relative to the stage's `wdir`. */
  path: string;
  /** `<md5>` or `<md5>.dir`, lowercased; undefined when DVC recorded no hash. */
  md5?: string;
  size?: number;
  nfiles?: number;
  /** `md5` for DVC 3 entries (`hash: md5`), `md5-dos2unix` for legacy ones. */
  hashName: HashName;
  /**
   * The hash DVC keeps for a file outside the project instead of an md5 (`etag` of S3, GCS,
   * Azure, HTTP; `checksum` of HDFS), as written.
   */
  cloudHash?: { name: 'etag' | 'checksum'; value: string };
  /** The `repo: {url}` of a dependency on another repository's file (`path` is in that repo). */
  repoUrl?: string;
  line?: number;
}

export interface LockStage {
  /** The stage name; foreach/matrix stages keep DVC's `group@key`. */
  name: string;
  /** The command as one string (a list-valued `cmd` is joined with ` && `, as DVC runs it). */
  cmd: string;
  deps: LockEntry[];
  outs: LockEntry[];
  /** `params file → { key: value }`, values as YAML typed them (ints are bigints). */
  params: Record<string, Record<string, unknown>>;
  line?: number;
}

export interface LockFile {
  /** '2.0', or '1' for a DVC 1 lock file (no schema key). */
  schema: '2.0' | '1';
  stages: LockStage[];
}

const MD5 = /^[0-9a-f]{32}(\.dir)?$/;

type Fail = (what: string, node?: unknown) => never;

/** A size or file count: absent, or a non-negative integer (a mapping or list is not one). */
function count(node: unknown, what: string, fail: Fail): number | undefined {
  if (node === undefined) return undefined;
  const value: unknown = isScalar(node) ? node.value : node;
  if (value === null) return undefined;
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    fail(`${what} must be a non-negative integer, not ${JSON.stringify(String(value))}`, node);
  }
  return n as number;
}

function readEntry(item: unknown, where: string, fail: Fail, y: YamlInput): LockEntry {
  if (!isMap(item)) fail(`${where} must be a mapping with a "path"`, item);
  const map = item as YAMLMap;
  const get = (k: string) => map.get(k, true);
  const path = get('path');
  if (!isScalar(path) || typeof path.value !== 'string' || path.value === '') {
    fail(`${where} has no "path"`, item);
  }
  const entry: LockEntry = {
    path: (path as { value: string }).value,
    hashName: 'md5-dos2unix',
    line: y.lineOf(item),
  };
  const name = `${where} (${entry.path})`;
  const hash = get('hash');
  if (hash !== undefined) {
    if (!isScalar(hash) || hash.value !== 'md5') {
      fail(
        `${name}: hash ${JSON.stringify(String((hash as { value?: unknown })?.value))} is not supported (only md5)`,
        hash,
      );
    }
    entry.hashName = 'md5';
  }
  const md5Node = get('md5');
  if (
    md5Node !== undefined &&
    !(isScalar(md5Node) && (md5Node.value === null || md5Node.value === ''))
  ) {
    const raw = isScalar(md5Node) ? md5Node.value : undefined;
    // An all-digit md5 is a number to YAML: take the text as written.
    const text = typeof raw === 'string' ? raw : sourceText(md5Node);
    const md5 = text?.toLowerCase();
    if (md5 === undefined || !MD5.test(md5)) {
      fail(`${name}: md5 ${JSON.stringify(text ?? String(raw))} is not an md5 hash`, md5Node);
    }
    entry.md5 = md5;
  }
  for (const key of ['etag', 'checksum'] as const) {
    const node = get(key);
    if (!isScalar(node) || node.value === null) continue;
    // Kept as written (an etag is case-sensitive); a number YAML read is taken as its text.
    const text = typeof node.value === 'string' ? node.value : sourceText(node);
    if (text) entry.cloudHash ??= { name: key, value: text };
  }
  const repo = get('repo');
  if (repo !== undefined) {
    const url = isMap(repo) ? repo.get('url', true) : undefined;
    if (!isScalar(url) || typeof url.value !== 'string' || url.value === '')
      fail(`${name}: "repo" must be a mapping with a "url"`, repo);
    entry.repoUrl = (url as { value: string }).value;
  }
  const size = count(get('size'), `${name}: size`, fail);
  const nfiles = count(get('nfiles'), `${name}: nfiles`, fail);
  if (size !== undefined) entry.size = size;
  if (nfiles !== undefined) entry.nfiles = nfiles;
  return entry;
}

function readEntries(node: unknown, where: string, fail: Fail, y: YamlInput): LockEntry[] {
  if (node === undefined || (isScalar(node) && node.value === null)) return [];
  if (!isSeq(node)) fail(`${where} must be a list`, node);
  const items = (node as { items: unknown[] }).items;
  const entries = items.map((item, i) => readEntry(item, `${where}[${i}]`, fail, y));
  const seen = new Set<string>();
  entries.forEach((e, i) => {
    if (seen.has(e.path)) fail(`${where} lists ${e.path} twice`, items[i]);
    seen.add(e.path);
  });
  return entries;
}

function readCmd(node: unknown, where: string, fail: Fail): string {
  if (node === undefined || (isScalar(node) && (node.value === null || node.value === ''))) {
    fail(`${where} has no "cmd"`);
  }
  if (isScalar(node) && typeof node.value === 'string') return node.value;
  if (isSeq(node)) {
    const parts = node.items.map((i) => (isScalar(i) ? i.value : undefined));
    if (parts.length > 0 && parts.every((p): p is string => typeof p === 'string' && p !== '')) {
      return parts.join(' && ');
    }
  }
  return fail(`${where}: "cmd" must be a command string or a list of them`, node);
}

function readParams(
  node: unknown,
  value: unknown,
  where: string,
  fail: Fail,
): Record<string, Record<string, unknown>> {
  if (node === undefined || value === null || value === undefined) return {};
  if (!isMap(node)) fail(`${where}: "params" must map params files to their values`, node);
  const out: Record<string, Record<string, unknown>> = {};
  for (const [file, values] of Object.entries(value as Record<string, unknown>)) {
    if (values === null || values === undefined) {
      setOwn(out, file, {});
      continue;
    }
    if (typeof values !== 'object' || Array.isArray(values)) {
      fail(
        `${where}: params of ${file} must be a mapping of keys to values`,
        (node as YAMLMap).get(file, true),
      );
    }
    setOwn(out, file, values as Record<string, unknown>);
  }
  return out;
}

function readStage(name: string, key: unknown, node: unknown, y: YamlInput, fail: Fail): LockStage {
  const where = `stage ${name}`;
  if (!isMap(node)) fail(`${where} must be a mapping with "cmd", "deps" and "outs"`, key);
  const map = node as YAMLMap;
  const js = map.toJS(y.doc) as Record<string, unknown>;
  // Problems of the stage as a whole point at its name.
  const stageFail: Fail = (what, n) => fail(what, n ?? key);
  return {
    name,
    cmd: readCmd(map.get('cmd', true), where, stageFail),
    deps: readEntries(map.get('deps', true), `${where}: deps`, stageFail, y),
    outs: readEntries(map.get('outs', true), `${where}: outs`, stageFail, y),
    params: readParams(map.get('params', true), js.params, where, stageFail),
    line: y.lineOf(key),
  };
}

/** Parses and checks the text of a dvc.lock (`file` names it in errors). */
export function parseLockFile(text: string, file = 'dvc.lock'): LockFile {
  const y = parseYamlInput(text, file);
  const fail: Fail = (what, node) => {
    throw invalidInput('INGEST_LOCK_INVALID', file, what, y.lineOf(node));
  };
  // MLMD cannot store NUL in a string: refuse it here rather than half-way through writing.
  visit(y.doc, {
    Scalar(_, node) {
      if (typeof node.value === 'string' && node.value.includes('\0'))
        fail('a value holds a NUL character', node);
    },
  });
  return readLock(y, fail);
}

function readLock(y: YamlInput, fail: Fail): LockFile {
  const root = y.doc.contents;
  if (!isMap(root))
    fail(
      'expected a mapping of "schema" and "stages" (the file is empty or not a lock file)',
      root,
    );
  const map = root as YAMLMap;
  const schemaNode = map.get('schema', true);
  let stagesNode: unknown;
  let schema: LockFile['schema'];
  if (schemaNode === undefined) {
    // DVC 1: no schema key, the stages are the top-level keys.
    schema = '1';
    stagesNode = map;
  } else {
    const v = isScalar(schemaNode) ? schemaNode.value : undefined;
    if (v !== '2.0') {
      throw invalidInput(
        'INGEST_LOCK_SCHEMA',
        y.file,
        `unknown dvc.lock schema version ${JSON.stringify(typeof v === 'bigint' ? String(v) : (v ?? null))}`,
        y.lineOf(schemaNode),
        "cmf reads schema '2.0' (DVC 2 and 3) and DVC 1 lock files (without a schema key). Regenerate the lock file with a DVC release cmf supports.",
      );
    }
    schema = '2.0';
    stagesNode = map.get('stages', true);
    if (stagesNode === undefined || (isScalar(stagesNode) && stagesNode.value === null)) {
      return { schema, stages: [] };
    }
    if (!isMap(stagesNode)) fail('"stages" must map stage names to their entries', stagesNode);
  }
  const stages: LockStage[] = [];
  for (const pair of (stagesNode as YAMLMap).items) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    if (typeof key !== 'string' || key === '') {
      fail(`stage names must be non-empty strings, not ${JSON.stringify(String(key))}`, pair.key);
    }
    stages.push(readStage(key as string, pair.key, pair.value, y, fail));
  }
  return { schema, stages };
}
