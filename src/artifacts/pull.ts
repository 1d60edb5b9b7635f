import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, posix, relative, sep } from 'node:path';
import {
  IntegrityError,
  NotFoundError,
  toCmfError,
  withData,
  type CmfError,
} from '../errors/index.js';
import { isDirOid, type LocalCache } from '../hashing/cache.js';
import { checkout } from '../hashing/checkout.js';
import { HashState } from '../hashing/state.js';
import {
  partialResult,
  pullObjects,
  type RemoteDriver,
  type TransferProgress,
} from '../remotes/index.js';
import {
  nameAtPath,
  projectRelativePath,
  type FilelessArtifact,
  type PipelineArtifact,
} from './collect.js';
import {
  artifactNotFound,
  enclosingPath,
  normalisationLookalike,
  selectArtifacts,
} from './select.js';
import { describeFailures, PATH_BLOCKED, type ArtifactFailure } from './failures.js';
import {
  loadArtifactContext,
  openDefaultRemote,
  type ArtifactContext,
  type ArtifactTransferOptions,
} from './project.js';
import { artifactObject, marksExecutable, ObjectOwners } from './objects.js';
import { jobsWithinOpenFileLimit } from '../util/open-files.js';
import { quotedCommand } from '../util/shell-quote.js';
import { isWindowsAbsolutePath } from '../util/windows-path.js';

export interface PullArtifactsOptions extends ArtifactTransferOptions {
  /** Pull only this artifact: its full name, its path, or the basename of its path. */
  artifact?: string;
  /** Overwrite workspace files whose content is not in the cache. */
  force?: boolean;
  onProgress?: (p: TransferProgress) => void;
}

export interface PullArtifactsResult {
  pipeline: string;
  remote: string;
  /** Artifacts selected (all file-backed ones, or those `artifact` matched). */
  artifacts: number;
  /** Objects downloaded into the cache by this pull. */
  downloaded: number;
  /** Objects the cache already had. */
  present: number;
  /** Bytes downloaded by this pull. */
  bytes: number;
  /**
   * Bytes of the downloaded objects that were not fetched again: partial downloads that an
   * interrupted or failed pull left were resumed (remotes/partials.ts).
   */
  resumed: number;
  /** Workspace paths (relative to the project root) of the artifacts checked out. */
  checkedOut: string[];
  /**
   * How many workspace paths this pull was to check out: one per path (the version logged
   * last), so fewer than `artifacts` when versions share a path. More than `checkedOut` holds
   * when some failed.
   */
  toCheckOut: number;
  /** Files created or replaced in the workspace, and files already up to date. */
  filesWritten: number;
  filesUnchanged: number;
  /**
   * Workspace paths (relative to the project root, sorted) of what the checkout removed: files
   * and symlinks a directory's manifest does not list, and what stood in the way of a file.
   */
  deleted: string[];
  failed: ArtifactFailure[];
  /**
   * Cache objects found corrupt while checking out, and replaced by verified copies from
   * the remote (the workspace files then written from them are good).
   */
  repaired: string[];
  /** Artifacts with no recorded hash: nothing to pull for them. */
  skipped: string[];
  /**
   * Artifacts marked `push: false` (dvc.yaml) whose objects are neither in the cache nor on
   * the remote: not restored, and not a failure (nobody was meant to push them).
   */
  notPushed: string[];
  /**
   * What went wrong without failing anything, one line each: e.g. an OSDF cache that did not
   * serve downloads (they came from the origin), or served corrupt objects.
   */
  warnings: string[];
}

/**
 * Small objects downloaded by this pull stay in memory up to this total, so their workspace
 * copies are written without reading each object back from the cache.
 */
const KEEP_BYTES = 64 << 20;

interface Target {
  artifact: PipelineArtifact;
  /** The last event recording the artifact at this path: the newest version of a path wins. */
  lastEvent: number;
  oid: string;
  /** A legacy (DVC 2.x) object: legacy layouts, md5-dos2unix (see artifacts/objects.ts). */
  legacy: boolean;
  /** Path relative to the project root, POSIX. */
  rel: string;
}

/**
 * The error for a NAME that selects only artifacts with no object on the remote, saying why
 * (exit 3, like an unknown name: there is nothing of that name to pull).
 */
