import { HashState } from '../hashing/state.js';
import { withData, type CmfError } from '../errors/index.js';
import {
  partialResult,
  pushObjects,
  type TransferProgress,
  type TransferResult,
} from '../remotes/index.js';
import { artifactObject, ObjectOwners } from './objects.js';
import { loadArtifactContext, openDefaultRemote, type ArtifactTransferOptions } from './project.js';
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
  /**
   * Bytes of interrupted uploads (S3 parts, SFTP temp files) this push resumed: kept on the
   * remote, not sent again, and not in `bytes`.
   */
  resumed: number;
  failed: ArtifactFailure[];
  /** Artifacts with no recorded hash and no `.dvc` file: nothing to push for them. */
  skipped: string[];
  /** Artifacts left out as `dvc push` leaves them out (`push: false` in dvc.yaml). */
  notPushed: string[];
  /** What is odd about the remote without failing anything, one line each (as pull's). */
  warnings: string[];
}

/**
 * `cmf artifact push`: uploads the objects of every file-backed artifact of the pipeline
 * (directories: manifest and files, manifest last) that the default remote lacks, but for
 * those marked `push: false` (as `dvc push` leaves them). Per-object
 * failures are returned, not thrown; bad credentials or an unreachable remote throw.
 */
export async function pushArtifacts(opts: PushArtifactsOptions): Promise<PushArtifactsResult> {
  const ctx = await loadArtifactContext(opts);
  const owners = new ObjectOwners();
  const skipped: string[] = [];
  const notPushed: string[] = [];
  for (const a of ctx.artifacts) {
    if (!a.push) {
      notPushed.push(a.name);
      continue;
    }
    const obj = await artifactObject(ctx, a);
    if (obj === undefined) skipped.push(a.name);
    else owners.add(obj, a.name);
  }
  const driver = await openDefaultRemote(ctx, opts);
  // Objects about to be uploaded are verified through the project's hash state, so an
  // unchanged cache object costs a stat, not a read.
  const state = HashState.open(ctx.projectRoot);
  const summary = async (r: TransferResult): Promise<PushArtifactsResult> => ({
    pipeline: opts.pipeline,
    remote: driver.location,
    artifacts: ctx.artifacts.length - skipped.length - notPushed.length,
    uploaded: r.transferred,
    present: r.present,
    bytes: r.bytes,
    resumed: r.resumed,
    failed: await describeFailures(r.failed, ctx.cache, owners),
    skipped,
    notPushed,
    warnings: driver.warnings?.() ?? [],
  });
  try {
    // Legacy objects go to the legacy layout, as `dvc push` splits them off (formats.md A4.2).
    const r = await pushObjects(ctx.cache, driver, [...owners.dvc3.keys()], {
      jobs: opts.jobs,
      onProgress: opts.onProgress,
      state,
      legacy: [...owners.legacy.keys()],
    });
    return await summary(r);
  } catch (err) {
    // An error that stopped the push carries what was done until then (--json shows it).
    const partial = partialResult(err);
    if (partial) throw withData(err as CmfError, { result: await summary(partial) });
    throw err;
  } finally {
    state.close();
    await driver.close();
  }
}
