/**
 * Turns a parsed dvc.lock (and dvc.yaml) into what ingest records, checking everything
 * before MLMD is touched: paths resolved against the stage's wdir (those outside the
 * project are left out, see ExternalEntry), stages ordered so producers come before consumers (attribution goes to the stage
 * that produced an artifact), and each file marked as versioned by DVC or not.
 *
 * "Versioned by DVC" (its object is in the DVC cache and belongs on the remote): a cached
 * out of a stage, a path inside one, or a path that a `.dvc` file tracks (`x.dvc` beside it
 * or beside one of its parent directories). Everything else — code, params and config
 * files that git tracks, `cache: false` outputs, deps without a hash — is recorded but
 * marked, so that `cmf artifact push` neither sends nor misses it. Outs declared `push:
 * false` are versioned but marked too: `dvc push` does not send them, nor does cmf.
 *
 * Lock stages that dvc.yaml no longer defines are left out (DVC ignores them).
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import type { PropertyValue } from '../mlmd/index.js';
import type { LockEntry, LockFile, LockStage } from './lock-file.js';
import { paramProperties } from './params.js';
import type { PipelineFile } from './pipeline-file.js';

export interface PlannedFile {
  /** POSIX path relative to the project root. */
  path: string;
  /** DVC's object id (`<md5>` / `<md5>.dir`); undefined when dvc.lock records none. */
  oid?: string;
  size?: number;
  nfiles?: number;
  /** False for files whose objects DVC does not keep (see the module comment). */
  versioned: boolean;
  /**
   * False for versioned files `dvc push` leaves out (`push: false` in dvc.yaml, and deps
   * inside such an out): kept in the cache, never sent to the remote.
   */
  push: boolean;
  /**
   * A DVC 2.x entry (no `hash:` key): its id is md5-dos2unix and its object lives in the
   * legacy layouts of cache and remote, which its recorded url names.
   */
  legacy: boolean;
  /**
   * True when this is the version dvc.lock names for the path, which must be the newest one
   * recorded there (pull restores the newest): an out's hash, or the hash every dep at a
   * path no stage outputs agrees on. False for a dep a stage read before its producer ran
   * again (its lock entry is behind), and for the second path of content a stage already
   * records (see sameContent).
   */
  current: boolean;
}

export interface PlannedStage {
  name: string;
  cmd: string;
  params: Record<string, PropertyValue>;
  deps: PlannedFile[];
  outs: PlannedFile[];
}

export interface IngestPlan {
  schema: LockFile['schema'];
  stages: PlannedStage[];
  /** Deps and outs outside the project: not recorded (see ExternalEntry). */
  external: ExternalEntry[];
  warnings: string[];
}

/**
 * An entry DVC does not keep in the project (spec/formats.md A2: `is_in_repo` is false): a
 * URL (`s3://`, `https://`, `remote://`, `ds://`…), an absolute path, a path that leaves the
 * project, or a file of another repository (`repo:`). DVC neither caches nor pushes these.
 */
export interface ExternalEntry {
  /** The stage, named as DVC addresses it. */
  stage: string;
  kind: 'dep' | 'out';
  /** As dvc.lock writes it. */
  path: string;
  /** Why it is outside: `url`, `absolute`, `outside` (leaves the project) or `repo`. */
  reason: 'url' | 'absolute' | 'outside' | 'repo';
  /** The hash DVC recorded: `md5:<hex>`, `etag:<value>`, `checksum:<value>`; absent if none. */
  hash?: string;
  /** The other repository (`repo: {url}`), for `repo`. */
  repo?: string;
  lockFile: string;
  line?: number;
}

/** `wdir/path` as a project-relative POSIX path, or why DVC keeps it outside the project. */
function projectPath(wdir: string, e: LockEntry): string | { external: ExternalEntry['reason'] } {
  const raw = e.path.replace(/\\/g, '/');
  if (e.repoUrl !== undefined) return { external: 'repo' };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) return { external: 'url' };
  if (isAbsolute(raw) || posix.isAbsolute(raw) || /^[a-z]:\//i.test(raw))
    return { external: 'absolute' };
  const joined = posix.normalize(posix.join(wdir.replace(/\\/g, '/'), raw)).replace(/\/+$/, '');
  if (joined === '..' || joined.startsWith('../')) return { external: 'outside' };
  return joined === '' ? '.' : joined;
}

