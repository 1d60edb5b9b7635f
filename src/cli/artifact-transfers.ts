import {
  pullArtifacts,
  pushArtifacts,
  transferError,
  type PullArtifactsResult,
  type PushArtifactsResult,
} from '../artifacts/index.js';
import { resolveMlmdPath } from '../config/project.js';
import type { TransferProgress } from '../remotes/index.js';
import { counted, ofTotal } from '../util/counted.js';
import type { CommandLog } from './command-frame.js';
import { requireNonEmpty, requireValue } from './open-mlmd.js';
import { describePullNotes, describePushNotes } from './transfer-notes.js';
import { movedBytes, transferProgress } from './transfer-progress.js';

/**
 * The work of `cmf artifact push` and `cmf artifact pull` once their flags are parsed, by oclif
 * (src/commands/artifact/) or by the fast path (fast-path.ts): one body for both, and no oclif
 * import, so the fast path starts without loading oclif.
 */

/** The flags of `cmf artifact push`, as parsed. */
export interface ArtifactPushFlags {
  pipeline_name?: string;
  file_name?: string;
  jobs?: number;
  'accept-new-host-key': boolean;
  'no-progress': boolean;
}

/** The flags of `cmf artifact pull`, as parsed. */
export interface ArtifactPullFlags extends ArtifactPushFlags {
  artifact_name?: string;
  force: boolean;
}

export async function runArtifactPush(
  flags: ArtifactPushFlags,
  out: CommandLog,
): Promise<PushArtifactsResult> {
  const pipeline = requireValue(flags.pipeline_name, '-p/--pipeline_name');
  requireNonEmpty(flags.file_name, '-f/--file_name');
  const r = await withProgress('Pushing', flags, out, (onProgress) =>
    pushArtifacts({
      mlmdPath: resolveMlmdPath(flags.file_name, process.cwd()),
      pipeline,
      jobs: flags.jobs,
      acceptNewHostKey: flags['accept-new-host-key'],
      onProgress,
    }),
  );
  if (!out.jsonEnabled()) {
    out.log(
      `${r.uploaded} uploaded (${movedBytes(r)}), ${r.present} already there, ` +
        `${r.failed.length} failed — ${counted(r.artifacts, 'artifact')} of ${pipeline} to ${r.remote}`,
    );
    describePushNotes(out, r);
  }
  if (r.failed.length > 0) throw transferError('push', r.failed, r);
  return r;
}

export async function runArtifactPull(
  flags: ArtifactPullFlags,
  out: CommandLog,
): Promise<PullArtifactsResult> {
  const pipeline = requireValue(flags.pipeline_name, '-p/--pipeline_name');
  requireNonEmpty(flags.file_name, '-f/--file_name');
  requireNonEmpty(flags.artifact_name, '-a/--artifact_name');
  const r = await withProgress('Pulling', flags, out, (onProgress) =>
    pullArtifacts({
      mlmdPath: resolveMlmdPath(flags.file_name, process.cwd()),
      pipeline,
      artifact: flags.artifact_name,
      jobs: flags.jobs,
      acceptNewHostKey: flags['accept-new-host-key'],
      force: flags.force,
      onProgress,
    }),
  );
  if (!out.jsonEnabled()) {
    out.log(
      `${r.downloaded} downloaded (${movedBytes(r)}), ` +
        `${r.present} already in cache, ` +
        `${r.failed.length} failed; ${counted(r.filesWritten, 'file')} checked out` +
        ` (${r.filesUnchanged} up to date) in ${ofTotal(r.checkedOut.length, r.toCheckOut, 'artifact')}`,
    );
    describePullNotes(out, r);
  }
  if (r.failed.length > 0) throw transferError('pull', r.failed, r);
  return r;
}

/** Runs `transfer` with a progress line on stderr (a terminal, no --json, no --no-progress). */
async function withProgress<R>(
  verb: string,
  flags: ArtifactPushFlags,
  out: CommandLog,
  transfer: (onProgress: ((p: TransferProgress) => void) | undefined) => Promise<R>,
): Promise<R> {
  const progress = transferProgress(verb, !flags['no-progress'] && !out.jsonEnabled());
  try {
    return await transfer(progress.onProgress);
  } finally {
    progress.done();
  }
}
