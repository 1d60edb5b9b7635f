/**
 * Labels: a label file describing a logged dataset becomes a `Label` input (not
 * DVC-tracked, as in cmflib), and the dataset gets `labels` / `labels_uri`.
 */
import { NotFoundError } from '../errors/index.js';
import { hashItems, readDvcFile } from '../hashing/index.js';
import { EventType, type PropertyValue } from '../mlmd/index.js';
import { recordArtifact, type LogResult, type Scope } from './artifact-logging.js';
import type { LogHost } from './host.js';
import { recordedPath } from './project.js';
import { mergedCustomProperties } from './values.js';

export interface LabelFile {
  recorded: string;
  md5: string;
}

/** The label file's recorded path and md5 (checked to exist first). */
export async function labelFile(host: LogHost, path: string): Promise<LabelFile> {
  const abs = await host.existing(path, 'file');
  const [h] = await hashItems([{ path: abs }], { state: host.project.state, jobs: 1 });
  return { recorded: recordedPath(host.project, abs), md5: h!.md5 };
}

/**
 * `Cmf.logLabel`: a `Label` input named `<label path>:<md5>` (its `url` is that name, with
 * no pipeline prefix) with custom `dataset_uri`, for a dataset that was logged already.
 */
export async function logLabel(
  host: LogHost,
  labelPath: string,
  datasetPath: string,
  props: Record<string, PropertyValue>,
): Promise<LogResult> {
  const { store, types } = host;
  const label = await labelFile(host, labelPath);
  const datasetAbs = await host.existing(datasetPath);
  const datasetOid = await readDvcFile(`${datasetAbs}.dvc`)
    .then((f) => f.outs[0]?.md5)
    .catch(() => undefined);
  const datasetType = types.findArtifact('Dataset');
  if (
    !datasetOid ||
    datasetType === undefined ||
    store.artifacts.getByUri(datasetOid).every((a) => a.typeId !== datasetType)
  ) {
    throw new NotFoundError(
      'CMF_DATASET_NOT_LOGGED',
      `${datasetPath} has not been logged as a dataset`,
      {
        hint: 'Log it with logDataset first (or pass label to logDataset).',
      },
    );
  }
  const scope = await host.scope();
  const labelType = types.artifact('Label');
  return store.transaction(() => recordLabel(host, scope, labelType, label, datasetOid, props));
}

/** The MLMD side of a label: the Label artifact (input) and the dataset's label properties. */
export function recordLabel(
  host: LogHost,
  scope: Scope,
  labelType: number,
  label: LabelFile,
  datasetOid: string,
  props: Record<string, PropertyValue>,
): LogResult {
  const { store } = host;
  const name = `${label.recorded}:${label.md5}`;
  const result = recordArtifact(scope, {
    typeId: labelType,
    name,
    uri: label.md5,
    properties: { git_repo: host.project.gitRepoUrl, Commit: label.md5, url: name },
    custom: { ...props, dataset_uri: { type: 'string', value: datasetOid } },
    event: EventType.INPUT,
    updateCustom: true,
  });
  // cmflib adds the label to the first dataset with that hash, without linking it again.
  const datasetType = host.types.artifact('Dataset');
  const dataset = store.artifacts.getByUri(datasetOid).find((a) => a.typeId === datasetType);
  if (dataset) {
    const custom = mergedCustomProperties(dataset.customProperties, {
      labels: { type: 'string', value: label.recorded },
      labels_uri: { type: 'string', value: name },
    });
    store.artifacts.update(dataset.id, { customProperties: custom });
  }
  return result;
}