function noFile(name: string, pipeline: string, a: FilelessArtifact): NotFoundError {
  const why = {
    Metrics: [
      'is a Metrics artifact: its values are in the metadata, there is no file to pull',
      `${quotedCommand(['cmf', 'artifact', 'list', '-p', pipeline, '-a', name])} shows the values.`,
    ],
    Label: [
      'is a Label: it is uploaded with the metadata, not to the artifact remote',
      `${quotedCommand(['cmf', 'metadata', 'pull', '-p', pipeline])} brings the metadata; the label file itself stays where it was logged.`,
    ],
    'not-versioned': [
      'is not versioned by DVC (cache: false, or code and config files): the remote holds no copy',
      'Get the file from the git repository or rerun the stage that makes it.',
    ],
  }[a.reason];
  return new NotFoundError(
    'ARTIFACT_HAS_NO_FILE',
    `Artifact "${a.name}" of pipeline "${pipeline}" has no file on the remote: it ${why[0]}`,
    { hint: why[1], data: { artifact: name, pipeline, type: a.type } },
  );
}

/** One path an artifact was recorded under, named as if it were the artifact's own name. */
interface PathView {
  artifact: PipelineArtifact;
  path: string;
  lastEvent: number;
  name: string;
}

/** Every (artifact, recorded path) pair, so `-a` finds content by any path it was logged at. */
function pathViews(artifacts: readonly PipelineArtifact[]): PathView[] {
  return artifacts.flatMap((a) =>
    a.paths.map((p) => ({
      artifact: a,
      path: p.path,
      lastEvent: p.lastEvent,
      name: nameAtPath(a, p.path),
    })),
  );
}

/**
 * For a failed mkdir (EEXIST) or a path through a file (ENOTDIR): the project-relative path
 * of the first file standing where the checkout needs a directory, else undefined.
 */
async function fileInTheWay(projectRoot: string, err: unknown): Promise<string | undefined> {
  const { code, path } = err as NodeJS.ErrnoException;
  if ((code !== 'EEXIST' && code !== 'ENOTDIR') || !path) return undefined;
  const rel = relative(projectRoot, path);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return undefined;
  const parts = rel.split(sep);
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join(sep);
    const st = await stat(join(projectRoot, prefix)).catch(() => undefined);
    if (st === undefined) return undefined;
    if (!st.isDirectory()) return prefix.split(sep).join('/');
  }
  return undefined;
}

/** True when the object and, for a directory, every file it lists are in the cache. */
async function complete(cache: LocalCache, t: Target, failed: Set<string>): Promise<boolean> {
  const { oid } = t;
  if (failed.has(oid)) return false;
  if (!isDirOid(oid)) return true;
  const entries = await cache.readManifest(oid, { legacy: t.legacy }).catch(() => undefined);
  return entries !== undefined && !entries.some((e) => failed.has(e.md5));
}

/**
 * `cmf artifact pull`: downloads the objects of the pipeline's artifacts (or of one) that the
 * local cache lacks, each verified before it enters the cache, then checks the files out at
 * their recorded paths (relative to the MLMD file's directory): every path the pulled
 * executions recorded the content under. An artifact whose objects did not all arrive is
 * not checked out, so nothing corrupt or partial reaches the workspace. Where several
 * versions of one path are selected, the newest (last logged) is checked out. Objects of
 * `push: false` artifacts are pulled when the remote has them, and their absence is no
 * failure (`notPushed`).
 */
export async function pullArtifacts(opts: PullArtifactsOptions): Promise<PullArtifactsResult> {
  const ctx = await loadArtifactContext(opts);
  const views = pathViews(ctx.artifacts);
  let selected = views;
  if (opts.artifact !== undefined) {
    const where = { cwd: opts.cwd ?? process.cwd(), baseDir: ctx.baseDir };
    const nameOf = (a: { name: string }) => a.name;
    selected = selectArtifacts(selected, nameOf, opts.artifact, where);
    if (selected.length === 0) {
      const other = selectArtifacts(ctx.fileless, nameOf, opts.artifact, where)[0];
      if (other) throw noFile(opts.artifact, opts.pipeline, other);
      const dirs = views.filter((v) => v.artifact.oid?.endsWith('.dir')).map((v) => v.path);
      throw artifactNotFound(opts.artifact, opts.pipeline, {
        within: enclosingPath(dirs, opts.artifact, where),
        lookalike: normalisationLookalike(views, (v) => v.name, opts.artifact, where),
        known: [...views, ...ctx.fileless].map((v) => v.name),
      });
    }
  }
  const failed: ArtifactFailure[] = [];
  const skipped = new Set<string>();
  const targets: Target[] = [];
  for (const v of selected) {
    const a = v.artifact;
    const rel = projectRelativePath(ctx.projectRoot, v.path, ctx.baseDir);
    if (!a.oid) skipped.add(a.name);
    else if (rel === undefined) {
      failed.push({
        artifacts: [a.name],
        checkout: true,
        code: 'ARTIFACT_OUTSIDE_PROJECT',
        exitCode: 1,
        message: isWindowsAbsolutePath(v.path)
          ? `${v.path} is an absolute Windows path (logged on Windows), outside the project ${ctx.projectRoot}; not pulled`
          : `${v.path} (relative to ${ctx.baseDir}) is outside the project ${ctx.projectRoot}; not pulled`,
      });
    } else {
      const { legacy } = (await artifactObject(ctx, a))!;
      targets.push({ artifact: a, lastEvent: v.lastEvent, oid: a.oid, legacy, rel });
    }
  }
  const count = new Set(selected.map((v) => v.artifact)).size;

  const driver = await openDefaultRemote(ctx, opts);
  try {
    return await pullAndCheckout(ctx, driver, opts, count, targets, failed, [...skipped]);
  } finally {
    await driver.close();
  }
}

