/**
 * What ingest needs from `dvc.yaml` that `dvc.lock` does not hold (spec/formats.md A6): each
 * stage's `wdir` (lock paths are relative to it) and the flags of its outputs (`cache:
 * false`: DVC hashes them but never stores or pushes them; `push: false`: cached but never
 * pushed; `remote:`). foreach/matrix groups are expanded to DVC's generated `group@key`
 * names (a whole-string `foreach: ${var}` or matrix `${var}` is the variable's list or
 * mapping, as DVC resolves it); `${item…}`, `${key}` and vars are substituted: params.yaml
 * first, then `vars` (top level, and a stage's own, which DVC applies after `wdir`), inline
 * mappings and YAML or JSON files (`file.yaml:key1,key2` selects keys). A reference we
 * cannot resolve (a TOML or Python vars file, a missing one) is matched as a wildcard
 * against the lock file's paths instead.
 */
import { posix } from 'node:path';
import { isMap, type YAMLMap } from 'yaml';
import { CmfError } from '../errors/index.js';
import { pythonFloat } from '../cmf/python-json.js';
import { invalidInput, parseYamlInput } from './yaml-input.js';

/** The flags dvc.yaml declares for one output (DVC's defaults when it declares none). */
export interface OutFlags {
  /** False for `cache: false`. */
  cache: boolean;
  /** False for `push: false`. */
  push: boolean;
  /** The `remote:` the output is pushed to instead of the default remote, if any. */
  remote?: string;
}

export interface StageDefinition {
  /** Working directory relative to the dvc.yaml directory ('.' when unset). */
  wdir: string;
  /** The flags of an output (a lock path, relative to `wdir`). */
  out(path: string): OutFlags;
  /** What could not be resolved in this stage's definition. */
  warnings: string[];
  /** The command, resolved and joined as dvc.lock writes it; undefined when unresolved. */
  cmd?: string;
}

export interface PipelineFile {
  /** What could not be resolved in the file's top-level `vars` (and params.yaml). */
  warnings: string[];
  /** The definition behind a lock stage name, if dvc.yaml has one. */
  stage(name: string): StageDefinition | undefined;
  /**
   * The stage names dvc.yaml defines, generated ones included; a group whose items hold
   * references ingest cannot resolve names none.
   */
  names(): string[];
}

type Scope = Record<string, unknown>;
const REF = /\$\{\s*([^}]*?)\s*\}/g;
const WHOLE_REF = /^\$\{\s*([^}]*?)\s*\}$/;

/**
 * A YAML scalar as DVC's `to_str` writes it into generated names and `${…}` text: booleans
 * `true`/`false`, None `None`, everything else Python's `str()` (floats: `1e-05`, `3.0`,
 * `nan`, `inf`; ints are bigints here, so a JS number is always a YAML float).
 */
function keyText(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    return pythonFloat(v);
  }
  if (v === null || v === undefined) return 'None';
  return String(v);
}

/**
 * A YAML value as plain JS, mapping keys written as DVC sees them (Python `str()` of the
 * key: a `0.00001:` foreach key names `group@1e-05`, not JS's `0.00001`).
 */
function plain(v: unknown): unknown {
  if (v instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v) out[isScalarKey(k) ? keyText(k) : String(k)] = plain(x);
    return out;
  }
  if (Array.isArray(v)) return v.map(plain);
  return v;
}

function isScalarKey(k: unknown): boolean {
  return k === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof k);
}

