import { Flags } from '@oclif/core';
import { CmfCommand } from '../../cli/base-command.js';
import { jsonFileFlag, mlmdFileFlag, pipelineFlag } from '../../cli/flags.js';
import { writeOutput, writeOutputPieces } from '../../cli/output.js';
import { openMlmdForReading, requireNonEmpty, requireValue } from '../../cli/open-mlmd.js';
import {
  STDOUT_TARGET,
  checkExportTarget,
  exportPath,
  writeExport,
} from '../../cmf/export-file.js';
import { SqliteAsyncStore } from '../../mlmd/index.js';
import { exportText, type ExportSummary } from '../../cmf/export-json.js';

type ExportResult = ExportSummary & { pipeline: string; path: string };

export default class MetadataExport extends CmfCommand<ExportResult | undefined> {
  static override summary = "Export a pipeline's metadata as cmf's JSON exchange format.";
  static override description =
    'Writes the pipeline, its stages, executions, events and artifacts as cmflib does ' +
    "(json.dumps, indent 2). An existing file is an error (exit 2) unless --force; '-j -' " +
    'writes to standard output.';
  static override examples = [
    '<%= config.bin %> metadata export -p Test-env',
    '<%= config.bin %> metadata export -p Test-env -j out/test-env.json --force',
    '<%= config.bin %> metadata export -p Test-env -j - | jq .Pipeline[0].name',
  ];
  static override flags = {
    pipeline_name: pipelineFlag(),
    file_name: mlmdFileFlag(),
    json_file_name: jsonFileFlag(),
    force: Flags.boolean({ summary: 'Overwrite the output file if it exists.', default: false }),
  };

  async run(): Promise<ExportResult | undefined> {
    const { flags } = await this.parse(MetadataExport);
    const pipeline = requireValue(flags.pipeline_name, '-p/--pipeline_name');
    requireNonEmpty(flags.json_file_name, '-j/--json_file_name');
    const store = SqliteAsyncStore.wrap(openMlmdForReading(flags.file_name));
    try {
      // Written as it is read: memory stays one batch of executions, whatever the pipeline.
      const out = await exportText(store, pipeline, { indent: 2 });
      if (flags.json_file_name?.trim() === STDOUT_TARGET) {
        await writeOutputPieces(out.chunks);
        writeOutput('\n');
        return undefined;
      }
      const path = exportPath(flags.json_file_name, pipeline, process.cwd());
      checkExportTarget(path, flags.force);
      await writeExport(path, out.chunks);
      this.log(`SUCCESS: metadata exported in ${path}`);
      return { pipeline, path, ...out.summary };
    } finally {
      await store.close();
    }
  }
}
