/**
 * Artifacts whose version is given rather than computed: cmflib's `log_dataset_with_version`,
 * `log_model_with_version` and `log_validation_output`. Nothing is hashed, cached or staged
 * (the file need not be here: an object in a bucket, a model in a registry); only MLMD is
 * written, with the names, properties and events cmflib writes (spec/cmf-reference.md §5.4).
 *
 * Where we differ from cmflib, on purpose:
 * - Without a `url`, the `url` property is '' (cmflib stores a single space, which its own
 *   url merging then treats as empty while ours would keep it as an entry); given, it is
 *   stored as given, and on re-log its comma-separated entries are merged as whole items.
 * - `git_repo` defaults to the repository's remote URL (cmflib: ''; every cmflib caller
 *   passes that URL). A model's framework, type and name default to "Default" and its
 *   `Commit` to the version, as `logModel` records them (cmflib: '', since its caller passes
 *   a whole property set).
 * - Known content is matched by uri and type, as in every other logging call (cmf.ts).
 */
import { v1 as uuid1 } from 'uuid';
import { EventType, type PropertyValue } from '../mlmd/index.js';
import { recordArtifact, type LogResult } from './artifact-logging.js';
import type { LogHost } from './host.js';

export interface DatasetVersionProperties {
  /** `git_repo` (default: the git repository's remote URL, '' without one). */
  gitRepo?: string;
  /** `url`: where the object lives, `<pipeline>:<object url>` as cmf writes it (default ''). */
  url?: string;
}

export interface ModelVersionProperties {
  modelFramework?: string;
  modelType?: string;
  modelName?: string;
  /** `Commit` (default: the version, as cmf records the hash). */
  commit?: string;
  /** `url`, as for datasets (default ''). */
  url?: string;
}

interface Versioned<P> {
  /** The path or URL the name starts with, recorded as given. */
  path: string;
  version: string;
  event: EventType;
  props: P;
  custom: Record<string, PropertyValue>;
}

/** The url merge of a re-log: only when a url is given (cmflib's merge of '' changes nothing). */
function urlUpdate(url: string, targets: 'first' | 'all') {
  return url === '' ? {} : { url: { entry: url, targets } };
}

/** A `Dataset` named `<path>:<version>`, uri and `Commit` = the version. */
export async function logDatasetVersion(
  host: LogHost,
  a: Versioned<DatasetVersionProperties>,
): Promise<LogResult> {
  const scope = await host.scope();
  const typeId = host.types.artifact('Dataset');
  const url = a.props.url ?? '';
  return host.store.transaction(() =>
    recordArtifact(scope, {
      typeId,
      name: `${a.path}:${a.version}`,
      uri: a.version,
      properties: {
        git_repo: a.props.gitRepo ?? host.project.gitRepoUrl,
        Commit: a.version,
        url,
      },
      custom: a.custom,
      event: a.event,
      updateCustom: true,
      ...urlUpdate(url, 'first'),
    }),
  );
}

/**
 * A `Model` named `<path>:<version>:<execution id>` (a link to known content is keyed
 * `<path>:<version>`); uri = the version. A re-log adds the url to every model with that uri.
 */
export async function logModelVersion(
  host: LogHost,
  a: Versioned<ModelVersionProperties>,
): Promise<LogResult> {
  const scope = await host.scope();
  const typeId = host.types.artifact('Model');
  const p = a.props;
  const url = p.url ?? '';
  return host.store.transaction(() =>
    recordArtifact(scope, {
      typeId,
      name: `${a.path}:${a.version}:${scope.executionId}`,
      linkKey: `${a.path}:${a.version}`,
      uri: a.version,
      properties: {
        model_framework: p.modelFramework ?? 'Default',
        model_type: p.modelType ?? 'Default',
        model_name: p.modelName ?? 'Default',
        Commit: p.commit ?? a.version,
        url,
      },
      custom: a.custom,
      event: a.event,
      ...urlUpdate(url, 'all'),
    }),
  );
}

/**
 * A `Validation_output` (declared property `version`) whose name and uri are a fresh uuid1,
 * linked to the execution by an INTERNAL_OUTPUT event. Always a new artifact.
 */
export async function logValidationOutput(
  host: LogHost,
  version: string,
  custom: Record<string, PropertyValue>,
): Promise<LogResult> {
  const scope = await host.scope();
  const typeId = host.types.artifact('Validation_output');
  const uuid = uuid1();
  return host.store.transaction(() =>
    recordArtifact(scope, {
      typeId,
      name: uuid,
      uri: uuid,
      properties: { version },
      custom,
      event: EventType.INTERNAL_OUTPUT,
      alwaysNew: true,
    }),
  );
}
