import type { PullArtifactsResult, PushArtifactsResult } from '../artifacts/index.js';
import { counted, firstFew } from '../util/counted.js';
import type { CommandLog } from './command-frame.js';

type Logger = Pick<CommandLog, 'log' | 'logToStderr'>;

/**
 * What an artifact push said besides its counts (the remote's warnings, artifacts left out),
 * for `cmf artifact push` and the artifact step of `cmf repo push` alike.
 */
export function describePushNotes(cmd: Logger, r: PushArtifactsResult): void {
  for (const w of r.warnings) cmd.logToStderr(`Warning: ${w}`);
  if (r.skipped.length > 0) cmd.logToStderr(`Skipped (no recorded hash): ${r.skipped.join(', ')}`);
  if (r.notPushed.length > 0)
    cmd.logToStderr(`Not pushed (push: false in dvc.yaml): ${r.notPushed.join(', ')}`);
}

/**
 * What an artifact pull said besides its counts (files it removed, repaired cache objects,
 * warnings, artifacts left out), for `cmf artifact pull` and the step of `cmf repo pull`.
 */
export function describePullNotes(cmd: Logger, r: PullArtifactsResult): void {
  if (r.deleted.length > 0) {
    cmd.log(
      `Removed ${counted(r.deleted.length, 'file')} that the pulled artifacts do not list: ${firstFew(r.deleted)}`,
    );
  }
  if (r.repaired.length > 0)
    cmd.logToStderr(
      `Replaced ${r.repaired.length} corrupt cache object(s) with verified copies from the remote: ${r.repaired.join(', ')}`,
    );
  for (const w of r.warnings) cmd.logToStderr(`Warning: ${w}`);
  if (r.skipped.length > 0) cmd.logToStderr(`Skipped (no recorded hash): ${r.skipped.join(', ')}`);
  if (r.notPushed.length > 0)
    cmd.logToStderr(
      `Not restored (push: false in dvc.yaml, and neither the cache nor the remote has it): ${r.notPushed.join(', ')}`,
    );
}
