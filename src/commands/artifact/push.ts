import { Flags } from '@oclif/core';
import { CmfCommand } from '../../cli/base-command.js';
import { acceptNewHostKeyFlag, jobsFlag, mlmdFileFlag, pipelineFlag } from '../../cli/flags.js';
import type { PushArtifactsResult } from '../../artifacts/index.js';
import { runArtifactPush } from '../../cli/artifact-transfers.js';

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
    return runArtifactPush(flags, this);
  }
}