function externalEntry(
  stage: string,
  kind: ExternalEntry['kind'],
  e: LockEntry,
  reason: ExternalEntry['reason'],
  lockFile: string,
): ExternalEntry {
  const hash =
    e.md5 !== undefined
      ? `md5:${e.md5}`
      : e.cloudHash && `${e.cloudHash.name}:${e.cloudHash.value}`;
  return {
    stage,
    kind,
    path: e.path,
    reason,
    ...(hash !== undefined ? { hash } : {}),
    ...(e.repoUrl !== undefined ? { repo: e.repoUrl } : {}),
    lockFile,
    ...(e.line !== undefined ? { line: e.line } : {}),
  };
}

/**
 * One warning for every entry outside the project. cmflib would `dvc import-url` such a
 * file (download it into the project, hash and cache it): ingest records what DVC ran
 * without touching the network or the workspace, so it leaves them out.
 */
function externalWarning(entries: ExternalEntry[]): string {
  const kinds = new Set(entries.map((x) => x.kind));
  const n = entries.length;
  const noun = kinds.size > 1 ? 'deps and outs' : n === 1 ? [...kinds][0]! : `${[...kinds][0]!}s`;
  const shown = entries.map(
    (x) => `${x.repo !== undefined ? `${x.path} of ${x.repo}` : x.path} (${x.kind} of ${x.stage})`,
  );
  return `Not recorded: ${n === 1 ? `an external ${noun}` : `${n} external ${noun}`}, outside the project (DVC neither caches nor pushes them; cmf records files inside the project only): ${someNames(shown)}`;
}

/** `path` (project-relative POSIX) and each directory above it, the root excluded. */
export function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let p = path; p !== '.' && p !== ''; p = posix.dirname(p)) out.push(p);
  return out;
}

/**
 * Files of one stage with the same content at another path: MLMD keys an artifact by its
 * hash and links it to an execution once (as cmflib does), so only the first path is
 * recorded for the stage, and a pull restores only that one.
 */
function sameContent(stage: string, files: PlannedFile[]): string[] {
  const first = new Map<string, string>();
  const out: string[] = [];
  for (const f of files) {
    if (f.oid === undefined) continue;
    const p = first.get(f.oid);
    if (p === undefined) first.set(f.oid, f.path);
    else if (p !== f.path)
      out.push(
        `stage ${stage}: ${f.path} has the same content as ${p}; cmf records that content once per stage, under ${p}, and 'cmf artifact pull' restores only that path`,
      );
  }
  return out;
}

/** Up to `max` names, then how many more. */
function someNames(names: string[], max = 10): string {
  const more = names.length - max;
  return names.slice(0, max).join(', ') + (more > 0 ? ` (and ${more} more)` : '');
}

/** dvc.yaml stages dvc.lock has no entry for: never run, so there is nothing to record. */
function unrun(u: PipelineUnit, display: (name: string) => string): string[] {
  if (!u.pipeline) return [];
  const locked = new Set(u.lock.stages.map((s) => s.name));
  const missing = u.pipeline.names().filter((n) => !locked.has(n));
  if (missing.length === 0) return [];
  return [
    `${u.yamlFile} defines ${missing.length === 1 ? 'a stage' : `${missing.length} stages`} that ${u.lockFile} does not hold (never run; 'dvc repro' runs them), not recorded: ${someNames(missing.map(display))}`,
  ];
}

/** Lock entries whose command dvc.yaml has changed since: recorded as they ran. */
function changedCommands(
  u: PipelineUnit,
  stages: LockStage[],
  display: (name: string) => string,
): string[] {
  const changed = stages.filter((s) => {
    const cmd = u.pipeline?.stage(s.name)?.cmd;
    return cmd !== undefined && cmd !== s.cmd;
  });
  if (changed.length === 0) return [];
  return [
    `${u.yamlFile} changed the command of ${changed.length === 1 ? 'a stage' : `${changed.length} stages`} since ${u.lockFile} was written (DVC reruns them on 'dvc repro'); recorded with the command ${u.lockFile} holds: ${someNames(changed.map((s) => display(s.name)))}`,
  ];
}

