import { Flags } from '@oclif/core';
import { CmfCommand } from '../../cli/base-command.js';
import { acceptNewHostKeyFlag, jobsFlag, mlmdFileFlag, pipelineFlag } from '../../cli/flags.js';
import type { PullArtifactsResult } from '../../artifacts/index.js';
import { runArtifactPull } from '../../cli/artifact-transfers.js';

export default class ArtifactPull extends CmfCommand<PullArtifactsResult> {
  static override summary = "Pull a pipeline's artifact files from the default remote.";
  static override description =
    'Downloads the objects the local cache lacks (each MD5-verified before it is stored), then ' +
    "checks the files out at their recorded paths, relative to the MLMD file's directory (never " +
    'outside the project). With -a, one artifact ' +
    '(full name, path or file name). Exits 1 if anything failed, 5 if an object was corrupt ' +
    '(its files are not written), 3 for an unknown pipeline or artifact or a missing remote ' +
    'directory, 4 if cmf is not initialised or the remote refuses its settings or credentials.';
  static override examples = [
    '<%= config.bin %> artifact pull -p Test-env',
    '<%= config.bin %> artifact pull -p Test-env -a data.xml.gz',
  ];
  static override flags = {
    pipeline_name: pipelineFlag(),
    file_name: mlmdFileFlag(),
    artifact_name: Flags.string({
      char: 'a',
      aliases: ['artifact-name'],
      summary: 'Pull only this artifact (its full name, path or file name).',
    }),
    jobs: jobsFlag(),
    force: Flags.boolean({
      summary:
        'Overwrite workspace files whose content is not in the cache, and remove files and ' +
        'links the pulled directories do not list even then.',
      default: false,
    }),
    'accept-new-host-key': acceptNewHostKeyFlag(),
    'no-progress': Flags.boolean({ summary: 'Show no progress line.', default: false }),
  };

  async run(): Promise<PullArtifactsResult> {
    const { flags } = await this.parse(ArtifactPull);
    return runArtifactPull(flags, this);
  }
}
