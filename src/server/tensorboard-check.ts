/**
 * What a `-t` tensorboard upload needs, checked before anything is pushed: the path exists
 * (a file or a directory), and the pipeline name is one the server accepts as a directory
 * (`team/project` nests; an empty, `.` or `..` segment, or a leading `/`, is refused there),
 * so a push never sends the metadata and then fails on an upload that cannot succeed.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { CmfError, UsageError } from '../errors/index.js';
import { safePipelineSegments } from './upload-names.js';

export function checkTensorboardUpload(cwd: string, given: string, pipeline: string): void {
  const st = statSync(resolve(cwd, given), { throwIfNoEntry: false });
  if (!st?.isFile() && !st?.isDirectory()) {
    throw new UsageError('INVALID_TENSORBOARD_PATH', `Invalid tensorboard logs path: ${given}`, {
      hint: 'Give -t/--tensorboard_path an existing file or directory.',
      data: { path: given },
    });
  }
  try {
    safePipelineSegments(pipeline);
  } catch (err) {
    const why = err instanceof CmfError ? String(err.data?.why ?? err.message) : String(err);
    throw new UsageError(
      'TENSORBOARD_PIPELINE_NAME',
      `Pipeline name ${JSON.stringify(pipeline)} cannot name a tensorboard log directory on the server: ${why}`,
      {
        hint:
          'Push without -t/--tensorboard_path. A pipeline name may nest with "/" (team/project), ' +
          'but no segment may be empty, "." or "..", and it may not start with "/".',
        data: { pipeline, why },
        cause: err,
      },
    );
  }
}