/** Sets `current` (see PlannedFile): outs name their path's version, else agreeing deps. */
function markCurrent(staged: { deps: PlannedFile[]; outs: PlannedFile[] }[]): void {
  const named = new Map<string, string | null>();
  for (const { outs } of staged) for (const o of outs) if (o.oid) named.set(o.path, o.oid);
  const depNamed = new Map<string, string | null>();
  for (const { deps } of staged) {
    for (const d of deps) {
      if (d.oid === undefined || named.has(d.path)) continue;
      const seen = depNamed.get(d.path);
      depNamed.set(d.path, seen === undefined || seen === d.oid ? d.oid : null);
    }
  }
  for (const [path, oid] of depNamed) named.set(path, oid);
  for (const { deps, outs } of staged) {
    const recorded = new Set<string>();
    for (const f of [...deps, ...outs]) {
      if (f.oid === undefined || recorded.has(f.oid)) continue;
      recorded.add(f.oid);
      f.current = named.get(f.path) === f.oid;
    }
  }
}

/** Producers before consumers; file order otherwise (DVC forbids cycles; if one slips through, file order). */
function ordered(stages: PlannedStage[]): PlannedStage[] {
  const producer = new Map<string, number>();
  stages.forEach((s, i) => s.outs.forEach((o) => producer.set(o.path, i)));
  const before = stages.map((s, i) => {
    const set = new Set<number>();
    for (const d of s.deps) {
      for (const a of ancestors(d.path)) {
        const p = producer.get(a);
        if (p !== undefined && p !== i) set.add(p);
      }
    }
    return set;
  });
  const done = new Set<number>();
  const out: PlannedStage[] = [];
  while (out.length < stages.length) {
    const next = stages.findIndex(
      (_, i) => !done.has(i) && [...before[i]!].every((b) => done.has(b)),
    );
    const pick = next >= 0 ? next : stages.findIndex((_, i) => !done.has(i));
    done.add(pick);
    out.push(stages[pick]!);
  }
  return out;
}

/** A dvc.lock (empty when only dvc.yaml is there) with its dvc.yaml, in one directory. */
export interface PipelineUnit {
  /** The directory: POSIX, relative to the project root ('' for the root). */
  dir: string;
  lock: LockFile;
  pipeline?: PipelineFile;
  /** The files as messages name them (`sub/dvc.lock`). */
  lockFile: string;
  yamlFile: string;
}

/**
 * The project-relative paths of a unit's outs inside the project (its lock entries of the
 * stages dvc.yaml defines): DVC does not look for pipelines inside them (data, not code).
 */
export function unitOuts(u: PipelineUnit): string[] {
  return u.lock.stages.flatMap((s) => {
    const def = u.pipeline?.stage(s.name);
    if (u.pipeline && !def) return [];
    const wdir = posix.join(u.dir, def?.wdir ?? '.');
    return s.outs.map((e) => projectPath(wdir, e)).filter((p) => typeof p === 'string');
  });
}

interface Staged {
  stage: LockStage;
  deps: PlannedFile[];
  outs: PlannedFile[];
}

/**
 * One unit's stages, named as DVC addresses them (`sub/dvc.yaml:prep` outside the root),
 * paths made relative to the project root. Cached outs (and whether each may be pushed) go
 * into `cachedOuts`.
 */
