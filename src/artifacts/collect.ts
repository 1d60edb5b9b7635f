/**
 * Which files a pipeline's artifact push and pull move (spec/cmf-reference.md §3.2, §3.3):
 * every artifact linked by an event (input or output) to any execution of the pipeline,
 * except `Metrics` (values only, no file), `Label` (not DVC-tracked; uploaded with the
 * metadata instead) and files `cmf dvc ingest` marked as not versioned by DVC (custom
 * `dvc_tracked` = 0: code and config files, `cache: false` outputs; DVC keeps no object).
 * Files it marked as not pushed (`dvc_push` = 0: `push: false` outputs) are collected with
 * `push: false`: push leaves them out, pull restores them when it finds their objects.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { NotFoundError } from '../errors/index.js';
import { oidFromKey } from '../remotes/driver.js';
import type { MlmdArtifact, MlmdEvent, MlmdStore } from '../mlmd/index.js';
import {
  executionNotFound,
  executionUuids,
  hasUuid,
  pipelineExecutions,
  requirePipeline,
} from '../cmf/query.js';
import { DVC_PUSH_PROPERTY, DVC_TRACKED_PROPERTY } from '../cmf/conventions.js';
import { artifactPath, splitArtifactName } from '../cmf/artifact-name.js';
import { isWindowsAbsolutePath } from '../util/windows-path.js';
import { recordedSeparators } from './recorded-path.js';

/** Artifact types that name no file in the cache. */
const NOT_FILE_BACKED = new Set(['Metrics', 'Label']);

const OID_RE = /^[0-9a-f]{32}(\.dir)?$/;

export interface PipelineArtifact {
  id: number;
  type: string;
  /** Full MLMD name, e.g. `artifacts/data.xml.gz:<md5>`. */
  name: string;
  /** The path part of the name (before its hash, see cmf/artifact-name.ts), as logged. */
  path: string;
  /** DVC object id (`<md5>` or `<md5>.dir`), or undefined when MLMD records none. */
  oid?: string;
  /**
   * What the object URL says of the object's layout: true for the legacy (DVC 2.x) remote
   * layout `…/ab/cdef…`, false for DVC 3's `…/files/md5/ab/cdef…`; undefined when there is
   * no URL to tell (then the `.dvc` file does, see artifacts/objects.ts).
   */
  legacy?: boolean;
  /** The `url` property as stored (`<pipeline>:<url>[,<pipeline>:<url>…]`), if any. */
  url?: string;
  /** The object URL of this pipeline's entry in `url` (pipeline prefix removed). */
  objectUrl?: string;
  /** False when `dvc push` leaves the object out (`push: false`, see DVC_PUSH_PROPERTY). */
  push: boolean;
  /**
   * Every path the selected executions recorded this content under, each with the id of its
   * last event: the name's path for the events that made the artifact, and the name an event
   * links it by (its path step) for the others. Identical content at two paths is one
   * artifact (keyed by its hash, as cmflib keys it), so the second path lives only there.
   */
  paths: RecordedPath[];
}

/** `a`'s full name as if it had been logged at `path` (another path of the same content). */
export function nameAtPath(a: Pick<PipelineArtifact, 'name' | 'path'>, path: string): string {
  return path + a.name.slice(a.path.length);
}

export interface RecordedPath {
  /** As recorded (relative to the MLMD file's directory, or absolute). */
  path: string;
  /**
   * The id of the latest event recording the artifact at this path in the selected
   * executions: among versions of one path, the highest is the one logged last (re-logging
   * known content reuses the older, lower artifact id, so artifact ids do not tell).
   */
  lastEvent: number;
}

/**
 * The path an event records its artifact under: its path step's name, else the artifact's
 * (`own`). Also what `cmf dvc ingest` compares to keep the lock file's versions the newest.
 */
export function eventPath(
  e: Pick<MlmdEvent, 'path'>,
  a: Pick<MlmdArtifact, 'uri'>,
  own: string,
): string {
  const step = e.path[0];
  if (step === undefined || !('key' in step) || step.key === '') return own;
  // A link names the content with its hash: anything else is not a name cmf wrote.
  const split = splitArtifactName(step.key, a.uri);
  return split && split[0] !== '' ? split[0] : own;
}

/** An ingest mark (DVC_TRACKED_PROPERTY, DVC_PUSH_PROPERTY) set to 0. */
function markedOff(a: MlmdArtifact, mark: string): boolean {
  const v = a.customProperties[mark];
  return v?.type === 'int' && Number(v.value) === 0;
}

function stringProp(a: MlmdArtifact, key: string): string | undefined {
  const v = a.properties[key];
  return v?.type === 'string' ? v.value : undefined;
}

/**
 * The entry of a comma-joined `url` property that belongs to `pipeline`: its text before the
 * first `:` equals the pipeline name exactly (cmflib tests for a substring, so `Test` would
 * take `Test-env`'s entry, §11.7). Returns the URL with the prefix removed.
 */
export function objectUrlFor(url: string, pipeline: string): string | undefined {
  for (const entry of url.split(',')) {
    const i = entry.indexOf(':');
    if (i > 0 && entry.slice(0, i) === pipeline) return entry.slice(i + 1);
  }
  return undefined;
}

/** The object an object URL names, and whether it is in the legacy layout. */
export interface UrlObject {
  oid: string;
  legacy: boolean;
}

/**
 * The object an object URL names: its last four segments are `files/md5/xx/rest` (DVC 3), or
 * else its last two are `xx/rest` (the legacy layout, where DVC 2 and cmf with DVC 2 put
 * every object: `<remote>/ab/cdef…`).
 */
