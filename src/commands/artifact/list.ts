import { CmfCommand } from '../../cli/base-command.js';
import { artifactFlag, mlmdFileFlag, pagingFlags, pipelineFlag } from '../../cli/flags.js';
import { runArtifactList } from '../../cli/list-commands.js';
import type { Row } from '../../cmf/query.js';
import type { RawJson } from '../../cmf/raw-json.js';

export default class ArtifactList extends CmfCommand<Row[] | RawJson> {
  static override summary = 'List the artifacts of a pipeline.';
  static override description =
    'A table of id, name, type, create_time_since_epoch, url, Commit and uri, 20 rows a page on ' +
    'a terminal (any key: next page, q: quit). With -a, every field of each artifact of that ' +
    'name. Not on a terminal, everything is printed at once. --json prints the full records ' +
    '(a pretty-printed array; integral doubles print as JavaScript prints them, e.g. 3000).';
  static override examples = [
    '<%= config.bin %> artifact list -p Test-env',
    '<%= config.bin %> artifact list -p Test-env -a artifacts/data.xml.gz',
    '<%= config.bin %> artifact list -p Test-env --json > artifacts.json',
  ];
  static override flags = {
    pipeline_name: pipelineFlag(),
    file_name: mlmdFileFlag(),
    artifact_name: artifactFlag(),
    ...pagingFlags(),
  };

  async run(): Promise<Row[] | RawJson> {
    const { flags } = await this.parse(ArtifactList);
    return runArtifactList(flags, this);
  }
}
