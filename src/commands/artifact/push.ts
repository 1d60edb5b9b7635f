import { Flags } from '@oclif/core';
import { CmfCommand } from '../../cli/base-command.js';
import { acceptNewHostKeyFlag, jobsFlag, mlmdFileFlag, pipelineFlag } from '../../cli/flags.js';
import { requireNonEmpty, requireValue } from '../../cli/open-mlmd.js';
import { describePushNotes } from '../../cli/transfer-notes.js';
import { formatBytes, transferProgress } from '../../cli/transfer-progress.js';
import { resolveMlmdPath } from '../../config/project.js';
import { counted } from '../../util/counted.js';
import { pushArtifacts, transferError, type PushArtifactsResult } from '../../artifacts/index.js';

export default class ArtifactPush extends CmfCommand<PushArtifactsResult> {
  static override summary = "Push a pipeline's artifact files to the default remote.";
  static override description =
    'Uploads the cached objects of every file-backed artifact of the pipeline (directories: ' +
    'every file, then the manifest) that the remote lacks, in the DVC 3 layout ' +
    '(<remote>/files/md5/xx/...). Exits 1 if any object failed, 3 for an unknown pipeline, 4 ' +
    'if cmf is not initialised or the remote refuses its settings or credentials, 5 if a ' +
    'cache copy is corrupt (it is not uploaded).';
  static override examples = [
    '<%= config.bin %> artifact push -p Test-env',
    '<%= config.bin %> artifact push -p Test-env -f mlmd -j 16 --json',
  ];
  static override flags = {
    pipeline_name: pipelineFlag(),
    file_name: mlmdFileFlag(),
    jobs: jobsFlag(),
    'accept-new-host-key': acceptNewHostKeyFlag(),
    'no-progress': Flags.boolean({ summary: 'Show no progress line.', default: false }),
  };

  async run(): Promise<PushArtifactsResult> {
    const { flags } = await this.parse(ArtifactPush);
    const pipeline = requireValue(flags.pipeline_name, '-p/--pipeline_name');
    requireNonEmpty(flags.file_name, '-f/--file_name');
    const progress = transferProgress('Pushing', !flags['no-progress'] && !this.jsonEnabled());
    let r: PushArtifactsResult;
    try {
      r = await pushArtifacts({
        mlmdPath: resolveMlmdPath(flags.file_name, process.cwd()),
        pipeline,
        jobs: flags.jobs,
        acceptNewHostKey: flags['accept-new-host-key'],
        onProgress: progress.onProgress,
      });
    } finally {
      progress.done();
    }
    if (!this.jsonEnabled()) {
      this.log(
        `${r.uploaded} uploaded (${formatBytes(r.bytes)}), ${r.present} already there, ` +
          `${r.failed.length} failed — ${counted(r.artifacts, 'artifact')} of ${pipeline} to ${r.remote}`,
      );
      describePushNotes(this, r);
    }
    if (r.failed.length > 0) throw transferError('push', r.failed, r);
    return r;
  }
}
