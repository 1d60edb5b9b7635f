import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { HashState } from '../hashing/state.js';
import { pushObjects, type TransferProgress } from '../remotes/index.js';
import { projectRelativePath, type PipelineArtifact } from './collect.js';
import {
  loadArtifactContext,
  openDefaultRemote,
  type ArtifactContext,
  type ArtifactTransferOptions,
} from './project.js';
import type { ArtifactFailure } from './failures.js';
import { describeFailures } from './failures.js';

export interface PushArtifactsOptions extends ArtifactTransferOptions {
  onProgress?: (p: TransferProgress) => void;
}

export interface PushArtifactsResult {
  pipeline: string;
  /** Where the objects went (no secrets). */
  remote: string;
  /** File-backed artifacts of the pipeline that have an object to push. */
  artifacts: number;
  /** Objects uploaded by this push. */
  uploaded: number;
  /** Objects the remote already had. */
  present: number;
  bytes: number;
  failed: ArtifactFailure[];
  /** Artifacts with no recorded hash and no `.dvc` file: nothing to push for them. */
  skipped: string[];
}

/**
 * The oid of an artifact: the hash MLMD records (what a pull will ask for), else the one in
 * its `.dvc` file, looked up beside the path (relative to the MLMD file's directory) or, for
 * a path outside the project, by basename in the project root as cmflib does.
 */
async function artifactOid(ctx: ArtifactContext, a: PipelineArtifact): Promise<string | undefined> {
  if (a.oid) return a.oid;
  const { projectRoot } = ctx;
  const rel = projectRelativePath(projectRoot, a.path, ctx.baseDir);
  const dvcPath = join(projectRoot, `${rel ?? posix.basename(a.path)}.dvc`);
  if (!existsSync(dvcPath)) return undefined;
  // Loaded here: the YAML parser is a large import that most pushes never need.
  const { readDvcFile } = await import('../hashing/dvcfile.js');
  const file = await readDvcFile(dvcPath);
  return file.outs.find((o) => o.md5)?.md5;
}

/**
 * `cmf artifact push`: uploads the objects of every file-backed artifact of the pipeline
 * (directories: manifest and files, manifest last) that the default remote lacks. Per-object
 * failures are returned, not thrown; bad credentials or an unreachable remote throw.
 */
export async function pushArtifacts(opts: PushArtifactsOptions): Promise<PushArtifactsResult> {
  const ctx = await loadArtifactContext(opts);
  const byOid = new Map<string, string[]>();
  const skipped: string[] = [];
  for (const a of ctx.artifacts) {
    const oid = await artifactOid(ctx, a);
    if (oid === undefined) skipped.push(a.name);
    else byOid.set(oid, [...(byOid.get(oid) ?? []), a.name]);
  }
  const driver = await openDefaultRemote(ctx, opts);
  // Objects about to be uploaded are verified through the project's hash state, so an
  // unchanged cache object costs a stat, not a read.
  const state = HashState.open(ctx.projectRoot);
  try {
    const r = await pushObjects(ctx.cache, driver, [...byOid.keys()], {
      jobs: opts.jobs,
      onProgress: opts.onProgress,
      state,
    });
    return {
      pipeline: opts.pipeline,
      remote: driver.location,
      artifacts: ctx.artifacts.length - skipped.length,
      uploaded: r.transferred,
      present: r.present,
      bytes: r.bytes,
      failed: await describeFailures(r.failed, ctx.cache, byOid),
      skipped,
    };
  } finally {
    state.close();
    await driver.close();
  }
}