function planUnit(
  u: PipelineUnit,
  warnings: string[],
  cachedOuts: Map<string, boolean>,
  external: ExternalEntry[],
): Staged[] {
  const { lock, pipeline, lockFile: file } = u;
  const display = (name: string) => (u.dir === '' ? name : `${u.yamlFile}:${name}`);
  // DVC keeps the lock entry of a stage deleted from dvc.yaml until `dvc remove`, and
  // ignores it: so does ingest (its paths may not even exist any more).
  const defined = lock.stages.filter((s) => !pipeline || pipeline.stage(s.name));
  const stale = lock.stages.filter((s) => !defined.includes(s)).map((s) => display(s.name));
  if (stale.length > 0) {
    warnings.push(
      `${file} holds ${stale.length === 1 ? 'a stage' : 'stages'} that ${u.yamlFile} no longer defines, skipped as DVC skips them: ${stale.join(', ')} ('dvc remove' drops them from ${file})`,
    );
  }
  warnings.push(
    ...(pipeline?.warnings ?? []),
    ...unrun(u, display),
    ...changedCommands(u, defined, display),
  );
  return defined.map((raw) => {
    const def = pipeline?.stage(raw.name);
    if (def) warnings.push(...def.warnings);
    const stage = { ...raw, name: display(raw.name) };
    const wdir = posix.join(u.dir, def?.wdir ?? '.');
    const files = (entries: LockEntry[], kind: 'dep' | 'out') =>
      entries.flatMap((e): PlannedFile[] => {
        const path = projectPath(wdir, e);
        if (typeof path !== 'string') {
          external.push(externalEntry(stage.name, kind, e, path.external, file));
          return [];
        }
        if (e.md5 === undefined) {
          warnings.push(
            `stage ${stage.name}: ${kind} ${path} has no hash in ${file} (DVC does not track it); recorded without a version`,
          );
        }
        const flags = kind === 'out' ? def?.out(e.path) : undefined;
        if (flags?.remote !== undefined && flags.cache) {
          warnings.push(
            `stage ${stage.name}: out ${path} names remote '${flags.remote}' in ${u.yamlFile}; cmf records it on the default remote, and 'cmf artifact push' and 'pull' use that one`,
          );
        }
        // Outs: decided now; deps: once every stage's outs are known.
        const versioned = kind === 'out' && e.md5 !== undefined && (flags?.cache ?? true);
        const f: PlannedFile = {
          path,
          ...(e.md5 !== undefined ? { oid: e.md5 } : {}),
          ...(e.size !== undefined ? { size: e.size } : {}),
          ...(e.nfiles !== undefined ? { nfiles: e.nfiles } : {}),
          versioned,
          push: versioned && (flags?.push ?? true),
          legacy: e.hashName !== 'md5',
          current: false,
        };
        return [f];
      });
    const outs = files(stage.outs, 'out');
    for (const o of outs) if (o.versioned) cachedOuts.set(o.path, o.push);
    const deps = files(stage.deps, 'dep');
    warnings.push(...sameContent(stage.name, [...deps, ...outs]));
    return { stage, deps, outs };
  });
}

/** The plan of the project root's dvc.lock (and dvc.yaml) alone. */
export function planIngest(
  root: string,
  lock: LockFile,
  pipeline: PipelineFile | undefined,
  file = 'dvc.lock',
): IngestPlan {
  return planProject(root, [{ dir: '', lock, pipeline, lockFile: file, yamlFile: 'dvc.yaml' }]);
}

/**
 * The plan of every pipeline of the project (`units`, the root's first): one set of stages,
 * so that an out of one dvc.lock is DVC-versioned where another one's stage reads it.
 */
export function planProject(root: string, units: PipelineUnit[]): IngestPlan {
  const warnings: string[] = [];
  // Cached outs, and whether each may be pushed (`push: false` in dvc.yaml).
  const cachedOuts = new Map<string, boolean>();
  const external: ExternalEntry[] = [];
  const staged = units.flatMap((u) => planUnit(u, warnings, cachedOuts, external));
  if (external.length > 0) warnings.push(externalWarning(external));

  const dvcTracked = (path: string) =>
    ancestors(path).some((a) => existsSync(join(root, `${a}.dvc`)));
  for (const { deps } of staged) {
    for (const d of deps) {
      if (d.oid === undefined) continue;
      const producers = ancestors(d.path).filter((a) => cachedOuts.has(a));
      const tracked = dvcTracked(d.path);
      d.versioned = producers.length > 0 || tracked;
      // A dep inside a `push: false` out is not pushed either, unless something else pushes it.
      d.push = tracked || producers.some((a) => cachedOuts.get(a) === true);
    }
  }
  markCurrent(staged);
  const stages = staged.map(({ stage, deps, outs }) => ({
    name: stage.name,
    cmd: stage.cmd,
    params: paramProperties(stage.params),
    deps,
    outs,
  }));
  const schema = units.find((u) => u.lock.stages.length > 0)?.lock.schema ?? '2.0';
  return { schema, stages: ordered(stages), external, warnings };
}
