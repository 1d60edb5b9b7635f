/**
 * Turns a parsed dvc.lock (and dvc.yaml) into what ingest records, checking everything
 * before MLMD is touched: paths resolved against the stage's wdir and kept inside the
 * project, stages ordered so producers come before consumers (attribution goes to the stage
 * that produced an artifact), and each file marked as versioned by DVC or not.
 *
 * "Versioned by DVC" (its object is in the DVC cache and belongs on the remote): a cached
 * out of a stage, a path inside one, or a path that a `.dvc` file tracks (`x.dvc` beside it
 * or beside one of its parent directories). Everything else — code, params and config
 * files that git tracks, `cache: false` outputs, deps without a hash — is recorded but
 * marked, so that `cmf artifact push` neither sends nor misses it.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import type { PropertyValue } from '../mlmd/index.js';
import type { LockEntry, LockFile, LockStage } from './lock-file.js';
import { paramProperties } from './params.js';
import type { PipelineFile } from './pipeline-file.js';
import { invalidInput } from './yaml-input.js';

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
   * A DVC 2.x entry (no `hash:` key): its id is md5-dos2unix and its object lives in the
   * legacy layouts of cache and remote, which its recorded url names.
   */
  legacy: boolean;
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
  warnings: string[];
}

/** `wdir/path` as a project-relative POSIX path, or an error when it leaves the project. */
function projectPath(stage: LockStage, wdir: string, e: LockEntry, file: string): string {
  const raw = e.path.replace(/\\/g, '/');
  const outside = (why: string) =>
    invalidInput(
      'INGEST_PATH_OUTSIDE',
      file,
      `stage ${stage.name}: ${e.path} ${why}`,
      e.line,
      'cmf records files inside the project only; move the file into the project or drop the dependency.',
    );
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) throw outside('is an external (URL) dependency');
  if (isAbsolute(raw) || posix.isAbsolute(raw)) throw outside('is an absolute path');
  const joined = posix.normalize(posix.join(wdir.replace(/\\/g, '/'), raw)).replace(/\/+$/, '');
  if (joined === '..' || joined.startsWith('../') || posix.isAbsolute(joined)) {
    throw outside('is outside the project');
  }
  return joined === '' ? '.' : joined;
}

function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let p = path; p !== '.' && p !== ''; p = posix.dirname(p)) out.push(p);
  return out;
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

export function planIngest(
  root: string,
  lock: LockFile,
  pipeline: PipelineFile | undefined,
  file = 'dvc.lock',
): IngestPlan {
  const warnings = [...(pipeline?.warnings ?? [])];
  const cachedOuts = new Set<string>();
  const staged = lock.stages.map((stage) => {
    const def = pipeline?.stage(stage.name);
    if (pipeline && !def) {
      warnings.push(
        `stage ${stage.name} is not defined in dvc.yaml; its paths are taken relative to the project root`,
      );
    }
    const wdir = def?.wdir ?? '.';
    const files = (entries: LockEntry[], kind: 'dep' | 'out') =>
      entries.map((e) => {
        const path = projectPath(stage, wdir, e, file);
        if (e.md5 === undefined) {
          warnings.push(
            `stage ${stage.name}: ${kind} ${path} has no hash in ${file} (DVC does not track it); recorded without a version`,
          );
        }
        const f: PlannedFile = {
          path,
          ...(e.md5 !== undefined ? { oid: e.md5 } : {}),
          ...(e.size !== undefined ? { size: e.size } : {}),
          ...(e.nfiles !== undefined ? { nfiles: e.nfiles } : {}),
          // Outs: decided now; deps: once every stage's outs are known.
          versioned: kind === 'out' && e.md5 !== undefined && !(def?.uncached(e.path) ?? false),
          legacy: e.hashName !== 'md5',
        };
        return f;
      });
    const outs = files(stage.outs, 'out');
    for (const o of outs) if (o.versioned) cachedOuts.add(o.path);
    return { stage, deps: files(stage.deps, 'dep'), outs };
  });

  const dvcTracked = (path: string) =>
    ancestors(path).some((a) => existsSync(join(root, `${a}.dvc`)));
  for (const { deps } of staged) {
    for (const d of deps) {
      d.versioned =
        d.oid !== undefined &&
        (ancestors(d.path).some((a) => cachedOuts.has(a)) || dvcTracked(d.path));
    }
  }
  const stages = staged.map(({ stage, deps, outs }) => ({
    name: stage.name,
    cmd: stage.cmd,
    params: paramProperties(stage.params),
    deps,
    outs,
  }));
  return { schema: lock.schema, stages: ordered(stages), warnings };
}