function lookup(scope: Scope, expr: string): unknown {
  let cur: unknown = scope;
  for (const part of expr.split('.')) {
    if (cur === null || typeof cur !== 'object' || !(part in (cur as object))) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** `${…}` substituted; undefined when a reference is unknown or not a scalar. */
function substitute(text: string, scope: Scope): string | undefined {
  let ok = true;
  const out = text.replace(REF, (_, expr: string) => {
    const v = lookup(scope, expr);
    if (v === undefined || (v !== null && typeof v === 'object')) ok = false;
    return keyText(v);
  });
  return ok ? out : undefined;
}

/**
 * A value resolved as DVC's context does: a string that is one whole `${x}` is x's value
 * itself (a list, a mapping, a number), other strings get their references substituted,
 * lists and mappings are resolved item by item. Undefined when a reference is unknown.
 */
function resolveData(v: unknown, scope: Scope): unknown {
  if (typeof v === 'string') {
    const whole = WHOLE_REF.exec(v);
    if (whole) return lookup(scope, whole[1]!);
    return v.includes('${') ? substitute(v, scope) : v;
  }
  if (Array.isArray(v)) {
    const out = v.map((x) => resolveData(x, scope));
    return out.includes(undefined) ? undefined : out;
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const r = resolveData(x, scope);
      if (r === undefined) return undefined;
      out[k] = r;
    }
    return out;
  }
  return v;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * `update` merged into a copy of `into`, mappings merged key by key (as DVC merges vars);
 * the dotted names of values `update` redefines go into `redefined` (DVC refuses them).
 */
function mergeScope(into: Scope, update: Scope, redefined: string[] = [], prefix = ''): Scope {
  const out: Scope = { ...into };
  for (const [k, v] of Object.entries(update)) {
    const cur = Object.hasOwn(out, k) ? out[k] : undefined;
    if (isMapping(cur) && isMapping(v)) {
      out[k] = mergeScope(cur, v, redefined, `${prefix}${k}.`);
      continue;
    }
    if (Object.hasOwn(out, k)) redefined.push(`${prefix}${k}`);
    out[k] = v;
  }
  return out;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A matcher for a path template: references substituted where known, the rest wildcards. */
function pathMatcher(template: string, scope: Scope): (p: string) => boolean {
  const exact = substitute(template, scope);
  if (exact !== undefined) return (p) => normalize(p) === normalize(exact);
  const parts = normalize(template)
    .split(REF)
    .map((part, i) => {
      if (i % 2 === 0) return escapeRe(part);
      const v = lookup(scope, part);
      return v === undefined || (v !== null && typeof v === 'object')
        ? '.+?'
        : escapeRe(keyText(v));
    });
  const re = new RegExp(`^${parts.join('')}$`);
  return (p) => re.test(normalize(p));
}

function normalize(p: string): string {
  return p.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
}

interface Group {
  /** The body every generated stage shares (`do:` of a foreach). */
  stageBody: Record<string, unknown>;
  items?: Map<string, Scope>;
  exact: boolean;
}

interface FlaggedOut {
  template: string;
  flags: Record<string, unknown>;
}

/** The `outs`/`metrics`/`plots` items declared with flags (`- path: {cache: false, …}`). */
function flaggedOuts(body: Record<string, unknown>): FlaggedOut[] {
  const out: FlaggedOut[] = [];
  for (const key of ['outs', 'metrics', 'plots']) {
    const list = body[key];
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) continue;
      for (const [template, flags] of Object.entries(item as Record<string, unknown>)) {
        if (flags && typeof flags === 'object' && !Array.isArray(flags))
          out.push({ template, flags: flags as Record<string, unknown> });
      }
    }
  }
  return out;
}

function definition(
  body: Record<string, unknown>,
  outer: VarsContext,
  name: string,
  file: string,
  data: VarsLoad['data'],
): StageDefinition {
  const warnings: string[] = [];
  // DVC resolves wdir first, then loads the stage's vars (files relative to wdir).
  const w =
    typeof body.wdir === 'string' && body.wdir !== '' ? substitute(body.wdir, outer.scope) : '.';
  const wdir = w ?? '.';
  const where = `stage ${name}`;
  const { scope } =
    body.vars === undefined ? outer : loadVars(outer, body.vars, { wdir, where, data, warnings });
  if (w === undefined) {
    const why =
      substitute(body.wdir as string, scope) !== undefined
        ? " (it uses the stage's own vars, which DVC resolves after wdir: dvc repro fails on it)"
        : '';
    warnings.push(
      `${where}: cannot resolve wdir ${body.wdir as string}${why}; paths are taken relative to ${file}`,
    );
  }
  const outs = flaggedOuts(body).map(({ template, flags }) => {
    const remote =
      typeof flags.remote === 'string'
        ? (substitute(flags.remote, scope) ?? flags.remote)
        : undefined;
    const f: OutFlags = {
      cache: flags.cache !== false,
      push: flags.push !== false,
      ...(remote !== undefined ? { remote } : {}),
    };
    return { matches: pathMatcher(template, scope), flags: f };
  });
  const cmd = commandText(body.cmd, scope);
  return {
    wdir,
    warnings,
    ...(cmd !== undefined ? { cmd } : {}),
    out: (p) => outs.find((o) => o.matches(p))?.flags ?? { cache: true, push: true },
  };
}

/** A `cmd` (a string or a list, joined with ` && ` as the lock file reader does), resolved. */
function commandText(cmd: unknown, scope: Scope): string | undefined {
  const parts = Array.isArray(cmd) ? cmd : [cmd];
  if (parts.length === 0 || !parts.every((p) => typeof p === 'string')) return undefined;
  const resolved = parts.map((p) => substitute(p as string, scope));
  return resolved.includes(undefined) ? undefined : resolved.join(' && ');
}

/** `group@key` → the item each generated stage sees, per DVC's naming rules. */
function foreachItems(foreach: unknown): Map<string, Scope> | undefined {
  const items = new Map<string, Scope>();
  if (Array.isArray(foreach)) {
    const byIndex = foreach.some((v) => v !== null && typeof v === 'object');
    foreach.forEach((v, i) =>
      items.set(byIndex ? String(i) : keyText(v), { item: v, key: byIndex ? i : v }),
    );
    return items;
  }
  if (foreach !== null && typeof foreach === 'object') {
    for (const [k, v] of Object.entries(foreach as Record<string, unknown>))
      items.set(k, { item: v, key: k });
    return items;
  }
  return undefined;
}

function matrixItems(matrix: unknown): Map<string, Scope> | undefined {
  if (matrix === null || typeof matrix !== 'object' || Array.isArray(matrix)) return undefined;
  let combos: Array<{ frags: string[]; item: Record<string, unknown> }> = [{ frags: [], item: {} }];
  for (const [name, values] of Object.entries(matrix as Record<string, unknown>)) {
    if (!Array.isArray(values)) return undefined;
    combos = combos.flatMap((c) =>
      values.map((v, i) => ({
        frags: [...c.frags, v !== null && typeof v === 'object' ? `${name}${i}` : keyText(v)],
        item: { ...c.item, [name]: v },
      })),
    );
  }
  return new Map(combos.map((c) => [c.frags.join('-'), { item: c.item }]));
}

/**
 * Reads the vars files a dvc.yaml names, relative to its directory (POSIX paths; `..`
 * allowed, as DVC allows it).
 */
export interface VarsFiles {
  /** The file's text; undefined when there is none; else what keeps it from being read. */
  read(path: string): string | undefined | { problem: string };
}

const NO_FILES: VarsFiles = { read: () => undefined };

/** The vars in scope, and the files loaded: whole (null) or their selected keys (DVC's `imports`). */
interface VarsContext {
  scope: Scope;
  imports: Map<string, string[] | null>;
}

/** What `vars` loading needs besides the list: where it is, and where to say things. */
interface VarsLoad {
  /** The directory file paths are relative to (the stage's wdir), from dvc.yaml's. */
  wdir: string;
  /** `stage train`, or the dvc.yaml for its top-level vars. */
  where: string;
  /** The file's data by path, or why it cannot be used (read once per dvc.yaml). */
  data(path: string): Scope | string;
  warnings: string[];
}

const UNREAD_SUFFIX = /\.(toml|py)$/i;

/**
 * `vars` (top level or a stage's) merged into `ctx` in order, as DVC's `load_from_vars`
 * does: a mapping is merged as is; a string is `path[:key1,key2]`, relative to `wdir`, the
 * whole file or those top-level keys. A file loaded whole again is skipped. What DVC refuses
 * (a value redefined, a file loaded again in part, a missing file or key) is a warning.
 */
function loadVars(ctx: VarsContext, vars: unknown, load: VarsLoad, isDefault = false): VarsContext {
  let scope = ctx.scope;
  const imports = new Map(ctx.imports);
  const list: unknown[] = Array.isArray(vars) ? vars : vars === undefined ? [] : [vars];
  const unread = (item: string, why: string) =>
    load.warnings.push(
      `${load.where}: vars ${item} not read (${why}); references to its values match any path`,
    );
  list.forEach((item, index) => {
    const redefined: string[] = [];
    let source: string;
    if (isMapping(item)) {
      source = `vars[${index}]`;
      scope = mergeScope(scope, item, redefined);
    } else if (typeof item === 'string') {
      source = item;
      const colon = item.indexOf(':');
      const file = colon < 0 ? item : item.slice(0, colon);
      const keys =
        colon < 0
          ? null
          : item
              .slice(colon + 1)
              .split(',')
              .filter(Boolean);
      const selected = keys && keys.length > 0 ? keys : null;
      const path = posix.normalize(posix.join(load.wdir, file));
      if (imports.has(path)) {
        const before = imports.get(path)!;
        if (selected === null && before === null) return; // the whole file again: DVC allows it
        if (selected === null || before === null || selected.some((k) => before.includes(k))) {
          unread(item, `${path} is loaded already, which DVC refuses: dvc repro fails on it`);
          return;
        }
      }
      if (UNREAD_SUFFIX.test(file)) {
        unread(item, 'ingest reads YAML and JSON vars files, not TOML or Python ones');
        return;
      }
      const data = load.data(path);
      if (typeof data === 'string') {
        // No params.yaml is no error: DVC uses it only when it is there.
        if (!isDefault) unread(item, data);
        else if (data !== MISSING)
          load.warnings.push(`${load.where}: ${path} not read for \${…} (${data})`);
        return;
      }
      const missing = selected?.filter((k) => !Object.hasOwn(data, k)) ?? [];
      if (missing.length > 0) {
        unread(item, `${path} has no ${missing.join(', ')}: dvc repro fails on it`);
        return;
      }
      const picked = selected ? Object.fromEntries(selected.map((k) => [k, data[k]])) : data;
      scope = mergeScope(scope, picked, redefined);
      imports.set(path, selected === null ? null : [...(imports.get(path) ?? []), ...selected]);
    } else return;
    if (redefined.length > 0) {
      load.warnings.push(
        `${load.where}: vars ${source} redefines ${redefined.join(', ')}, which DVC refuses (dvc repro fails on it); its value is used`,
      );
    }
  });
  return { scope, imports };
}

const MISSING = 'no such file: dvc repro fails on it';

/** A vars file's data (a mapping, keys as DVC sees them), or why it cannot be used. */
function readVarsData(files: VarsFiles, path: string, shown: string): Scope | string {
  const text = files.read(path);
  if (text === undefined) return MISSING;
  if (typeof text !== 'string') return text.problem;
  let data: unknown;
  try {
    // JSON is YAML too; read as YAML, `3.0` stays a float and `3` an int, as Python's json reads them.
    const doc = parseYamlInput(text, shown).doc;
    data = plain(doc.toJS({ mapAsMap: true }));
  } catch (err) {
    if (err instanceof CmfError) return err.message;
    throw err;
  }
  return isMapping(data) ? data : `${shown} does not hold a mapping`;
}

/**
 * Parses dvc.yaml text (`file` names it, project-relative). `files` reads params.yaml
 * (DVC's default source of `${…}` values) and the vars files. Only the shape ingest relies
 * on is checked.
 */
export function parsePipelineFile(
  text: string,
  file = 'dvc.yaml',
  files: VarsFiles = NO_FILES,
): PipelineFile {
  const y = parseYamlInput(text, file);
  const root = y.doc.contents;
  if (root !== null && !isMap(root)) {
    throw invalidInput(
      'INGEST_DVCYAML_INVALID',
      file,
      'expected a mapping with "stages"',
      y.lineOf(root),
    );
  }
  const data = (root ? plain((root as YAMLMap).toJS(y.doc, { mapAsMap: true })) : {}) as Record<
    string,
    unknown
  >;
  const stages = data.stages ?? {};
  if (typeof stages !== 'object' || stages === null || Array.isArray(stages)) {
    throw invalidInput(
      'INGEST_DVCYAML_INVALID',
      file,
      '"stages" must map stage names to definitions',
      y.lineOf((root as YAMLMap).get('stages', true)),
    );
  }
  const dir = posix.dirname(file);
  const loaded = new Map<string, Scope | string>();
  // Each file read once, however many stages name it (a foreach's generated ones all do).
  const varsData = (path: string): Scope | string => {
    if (!loaded.has(path)) loaded.set(path, readVarsData(files, path, posix.join(dir, path)));
    return loaded.get(path)!;
  };
  const warnings: string[] = [];
  const top = { wdir: '.', where: file, data: varsData, warnings };
  const empty: VarsContext = { scope: {}, imports: new Map() };
  const globalCtx = loadVars(loadVars(empty, 'params.yaml', top, true), data.vars, top);
  const globals = globalCtx.scope;
  const defs = stages as Record<string, unknown>;
  const cache = new Map<string, StageDefinition | undefined>();
  // A foreach/matrix group's items, resolved once (per stage, it was quadratic in its size).
  const groups = new Map<string, Group | undefined>();

  const group = (name: string, body: Record<string, unknown>): Group | undefined => {
    if (groups.has(name)) return groups.get(name);
    const foreach = 'foreach' in body;
    const stageBody = foreach ? body.do : body;
    let g: Group | undefined;
    if (isMapping(stageBody)) {
      const data = foreach ? body.foreach : body.matrix;
      const resolved = resolveData(data, globals);
      const items = foreach ? foreachItems(resolved ?? data) : matrixItems(resolved ?? data);
      // Items resolved in full name every stage the group generates; otherwise (references
      // to vars files) a key not found may be one of them.
      g = { stageBody, items, exact: resolved !== undefined && items !== undefined };
    }
    groups.set(name, g);
    return g;
  };

  const resolve = (name: string): StageDefinition | undefined => {
    const at = name.indexOf('@');
    const groupName = at < 0 ? name : name.slice(0, at);
    const raw = defs[groupName];
    if (!isMapping(raw)) return undefined;
    const generated = 'foreach' in raw || 'matrix' in raw;
    if (at < 0 === generated) return undefined; // `group@key` names only generated stages
    // Named in messages as DVC addresses it: `sub/dvc.yaml:prep` outside the project root.
    const shown = file === 'dvc.yaml' ? name : `${file}:${name}`;
    if (at < 0) return definition(raw, globalCtx, shown, file, varsData);
    const g = group(groupName, raw);
    if (!g) return undefined;
    const local = g.items?.get(name.slice(at + 1));
    // A key the group no longer generates: a stale lock entry, as DVC sees it.
    if (!local && g.exact) return undefined;
    // An unresolvable foreach (e.g. `${vars}` from another file): unknown item, wildcards.
    const scope = { ...globals, ...(local ?? {}) };
    return definition(g.stageBody, { ...globalCtx, scope }, shown, file, varsData);
  };

  return {
    warnings,
    stage(name) {
      if (!cache.has(name)) cache.set(name, resolve(name));
      return cache.get(name);
    },
    names() {
      return Object.entries(defs).flatMap(([name, raw]) => {
        if (!isMapping(raw)) return [];
        if (!('foreach' in raw || 'matrix' in raw)) return [name];
        const g = group(name, raw);
        return g?.exact && g.items ? [...g.items.keys()].map((k) => `${name}@${k}`) : [];
      });
    },
  };
}
