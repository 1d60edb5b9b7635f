import { dirname } from 'node:path';
import { listArtifactsNamed } from '../../artifacts/index.js';
import { CmfCommand } from '../../cli/base-command.js';
import { artifactFlag, mlmdFileFlag, pagingFlags, pipelineFlag } from '../../cli/flags.js';
import {
  ARTIFACT_COLUMNS,
  ARTIFACT_DETAIL_COLUMNS,
  showDetails,
  showTable,
} from '../../cli/listing.js';
import { openMlmdForReading, requireNonEmpty, requireValue } from '../../cli/open-mlmd.js';
import { artifactRows, artifactRowsJson, type Row } from '../../cmf/query.js';
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
    const pipeline = requireValue(flags.pipeline_name, '-p/--pipeline_name');
    requireNonEmpty(flags.artifact_name, '-a/--artifact_name');
    const store = openMlmdForReading(flags.file_name);
    let rows: Row[];
    try {
      // The whole listing as JSON: serialised by SQLite, without row objects.
      if (this.jsonEnabled() && flags.artifact_name === undefined)
        return artifactRowsJson(store, pipeline);
      const wanted = flags.artifact_name?.trim();
      const where = { cwd: process.cwd(), baseDir: dirname(store.path) };
      rows =
        wanted === undefined
          ? artifactRows(store, pipeline)
          : listArtifactsNamed(store, pipeline, wanted, where);
    } finally {
      store.close();
    }
    if (this.jsonEnabled()) return rows;
    const opts = { pageSize: flags['page-size'], noPager: flags['no-pager'] };
    if (rows.length === 0) this.logToStderr(`Pipeline ${pipeline} has no artifacts.`);
    else if (flags.artifact_name !== undefined)
      await showDetails(rows, ARTIFACT_DETAIL_COLUMNS, opts);
    else await showTable(rows, ARTIFACT_COLUMNS, opts);
    return rows;
  }
}