export function objectFromUrl(url: string): UrlObject | undefined {
  const parts = url.replace(/\/+$/, '').split('/');
  const oid = oidFromKey(parts.slice(-4).join('/'));
  if (oid) return { oid, legacy: false };
  const old =
    parts.length > 2 ? oidFromKey(parts.slice(-2).join('/'), { legacy: true }) : undefined;
  return old ? { oid: old, legacy: true } : undefined;
}

/** The oid an object URL names, in either layout (see {@link objectFromUrl}). */
export function oidFromObjectUrl(url: string): string | undefined {
  return objectFromUrl(url)?.oid;
}

/** An artifact of the pipeline with no object on the remote, and why. */
export interface FilelessArtifact {
  name: string;
  type: string;
  /** `Metrics`: values only; `Label`: uploaded with the metadata; `not-versioned`: DVC stores no object. */
  reason: 'Metrics' | 'Label' | 'not-versioned';
}

/**
 * Every file-backed artifact of the pipeline's executions (or of the one execution whose
 * Execution_uuid list holds `executionUuid`, exactly: cmflib tests for a substring), once
 * each, in id order. The oid comes from this pipeline's `url` entry, else from the recorded
 * hash (`uri`/`Commit`, which cmf sets to the DVC id); an artifact with neither has no `oid`.
 * NotFoundError when the pipeline does not exist, has no executions, or none with the uuid.
 */
export function collectPipelineArtifacts(
  store: MlmdStore,
  pipeline: string,
  executionUuid?: string,
): PipelineArtifact[] {
  return collectArtifactSets(store, pipeline, executionUuid).files;
}

/**
 * {@link collectPipelineArtifacts}, plus the pipeline's artifacts without a file on the
 * remote (so `-a` can say why it does not pull them).
 */
export function collectArtifactSets(
  store: MlmdStore,
  pipeline: string,
  executionUuid?: string,
): { files: PipelineArtifact[]; fileless: FilelessArtifact[] } {
  return store.read(() => {
    const context = requirePipeline(store, pipeline);
    let { executions } = pipelineExecutions(store, context);
    if (executionUuid !== undefined && executions.length > 0) {
      const all = executions;
      const uuidOf = (e: (typeof all)[number]) =>
        e.properties.Execution_uuid?.value as string | undefined;
      executions = all.filter((e) => hasUuid(uuidOf(e), executionUuid));
      if (executions.length === 0) {
        throw executionNotFound(pipeline, executionUuid, executionUuids(all.map(uuidOf)));
      }
    }
    if (executions.length === 0) {
      throw new NotFoundError(
        'EXECUTIONS_NOT_FOUND',
        `Pipeline "${pipeline}" has no executions in ${store.path}`,
        {
          hint: 'Run the pipeline (it logs executions and artifacts) before pushing or pulling its artifacts.',
          data: { pipeline },
        },
      );
    }
    const eventsOf = new Map<number, MlmdEvent[]>();
    for (const e of store.links.eventsOfExecutions(executions.map((x) => x.id))) {
      const list = eventsOf.get(e.artifactId);
      if (list) list.push(e);
      else eventsOf.set(e.artifactId, [e]);
    }
    const artifacts = store.artifacts.getMany([...eventsOf.keys()].sort((a, b) => a - b));
    const out: PipelineArtifact[] = [];
    const fileless: FilelessArtifact[] = [];
    for (const a of artifacts) {
      if (!a.name) continue;
      if (NOT_FILE_BACKED.has(a.typeName) || markedOff(a, DVC_TRACKED_PROPERTY)) {
        const reason = NOT_FILE_BACKED.has(a.typeName) ? a.typeName : 'not-versioned';
        fileless.push({
          name: a.name,
          type: a.typeName,
          reason: reason as FilelessArtifact['reason'],
        });
        continue;
      }
      const url = stringProp(a, 'url');
      const objectUrl = url === undefined ? undefined : objectUrlFor(url, pipeline);
      const recorded = [a.uri, stringProp(a, 'Commit')].find((h) => h && OID_RE.test(h));
      const named = objectUrl ? objectFromUrl(objectUrl) : undefined;
      const oid = named?.oid ?? recorded;
      const path = artifactPath(a.name, a.uri);
      const paths = new Map<string, number>();
      for (const e of eventsOf.get(a.id)!) {
        const p = eventPath(e, a, path);
        paths.set(p, Math.max(e.id, paths.get(p) ?? 0));
      }
      out.push({
        id: a.id,
        type: a.typeName,
        name: a.name,
        path,
        ...(oid ? { oid } : {}),
        ...(named ? { legacy: named.legacy } : {}),
        ...(url !== undefined ? { url } : {}),
        ...(objectUrl !== undefined ? { objectUrl } : {}),
        push: !markedOff(a, DVC_PUSH_PROPERTY),
        paths: [...paths].map(([p, lastEvent]) => ({ path: p, lastEvent })),
      });
    }
    return { files: out, fileless };
  });
}

/**
 * The artifact path relative to the project root (POSIX), or undefined when it points outside
 * the project. Relative paths are resolved against `baseDir`, the MLMD file's directory:
 * cmf records them relative to it (the Cmf library, and cmflib's pull restores them there,
 * spec §3.3 step 1). Absolute paths must lie inside the project; a path absolute on Windows
 * (`C:\…`, `\\server\share`) is outside it, and a Windows relative one is read with its
 * backslashes as separators (see recordedSeparators).
 */
export function projectRelativePath(
  projectRoot: string,
  path: string,
  baseDir: string = projectRoot,
): string | undefined {
  if (isWindowsAbsolutePath(path)) return undefined;
  const rel = relative(projectRoot, resolve(baseDir, recordedSeparators(path, baseDir)));
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return rel.split(sep).join('/');
}
