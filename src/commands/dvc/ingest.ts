import { CmfCommand } from '../../cli/base-command.js';
import { mlmdFileFlag, pipelineFlag } from '../../cli/flags.js';
import { requireNonEmpty } from '../../cli/open-mlmd.js';
import { counted, listed } from '../../util/counted.js';
import { ingestDvcPipeline, type IngestResult } from '../../ingest/index.js';

export default class DvcIngest extends CmfCommand<IngestResult> {
  static override summary = "Record a DVC project's dvc.lock files as cmf metadata.";
  static override description =
    'Reads every dvc.lock of the project (and its dvc.yaml for wdir and cache: false) and records ' +
    'one stage context and one execution per stage, its params, and every dep and out as a ' +
    'Dataset with the hash, size and url DVC recorded (nothing is re-hashed). An execution ' +
    'with the same stage and command is reused; ingesting an unchanged lock file changes ' +
    'nothing. Files DVC does not version (code, params) are recorded with dvc_tracked = 0 ' +
    'and never pushed. Bad input writes nothing.';
  static override examples = [
    '<%= config.bin %> dvc ingest',
    '<%= config.bin %> dvc ingest -p Test-env -f mlmd --json',
  ];
  static override flags = {
    pipeline_name: pipelineFlag({
      required: false,
      summary:
        "Name of the pipeline (default: the MLMD file's only pipeline, else the project directory's name).",
    }),
    file_name: mlmdFileFlag(),
  };

  async run(): Promise<IngestResult> {
    const { flags } = await this.parse(DvcIngest);
    requireNonEmpty(flags.pipeline_name, '-p/--pipeline_name');
    requireNonEmpty(flags.file_name, '-f/--file_name');
    const r = await ingestDvcPipeline({
      mlmdFile: flags.file_name,
      // Trimmed as every other command's -p is: ' d1 ' would be a pipeline no other reaches.
      pipeline: flags.pipeline_name?.trim(),
    });
    if (!this.jsonEnabled()) {
      for (const w of r.warnings) this.logToStderr(`Warning: ${w}`);
      const { executions: e, artifacts: a } = r;
      this.log(
        r.changed
          ? `Ingested ${counted(r.stages.total, 'stage')} into pipeline ${r.pipeline}: ` +
              `executions ${e.created} created, ${e.reused} reused, ${e.unchanged} unchanged; ` +
              `artifacts ${a.created} created, ${a.linked} linked, ${a.unchanged} unchanged`
          : `Nothing to do: ${r.pipeline} already holds the ${counted(r.stages.total, 'stage')} of ${lockFilesText(r.lockFiles)}`,
      );
    }
    return r;
  }
}

/** `dvc.lock`, `dvc.lock and sub/dvc.lock`; past three, `5 dvc.lock files`. */
function lockFilesText(files: string[]): string {
  return files.length > 3 ? `${files.length} dvc.lock files` : listed(files);
}
