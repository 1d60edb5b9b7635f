/**
 * What ingest needs from `dvc.yaml` that `dvc.lock` does not hold (spec/formats.md A6): each
 * stage's `wdir` (lock paths are relative to it) and which outputs are not cached
 * (`cache: false`: DVC hashes them but never stores or pushes them). foreach/matrix groups
 * are expanded to DVC's generated `group@key` names; `${item…}`, `${key}` and top-level
 * `vars` are substituted. A reference we cannot resolve (vars from other files) is matched
 * as a wildcard against the lock file's paths instead.
 */
import { isMap, type YAMLMap } from 'yaml';
import { invalidInput, parseYamlInput } from './yaml-input.js';

export interface StageDefinition {
  /** Working directory relative to the dvc.yaml directory ('.' when unset). */
  wdir: string;
  /** True when the output (a lock path) is declared with `cache: false`. */
  uncached(path: string): boolean;
}

export interface PipelineFile {
  /** The definition behind a lock stage name, if dvc.yaml has one. */
  stage(name: string): StageDefinition | undefined;
  /** Things that did not stop the reading. */
  warnings: string[];
}

type Scope = Record<string, unknown>;
const REF = /\$\{\s*([^}]*?)\s*\}/g;

/** Python's str() of a YAML scalar, as DVC builds generated names from values. */
function keyText(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isInteger(v) ? `${v}.0` : String(v);
  if (v === null) return 'None';
  return String(v);
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

/** Paths of the `outs`/`metrics`/`plots` items declared `cache: false`. */
function uncachedTemplates(body: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const key of ['outs', 'metrics', 'plots']) {
    const list = body[key];
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) continue;
      for (const [path, flags] of Object.entries(item as Record<string, unknown>)) {
        const f = flags as Record<string, unknown> | null;
        if (f && typeof f === 'object' && f.cache === false) out.push(path);
      }
    }
  }
  return out;
}

function definition(
  body: Record<string, unknown>,
  scope: Scope,
  name: string,
  warnings: string[],
): StageDefinition {
  let wdir = '.';
  if (typeof body.wdir === 'string' && body.wdir !== '') {
    const w = substitute(body.wdir, scope);
    if (w === undefined)
      warnings.push(
        `stage ${name}: cannot resolve wdir ${body.wdir}; paths are taken relative to dvc.yaml`,
      );
    else wdir = w;
  }
  const matchers = uncachedTemplates(body).map((t) => pathMatcher(t, scope));
  return { wdir, uncached: (p) => matchers.some((m) => m(p)) };
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

/** Top-level `vars` given inline (mappings); file references are left to the wildcard. */
function inlineVars(vars: unknown): Scope {
  const scope: Scope = {};
  if (Array.isArray(vars)) {
    for (const v of vars)
      if (v && typeof v === 'object' && !Array.isArray(v)) Object.assign(scope, v);
  } else if (vars && typeof vars === 'object') Object.assign(scope, vars);
  return scope;
}

/**
 * Parses dvc.yaml text. `params` is the project's params.yaml (DVC's default source of
 * `${…}` values), if any. Only the shape ingest relies on is checked.
 */
export function parsePipelineFile(
  text: string,
  file = 'dvc.yaml',
  params: Scope = {},
): PipelineFile {
  const y = parseYamlInput(text, file);
  const root = y.doc.contents;
  const warnings: string[] = [];
  if (root !== null && !isMap(root)) {
    throw invalidInput(
      'INGEST_DVCYAML_INVALID',
      file,
      'expected a mapping with "stages"',
      y.lineOf(root),
    );
  }
  const data = (root ? (root as YAMLMap).toJS(y.doc) : {}) as Record<string, unknown>;
  const stages = data.stages ?? {};
  if (typeof stages !== 'object' || stages === null || Array.isArray(stages)) {
    throw invalidInput(
      'INGEST_DVCYAML_INVALID',
      file,
      '"stages" must map stage names to definitions',
      y.lineOf((root as YAMLMap).get('stages', true)),
    );
  }
  const globals: Scope = { ...params, ...inlineVars(data.vars) };
  const defs = stages as Record<string, unknown>;
  const cache = new Map<string, StageDefinition | undefined>();

  const resolve = (name: string): StageDefinition | undefined => {
    const at = name.indexOf('@');
    const group = at < 0 ? name : name.slice(0, at);
    const raw = defs[group];
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
    const body = raw as Record<string, unknown>;
    const generated = 'foreach' in body || 'matrix' in body;
    if (at < 0 === generated) return undefined; // `group@key` names only generated stages
    if (at < 0) return definition(body, globals, name, warnings);
    const key = name.slice(at + 1);
    const doBody = body.do as Record<string, unknown> | undefined;
    const items = 'foreach' in body ? foreachItems(body.foreach) : matrixItems(body.matrix);
    const stageBody = 'foreach' in body ? doBody : body;
    if (!stageBody || typeof stageBody !== 'object') return undefined;
    const local = items?.get(key);
    // An unresolvable foreach (e.g. `${vars}` from another file): unknown item, wildcards.
    return definition(stageBody, { ...globals, ...(local ?? {}) }, name, warnings);
  };

  return {
    warnings,
    stage(name) {
      if (!cache.has(name)) cache.set(name, resolve(name));
      return cache.get(name);
    },
  };
}