/**
 * Takes out of `failed` the objects missing on the remote that belong only to `push: false`
 * artifacts (DVC never sends them, so their absence is expected); returns those artifacts.
 */
function unpushedMissing(failed: ArtifactFailure[], targets: readonly Target[]): string[] {
  const unpushed = new Set(targets.filter((t) => !t.artifact.push).map((t) => t.artifact.name));
  const names = new Set<string>();
  const kept = failed.filter((f) => {
    const expected =
      f.code === 'REMOTE_OBJECT_MISSING' &&
      f.artifacts.length > 0 &&
      f.artifacts.every((n) => unpushed.has(n));
    if (expected) f.artifacts.forEach((n) => names.add(n));
    return !expected;
  });
  failed.splice(0, failed.length, ...kept);
  return [...names];
}

/** Corrupt cache objects named by a checkout error (`data.oids`), or undefined. */
function corruptOids(err: CmfError): string[] | undefined {
  const oids = err.code === 'CACHE_OBJECT_CORRUPT' ? err.data?.oids : undefined;
  return Array.isArray(oids) && oids.length > 0 ? (oids as string[]) : undefined;
}

async function pullAndCheckout(
  ctx: ArtifactContext,
  driver: RemoteDriver,
  opts: PullArtifactsOptions,
  selectedCount: number,
  targets: Target[],
  failed: ArtifactFailure[],
  skipped: string[],
): Promise<PullArtifactsResult> {
  const owners = new ObjectOwners();
  const owned = new Set<PipelineArtifact>();
  for (const t of targets) {
    // An artifact checked out at several paths owns its object once.
    if (!owned.has(t.artifact)) owners.add(t, t.artifact.name);
    owned.add(t.artifact);
  }
  let transfer;
  try {
    transfer = await pullObjects(ctx.cache, driver, [...owners.dvc3.keys()], {
      jobs: opts.jobs,
      onProgress: opts.onProgress,
      keepBytes: KEEP_BYTES,
      legacy: [...owners.legacy.keys()],
    });
  } catch (err) {
    // An error that stopped the pull carries what was done until then (--json shows it).
    const partial = partialResult(err);
    if (!partial) throw err;
    const result: PullArtifactsResult = {
      pipeline: opts.pipeline,
      remote: driver.location,
      artifacts: selectedCount,
      downloaded: partial.transferred,
      present: partial.present,
      bytes: partial.bytes,
      resumed: 0,
      checkedOut: [],
      toCheckOut: new Set(targets.map((t) => t.rel)).size,
      filesWritten: 0,
      filesUnchanged: 0,
      deleted: [],
      failed: [...failed, ...(await describeFailures(partial.failed, ctx.cache, owners))],
      repaired: [],
      skipped,
      notPushed: [],
      warnings: driver.warnings?.() ?? [],
    };
    throw withData(err as CmfError, { result });
  }
  const failedOids = new Set(transfer.failed.map((f) => f.oid));
  const notPushed: string[] = [];
  if (transfer.failed.length > 0) {
    const described = await describeFailures(transfer.failed, ctx.cache, owners);
    notPushed.push(...unpushedMissing(described, targets));
    failed.push(...described);
  }

  // One version per path (the one logged last), parents before what lies inside them:
  // checking out a directory removes files its manifest does not list.
  const newest = new Map<string, Target>();
  for (const t of targets) {
    const prev = newest.get(t.rel);
    if (!prev || t.lastEvent > prev.lastEvent) newest.set(t.rel, t);
  }
  const order = [...newest.values()].sort(
    (a, b) => a.rel.split('/').length - b.rel.split('/').length,
  );
  const checkedOut: string[] = [];
  const repaired: string[] = [];
  const warnings = [...transfer.warnings];
  let downloaded = transfer.transferred;
  let bytes = transfer.bytes;
  let resumed = transfer.resumed;
  let filesWritten = 0;
  let filesUnchanged = 0;
  const deleted: string[] = [];
  // The hash state, shared with the Cmf API and `cmf dvc` commands: files this pull writes
  // are recorded, so the next pull finds them up to date with a stat instead of reading them.
  const state = order.length > 0 ? HashState.open(ctx.projectRoot) : undefined;
  // The large objects just stored too: a later checkout or push trusts them from a stat.
  state?.setMany(transfer.stateEntries);
  try {
    for (const t of order) {
      if (!(await complete(ctx.cache, t, failedOids))) continue;
      const abs = join(ctx.projectRoot, t.rel);
      const isexec = !isDirOid(t.oid) && (await marksExecutable(abs, t.oid));
      const run = () =>
        checkout(
          {
            path: posix.basename(t.rel),
            md5: t.oid,
            hashName: t.legacy ? 'md5-dos2unix' : 'md5',
            isexec,
          },
          {
            repoRoot: ctx.projectRoot,
            dvcFileDir: dirname(abs),
            cache: ctx.cache,
            linkTypes: ctx.dvc.cacheTypes,
            force: opts.force,
            jobs: opts.jobs === undefined ? undefined : jobsWithinOpenFileLimit(opts.jobs),
            objectBytes: transfer.fetched,
            verified: t.legacy ? transfer.storedLegacy : transfer.stored,
            state,
          },
        );
      try {
        let r;
        try {
          r = await run();
        } catch (err) {
          // A corrupt cache object is treated as missing: fetched again (verified, replacing
          // the bad file atomically), then the checkout is tried once more.
          const corrupt = toCmfError(err);
          const oids = corruptOids(corrupt);
          if (!oids) throw err;
          const again = await pullObjects(ctx.cache, driver, t.legacy ? [] : oids, {
            jobs: opts.jobs,
            keepBytes: KEEP_BYTES,
            replace: true,
            legacy: t.legacy ? oids : [],
          });
          downloaded += again.transferred;
          bytes += again.bytes;
          resumed += again.resumed;
          warnings.push(...again.warnings);
          if (again.failed.length > 0) {
            const why = again.failed[0]!.error;
            throw new IntegrityError(
              corrupt.code,
              `${corrupt.message}; fetching it again failed: ${why.message}`,
              { hint: why.hint ?? corrupt.hint, data: { ...corrupt.data, refetch: why.toJSON() } },
            );
          }
          for (const [oid, b] of again.fetched) transfer.fetched.set(oid, b);
          state?.setMany(again.stateEntries);
          for (const oid of again.stored) transfer.stored.add(oid);
          for (const oid of again.storedLegacy) transfer.storedLegacy.add(oid);
          repaired.push(...oids);
          r = await run();
        }
        checkedOut.push(t.rel);
        filesWritten += r.added.length + r.modified.length;
        filesUnchanged += r.unchanged;
        deleted.push(...r.deleted);
      } catch (err) {
        const blocked = await fileInTheWay(ctx.projectRoot, err);
        const e = toCmfError(err);
        failed.push({
          oid: t.oid,
          artifacts: [t.artifact.name],
          checkout: true,
          code: blocked === undefined ? e.code : PATH_BLOCKED,
          exitCode: e.exitCode,
          message:
            blocked === undefined
              ? `${t.rel} was not checked out: ${e.message}`
              : `${t.rel} was not checked out: ${blocked} is a file, expected a directory`,
        });
      }
    }
  } finally {
    state?.close();
  }
  return {
    pipeline: opts.pipeline,
    remote: driver.location,
    artifacts: selectedCount,
    downloaded,
    present: transfer.present,
    bytes,
    resumed,
    checkedOut,
    toCheckOut: order.length,
    filesWritten,
    filesUnchanged,
    deleted: deleted.sort(),
    failed,
    repaired,
    skipped,
    notPushed,
    warnings: [...warnings, ...(driver.warnings?.() ?? [])],
  };
}
