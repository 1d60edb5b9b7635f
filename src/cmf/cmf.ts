/**
 * The Cmf logging API: records pipelines, stages, executions and artifacts into an MLMD
 * file exactly as Python cmflib does (spec/cmf-reference.md §5), versioning every file it
 * logs through the DVC-compatible cache.
 *
 * Where we differ from cmflib, on purpose:
 * - `Cmf.open` is async (git and the file system are); every method returns a Promise and
 *   calls on one instance run one at a time, in call order.
 * - No `chdir`, no `git checkout -B <mlmd name>`, no `sys.exit`: problems are typed errors.
 *   Relative paths are resolved against `cwd`; artifact names use the path relative to the
 *   MLMD file's directory (what cmflib records after its chdir).
 * - Values keep their types (cmflib stores execution floats, and floats of re-logged
 *   artifacts, as strings — §5.3, §11.10).
 * - Known content is looked up by uri *and type* (cmflib ignores the type, so a model with
 *   the content of a dataset would be linked as that dataset); url lists are merged by whole
 *   entries, not by substring (§11.7).
 * - `.dvc` files are `git add`ed in batches (see staging.ts), at the latest by `finalize()`
 *   or `close()`; call one of them before the process ends.
 * - A git remote is not required (Git_Repo is then '' and a warning is collected); a DVC
 *   default remote is (the `url` property names the object's place on it).
 * - The environment snapshot is a YAML file of the Node runtime and the lock file, named in
 *   the execution property `Python_Env` (cmflib's name, which `metadata push` and the
 *   server look for).
 */
import { existsSync, rmSync, type BigIntStats } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { v1 as uuid1 } from 'uuid';
import { NotFoundError, OperationError, UsageError } from '../errors/index.js';
import { counted, firstFew } from '../util/counted.js';
import { setOwn } from '../util/own-keys.js';
import { addMany, hashItems, undoAdd, type AddManyItem } from '../hashing/index.js';
import { statFollowing, unsupportedFile } from '../hashing/odd-paths.js';
import {
  EventType,
  MlmdStore,
  type MlmdArtifact,
  type MlmdContext,
  type MlmdExecution,
  type PropertyInputs,
  type PropertyValue,
} from '../mlmd/index.js';
import {
  recordArtifact,
  type ArtifactSpec,
  type LogResult,
  type Scope,
} from './artifact-logging.js';
import {
  CMF_ARTIFACTS_DIR,
  ENV_PROPERTY,
  PARENT_CONTEXT,
  PIPELINE_STAGE,
  eventType,
  type ArtifactTypeName,
  type EventName,
} from './conventions.js';
import {
  checkCreateExecution,
  checkArtifactId,
  checkExecutionId,
  checkFileName,
  checkLogDataset,
  checkLogDatasets,
  checkLogDatasetWithVersion,
  checkLogModel,
  checkLogModelWithVersion,
  checkOpenOptions,
  checkText,
  checkTexts,
} from './arguments.js';
import { DataSlice, type DataSliceHost } from './dataslice.js';
import { checkGitRefusals } from './git-checks.js';
import type { AddedFile, AddedObject, LogHost } from './host.js';
import { labelFile, logLabel, recordLabel } from './label.js';
import { StepMetrics, logExecutionMetrics } from './metrics.js';
import { writeEnvironment, type EnvironmentSnapshot } from './environment.js';
import { readTable, writeTable, type Row } from './parquet.js';
import { openProject, recordedPath, type Project } from './project.js';
import { commandString, scriptName } from './script.js';
import { forLibrary } from './library-errors.js';
import { GitStager } from './staging.js';
import { TypeRegistry } from './types.js';
import { pipelineUrl } from './url.js';
import {
  customProperties,
  customValue,
  mergedCustomProperties,
  type CustomProperties,
} from './values.js';
import {
  logDatasetVersion,
  logModelVersion,
  logValidationOutput,
  type DatasetVersionProperties,
  type ModelVersionProperties,
} from './versioned.js';

export interface CmfOptions {
  /** The MLMD file, relative to `cwd` (default `'mlmd'`). Created when missing. */
  filepath?: string;
  /** Pipeline name (default: the basename of `cwd`, as cmflib does). */
  pipelineName?: string;
  /** Custom properties of the pipeline context, set only when it is created. */
  customProperties?: CustomProperties;
  /** cmflib's Neo4j mirror. Not built yet: `true` fails with CMF_GRAPH_UNSUPPORTED. */
  graph?: boolean;
  /** Directory that relative paths are resolved against (default `process.cwd()`). */
  cwd?: string;
  /** How long to wait for another process holding the MLMD write lock (default 60 s). */
  busyTimeoutMs?: number;
}

export interface CreateExecutionOptions {
  /** The `Execution` property (default: the script and its arguments, as Python's `str(sys.argv)`). */
  cmd?: string | readonly string[];
  /**
   * true (default): a new unnamed execution whose type is `executionType`. false: reuse the
   * execution named `executionType` in this stage (type = the stage name), appending a new
   * uuid to its `Execution_uuid`.
   */
  createNewExecution?: boolean;
}

export interface LogDatasetOptions {
  /** A label file describing the dataset, logged with {@link Cmf.logLabel}. */
  label?: string;
  labelProperties?: CustomProperties;
}

export interface LogModelOptions {
  modelFramework?: string;
  modelType?: string;
  modelName?: string;
  customProperties?: CustomProperties;
}

export interface FinalizeResult {
  /** The commit made of the staged `.dvc` files, if anything was staged. */
  commit?: string;
  /** `Git_End_Commit` as recorded ('' in a repository without commits). */
  endCommit: string;
}

type EventArg = EventName | (string & {});

function customPropertiesOf(where: string, props: unknown): Record<string, PropertyValue> {
  return customProperties(where, props);
}

export class Cmf implements DataSliceHost {
  /** Things that did not stop logging but that you may want to know (never printed). */
  readonly warnings: string[] = [];
  private readonly types: TypeRegistry;
  private stageCtx?: MlmdContext;
  private exec?: MlmdExecution;
  private readonly metrics = new StepMetrics();
  private readonly host: LogHost;
  private readonly stager: GitStager;
  private env?: EnvironmentSnapshot;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  readonly store: MlmdStore;
  private readonly project: Project;
  readonly pipeline: MlmdContext;
  /** Whether Cmf.open was given `filepath` (see forLibrary). */
  private readonly filepathGiven: boolean;

  private constructor(
    store: MlmdStore,
    project: Project,
    pipeline: MlmdContext,
    filepathGiven: boolean,
  ) {
    this.store = store;
    this.project = project;
    this.pipeline = pipeline;
    this.filepathGiven = filepathGiven;
    this.types = new TypeRegistry(store);
    this.stager = new GitStager(project.git);
    const { paths, pids } = this.stager.adopted;
    if (paths.length > 0) {
      this.warnings.push(
        `${counted(paths.length, 'file')} that an earlier cmf run (${pids.length === 1 ? 'process' : 'processes'} ${pids.join(', ')}) wrote but did not stage before it stopped will be staged with this run's: ${firstFew(paths.map((p) => project.git.relativePath(p)))}.`,
      );
    }
    this.host = {
      store,
      types: this.types,
      project,
      scope: () => this.scope(),
      logGenerated: (abs, write, record) => this.logGenerated(abs, write, record),
      url: (oid, legacy) => this.url(oid, legacy),
      generatedPath: (kind, name) => this.generatedPath(kind, name),
      existing: (path, kind) => this.existing(path, kind),
    };
    if (project.gitRepoUrl === '') {
      this.warnings.push(
        "The git repository has no remote: Git_Repo and git_repo are recorded as ''. Add one with 'git remote add origin <url>'.",
      );
    }
  }

  /**
   * Opens (creating if needed) the MLMD file and get-or-creates the `Parent_Context` of the
   * pipeline. Needs a git work tree around the file and a DVC project with a default remote
   * (the `url` of every artifact names its place on that remote), as cmflib does; unlike
   * cmflib it never switches your git branch or changes the working directory.
   */
  static async open(opts: CmfOptions = {}): Promise<Cmf> {
    try {
      return await Cmf.openNow(opts);
    } catch (err) {
      throw forLibrary(err, (opts as CmfOptions | null)?.filepath !== undefined);
    }
  }

  private static async openNow(opts: CmfOptions): Promise<Cmf> {
    checkOpenOptions(opts);
    if (opts.graph) {
      throw new UsageError(
        'CMF_GRAPH_UNSUPPORTED',
        'graph: true (the Neo4j mirror) is not supported yet',
        {
          hint: 'Leave graph unset; the MLMD file holds everything the graph would.',
        },
      );
    }
    const cwd = resolve(opts.cwd ?? process.cwd());
    const pipelineName = opts.pipelineName ?? basename(cwd);
    checkText('pipelineName', pipelineName);
    const custom = customPropertiesOf('Cmf.open', opts.customProperties);
    const project = await openProject(opts.filepath ?? 'mlmd', cwd);
    let store: MlmdStore | undefined;
    try {
      store = MlmdStore.open(project.mlmdPath, { busyTimeoutMs: opts.busyTimeoutMs ?? 60_000 });
      const typeId = new TypeRegistry(store).context(PARENT_CONTEXT);
      const s = store;
      const pipeline = s.contexts.getOrCreate({
        typeId,
        name: pipelineName,
        properties: { Pipeline: pipelineName },
        customProperties: custom,
      }).value;
      return new Cmf(store, project, pipeline, opts.filepath !== undefined);
    } catch (err) {
      store?.close();
      project.state.close();
      throw err;
    }
  }

  get pipelineName(): string {
    return this.pipeline.name;
  }

  /** The current stage context, if one was created. */
  get stage(): MlmdContext | undefined {
    return this.stageCtx;
  }

  /** The current execution, if one was created. */
  get execution(): MlmdExecution | undefined {
    return this.exec;
  }

  /** CMF_CLOSED once close() has run (calls queued before it still run). */
  private checkOpen(): void {
    if (this.closed) {
      throw new UsageError('CMF_CLOSED', 'This Cmf instance is closed', {
        hint: 'Make every call before close(), or create a new Cmf for the same MLMD file to log more.',
      });
    }
  }

  /**
   * Runs calls one at a time, so concurrent calls on one instance see a consistent
   * stage/execution. Their errors are worded for the library (forLibrary).
   */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue
      .then(() => {
        this.checkOpen();
        return fn();
      })
      .catch((err: unknown) => {
        throw forLibrary(err, this.filepathGiven);
      });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Get-or-creates the `Pipeline_Stage` context `<pipeline>/<stage>` (custom properties only
   * on creation), links it to the pipeline, and makes it current. The next logging call
   * without `createExecution` first creates an execution named after the script.
   */
  createContext(stage: string, customProperties?: CustomProperties): Promise<MlmdContext> {
    return this.serial(async () => this.createContextNow(stage, customProperties));
  }

  private createContextNow(stage: string, custom?: CustomProperties): MlmdContext {
    checkText('stage', stage);
    const props = customPropertiesOf('createContext', custom);
    const name = `${this.pipeline.name}/${stage}`;
    const typeId = this.types.context(PIPELINE_STAGE);
    const ctx = this.store.transaction(() => {
      const c = this.store.contexts.getOrCreate({
        typeId,
        name,
        properties: { Pipeline_Stage: name },
        customProperties: props,
      }).value;
      this.store.links.addParentContext(c.id, this.pipeline.id);
      return c;
    });
    this.stageCtx = ctx;
    this.exec = undefined;
    return ctx;
  }

  /**
   * Creates the execution of the current stage with cmflib's ten properties, associates it
   * with the stage, and logs the runtime environment (an `Environment` input artifact, its
   * file named in the custom property `Python_Env`). Without a stage, one named after the
   * running script (basename of `process.argv[1]` without extension) is created first.
   * Custom property values keep their types (see `values.ts`).
   */
  createExecution(
    executionType: string,
    customProperties?: CustomProperties,
    opts: CreateExecutionOptions = {},
  ): Promise<MlmdExecution> {
    return this.serial(() => {
      checkCreateExecution(executionType, opts);
      return this.createExecutionNow(executionType, customProperties, opts);
    });
  }

  private async createExecutionNow(
    executionType: string,
    custom: CustomProperties | undefined,
    opts: CreateExecutionOptions,
  ): Promise<MlmdExecution> {
    checkText('executionType', executionType);
    const props = customPropertiesOf('createExecution', custom);
    const cmd = commandString(opts.cmd);
    const stage = this.stageCtx ?? this.createContextNow(scriptName());
    const p = this.project;

    // The runtime does not change within a process: snapshot once per instance.
    if (!this.env || !existsSync(this.env.path)) {
      this.env = await writeEnvironment(p.baseDir, basename(p.mlmdPath), {
        start: p.cwd,
        stop: p.git.dir,
      });
    }
    const env = this.env;
    const envAdd = await this.addFile(env.path);
    // The environment's .dvc file is staged only once the execution is recorded.
    return this.recordAdded([envAdd], async () => {
      const startCommit = (await p.git.headCommit()) ?? '';
      const reuse = opts.createNewExecution === false;
      const typeId = this.types.execution(reuse ? stage.name : executionType);
      const envType = this.types.artifact('Environment');
      const uuid = uuid1();
      const custom2: PropertyInputs = { ...props, [ENV_PROPERTY]: env.relativePath };

      const execution = this.store.transaction(() => {
        const existing = reuse ? this.store.executions.getByName(typeId, executionType) : undefined;
        let e: MlmdExecution;
        if (existing) {
          const old = existing.properties.Execution_uuid;
          const uuids = old?.type === 'string' && old.value !== '' ? `${old.value},${uuid}` : uuid;
          e = this.store.executions.update(existing.id, {
            properties: { Execution_uuid: uuids },
            customProperties: custom2,
          });
        } else {
          e = this.store.executions.create({
            typeId,
            name: reuse ? executionType : null,
            properties: {
              Execution_uuid: uuid,
              Context_Type: stage.name,
              Context_ID: stage.id,
              Execution: cmd,
              Execution_type_name: stage.name,
              Pipeline_Type: this.pipeline.name,
              Pipeline_id: this.pipeline.id,
              Git_Repo: p.gitRepoUrl,
              Git_Start_Commit: startCommit,
              Git_End_Commit: '',
            },
            customProperties: custom2,
          });
        }
        this.store.links.associate(stage.id, e.id);
        this.recordFile(
          { store: this.store, stageId: stage.id, executionId: e.id },
          envType,
          'Environment',
          env.path,
          envAdd,
          EventType.INPUT,
        );
        return e;
      });
      this.exec = execution;
      return execution;
    });
  }

  /** Merges custom properties into an execution (given keys replaced, others kept). */
  updateExecution(executionId: number, customProperties: CustomProperties): Promise<MlmdExecution> {
    return this.serial(async () => {
      checkExecutionId('updateExecution', executionId);
      const props = customPropertiesOf('updateExecution', customProperties);
      if (!this.store.executions.get(executionId, { properties: false })) {
        throw new NotFoundError('CMF_EXECUTION_NOT_FOUND', `No execution with id ${executionId}`, {
          hint: 'Pass the id of an execution of this MLMD file, e.g. (await cmf.createExecution(...)).id or cmf.execution?.id.',
          data: { executionId },
        });
      }
      const e = this.store.executions.update(executionId, { customProperties: props });
      if (this.exec?.id === executionId) this.exec = e;
      return e;
    });
  }

  /**
   * Versions a file or directory (cache, `<path>.dvc`, `.gitignore`; the `.dvc` file is
   * `git add`ed in a batch) and logs it as a `Dataset` input or output of the current
   * execution, named `<path>:<hash>`. Known content is linked, not duplicated. Logging before
   * `createExecution` first creates a stage and an execution named after the running script.
   */
  logDataset(
    path: string,
    event: EventArg,
    customProperties?: CustomProperties,
    opts: LogDatasetOptions = {},
  ): Promise<LogResult> {
    return this.serial(async () => {
      checkLogDataset(path, opts);
      const type = eventType(event);
      const props = customPropertiesOf('logDataset', customProperties);
      const labelProps = customPropertiesOf('logDataset labelProperties', opts.labelProperties);
      const abs = await this.existing(path);
      const label = opts.label === undefined ? undefined : await labelFile(this.host, opts.label);
      const added = await this.addFile(abs);
      return this.recordAdded([added], async () => {
        const scope = await this.scope();
        const typeId = this.types.artifact('Dataset');
        const labelType = label ? this.types.artifact('Label') : 0;
        return this.store.transaction(() => {
          const r = this.recordFile(scope, typeId, 'Dataset', abs, added, type, props);
          if (label) recordLabel(this.host, scope, labelType, label, r.artifact.uri, labelProps);
          return r;
        });
      });
    });
  }

  /**
   * {@link logDataset} for many files at once, with the same result as calling it for each
   * in order — but the files are hashed and cached concurrently and all metadata is written
   * in one MLMD transaction (one fsync instead of one per file). Every path is checked
   * before anything is written.
   */
  logDatasets(
    items: ReadonlyArray<string | { path: string; customProperties?: CustomProperties }>,
    event: EventArg,
  ): Promise<LogResult[]> {
    return this.serial(async () => {
      checkLogDatasets(items);
      const type = eventType(event);
      const list = items.map((it) => (typeof it === 'string' ? { path: it } : it));
      const props = list.map((it) => customPropertiesOf('logDatasets', it.customProperties));
      const found = list.map((it) => this.existingWithStat(it.path));
      const abs = found.map((f) => f.path);
      const added = await this.addFiles(found);
      return this.recordAdded(added, async () => {
        const scope = await this.scope();
        const typeId = this.types.artifact('Dataset');
        return this.store.transaction(() =>
          abs.map((a, i) =>
            this.recordFile(scope, typeId, 'Dataset', a, added[i]!, type, props[i]),
          ),
        );
      });
    });
  }

  /**
   * Versions a model file or directory and logs it as a `Model` (name
   * `<path>:<hash>:<execution id>`; framework, type and name default to "Default").
   */
  logModel(path: string, event: EventArg, opts: LogModelOptions = {}): Promise<LogResult> {
    return this.serial(async () => {
      checkLogModel(path, opts);
      const type = eventType(event);
      const props = customPropertiesOf('logModel', opts.customProperties);
      const model = {
        model_framework: opts.modelFramework ?? 'Default',
        model_type: opts.modelType ?? 'Default',
        model_name: opts.modelName ?? 'Default',
      };
      for (const [k, v] of Object.entries(model)) checkText(k, v);
      const abs = await this.existing(path);
      const added = await this.addFile(abs);
      const { oid, legacy } = added;
      return this.recordAdded([added], async () => {
        const scope = await this.scope();
        const typeId = this.types.artifact('Model');
        const rec = recordedPath(this.project, abs);
        return this.store.transaction(() =>
          recordArtifact(scope, {
            typeId,
            name: `${rec}:${oid}:${scope.executionId}`,
            linkKey: `${rec}:${oid}`,
            uri: oid,
            properties: { ...model, Commit: oid, url: this.url(oid, legacy) },
            custom: props,
            event: type,
            url: { entry: this.url(oid, legacy), targets: 'all' },
          }),
        );
      });
    });
  }

  /**
   * Logs a dataset whose version (hash) is known rather than computed, e.g. an object in a
   * bucket that is not in the work tree: a `Dataset` named `<url>:<version>` (the url as
   * given), uri and `Commit` = the version, `url` = `props.url` (the object's place, as
   * `<pipeline>:<object url>`; '' when not given). Nothing is hashed, cached or staged.
   * Known content (a Dataset with this uri) is linked and its custom properties and url
   * updated, as {@link logDataset} does.
   */
  logDatasetWithVersion(
    url: string,
    version: string,
    event: EventArg,
    props: DatasetVersionProperties = {},
    customProperties?: CustomProperties,
  ): Promise<LogResult> {
    return this.serial(async () => {
      checkLogDatasetWithVersion(url, version, props);
      const type = eventType(event);
      const custom = customPropertiesOf('logDatasetWithVersion', customProperties);
      return logDatasetVersion(this.host, { path: url, version, event: type, props, custom });
    });
  }

  /**
   * Logs a model whose version (hash) is known rather than computed: a `Model` named
   * `<path>:<version>:<execution id>` (the path as given), uri = the version; framework,
   * type and name default to "Default", `Commit` to the version, `url` to ''. Nothing is
   * hashed, cached or staged. Known content is linked (and gets the url), as in {@link logModel}.
   */
  logModelWithVersion(
    path: string,
    version: string,
    event: EventArg,
    props: ModelVersionProperties = {},
    customProperties?: CustomProperties,
  ): Promise<LogResult> {
    return this.serial(async () => {
      checkLogModelWithVersion(path, version, props);
      const type = eventType(event);
      const custom = customPropertiesOf('logModelWithVersion', customProperties);
      return logModelVersion(this.host, { path, version, event: type, props, custom });
    });
  }

  /**
   * Records a validation result of the execution: a `Validation_output` whose name and uri
   * are a fresh uuid1, property `version`, linked by an INTERNAL_OUTPUT event.
   */
  logValidationOutput(version: string, customProperties?: CustomProperties): Promise<LogResult> {
    return this.serial(async () => {
      checkText('version', version, 'logValidationOutput');
      const custom = customPropertiesOf('logValidationOutput', customProperties);
      return logValidationOutput(this.host, version, custom);
    });
  }

  /**
   * Versions a file describing the environment and logs it as an `Environment` input of the
   * current execution (`createExecution` already logs the runtime's own snapshot this way).
   */
  logPythonEnv(path: string): Promise<LogResult> {
    return this.serial(async () => {
      checkText('path', path, 'logPythonEnv');
      const abs = await this.existing(path);
      const added = await this.addFile(abs);
      return this.recordAdded([added], async () => {
        const scope = await this.scope();
        const typeId = this.types.artifact('Environment');
        return this.store.transaction(() =>
          this.recordFile(scope, typeId, 'Environment', abs, added, EventType.INPUT),
        );
      });
    });
  }

  /**
   * Sets custom properties of an artifact (given keys replaced, others kept; `labels`,
   * `labels_uri` and `dataset_uri` grow as comma-separated sets), as cmflib's
   * `update_existing_artifact`.
   */
  updateExistingArtifact(
    artifactId: number,
    customProperties: CustomProperties,
  ): Promise<MlmdArtifact> {
    return this.serial(async () => {
      checkArtifactId('updateExistingArtifact', artifactId);
      const props = customPropertiesOf('updateExistingArtifact', customProperties);
      return this.store.transaction(() => {
        const artifact = this.store.artifacts.get(artifactId);
        if (!artifact) {
          throw new NotFoundError('CMF_ARTIFACT_NOT_FOUND', `No artifact with id ${artifactId}`, {
            hint: 'Pass the id of an artifact of this MLMD file, e.g. (await cmf.logDataset(...)).artifact.id.',
            data: { artifactId },
          });
        }
        const merged = mergedCustomProperties(artifact.customProperties, props);
        return this.store.artifacts.update(artifactId, { customProperties: merged });
      });
    });
  }

  /**
   * Commits a file the pipeline tool wrote, such as `dvc.lock`: `git add`s it (with the
   * pending `.dvc` files) and commits what is staged with cmflib's message
   * `commiting <file>-<execution id>` — no commit when nothing changed. Returns what cmflib
   * returns: the first line of `git log <file>`, `commit <id>` of the last commit that
   * changed it. Needs an execution; MLMD is not changed.
   */
  logDvcLock(file: string): Promise<string> {
    return this.serial(async () => {
      checkText('file', file, 'logDvcLock');
      const exec = this.requireExecution('logDvcLock');
      const abs = await this.existing(file, 'file');
      const git = this.project.git;
      const rel = git.relativePath(abs);
      if (git.ignored([rel])?.has(rel) && git.tracks(rel) !== true) {
        throw new UsageError('CMF_FILE_GIT_IGNORED', `Cannot commit ${file}: git ignores it`, {
          hint: `Change the .gitignore rule that matches it (git check-ignore -v ${rel} shows it), or commit a file git versions.`,
          data: { path: abs },
        });
      }
      this.stager.add([abs]);
      await this.commitStaged(`commiting ${file}-${exec.id}`, { askGit: true });
      const last = await git.lastCommitOf(abs);
      if (!last) {
        throw new OperationError('CMF_NOT_COMMITTED', `${file} is in no commit`, {
          hint: `Check 'git status ${rel}': git did not stage it.`,
          data: { path: abs },
        });
      }
      return `commit ${last}`;
    });
  }

  /**
   * Logs coarse metrics of the execution as a `Metrics` output named
   * `<name>:<uuid1>:<execution id>` (uri: that uuid), the values as custom properties.
   */
  logExecutionMetrics(name: string, values: CustomProperties): Promise<LogResult> {
    return this.serial(() => logExecutionMetrics(this.host, name, values));
  }

  /**
   * Adds one row of step metrics (in memory; `SequenceNumber` counts the calls from 1).
   * Nothing is written until {@link commitMetrics}.
   */
  logMetric(name: string, values: CustomProperties): void {
    this.checkOpen();
    this.metrics.log(name, values);
  }

  /**
   * Writes the rows logged with {@link logMetric} as parquet at
   * `cmf_artifacts/<execution uuid>/metrics/<name>`, versions it and logs it as a
   * `Step_Metrics` output named `<path>:<hash>:<execution id>:<uuid1>`. Clears the rows.
   */
  commitMetrics(name: string): Promise<LogResult> {
    return this.serial(() => this.metrics.commit(this.host, name));
  }

  /** A new dataslice: add files with `addData`, then `commit`. */
  createDataslice(name: string): DataSlice {
    this.checkOpen();
    return new DataSlice(this, checkFileName('dataslice', name));
  }

  /**
   * Sets custom columns of one file (`record`, as given to `addData`) in a committed
   * dataslice's parquet. As in cmflib only the parquet changes, not MLMD.
   */
  updateDataslice(name: string, record: string, customProperties: CustomProperties): Promise<void> {
    return this.serial(async () => {
      checkFileName('dataslice', name);
      checkTexts('updateDataslice', { record });
      const props = customPropertiesOf('updateDataslice', customProperties);
      const abs = this.generatedPath('dataslice', name);
      const rows = await readTable(abs).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') {
          throw new NotFoundError(
            'CMF_DATASLICE_NOT_FOUND',
            `Dataslice ${name} has not been committed in this execution`,
            {
              hint: 'Commit it first (createDataslice(name), addData, commit) in the current execution: updateDataslice changes a dataslice of the execution logging now.',
              data: { path: abs },
            },
          );
        }
        throw err;
      });
      const key = recordedPath(this.project, resolve(this.project.cwd, record));
      const target = rows.find((r) => r.Path === key || r.Path === record);
      if (!target) {
        throw new NotFoundError(
          'CMF_DATASLICE_RECORD_NOT_FOUND',
          `${record} is not in dataslice ${name}`,
          {
            hint: 'Give the path as it was given to addData (or as recorded, relative to the MLMD file), of a file added before commit.',
            data: { record },
          },
        );
      }
      const typed = rows.map((r) => {
        const row: Row = {};
        for (const [k, v] of Object.entries(r)) {
          if (k === 'Path' || v === null || v === undefined) continue;
          setOwn(row, k, customValue('updateDataslice', k, v));
        }
        return r === target ? { ...row, ...props } : row;
      });
      await writeTable(abs, {
        index: { name: 'Path', values: rows.map((r) => String(r.Path)) },
        rows: typed,
      });
    });
  }

  /**
   * Logs a label file for a dataset that was logged already: a `Label` input named
   * `<label path>:<md5>` (not DVC-tracked, as in cmflib; its `url` is that name, with no
   * pipeline prefix) with custom `dataset_uri`, and adds `labels` / `labels_uri` to the dataset.
   */
  logLabel(
    labelPath: string,
    datasetPath: string,
    customProperties?: CustomProperties,
  ): Promise<LogResult> {
    return this.serial(async () => {
      checkTexts('logLabel', { labelPath, datasetPath });
      const props = customPropertiesOf('logLabel', customProperties);
      return logLabel(this.host, labelPath, datasetPath, props);
    });
  }

  /**
   * Stages the pending `.dvc` files, commits what is staged (never switching branches) and
   * records the new HEAD as the execution's `Git_End_Commit`.
   */
  finalize(): Promise<FinalizeResult> {
    return this.serial(async () => {
      const exec = this.requireExecution('finalize()');
      const commit = await this.commitStaged(`cmf: execution ${exec.id} (${exec.typeName})`);
      const endCommit = commit ?? (await this.project.git.headCommit()) ?? '';
      this.exec = this.store.executions.update(exec.id, {
        properties: { Git_End_Commit: endCommit },
      });
      return commit ? { commit, endCommit } : { endCommit };
    });
  }

  /** Stages pending `.dvc` files and closes the MLMD file. Idempotent. */
  close(): Promise<void> {
    const run = this.queue
      .then(async () => {
        if (this.closed) return;
        try {
          await this.stager.flush();
        } finally {
          this.closed = true;
          this.store.close();
          this.project.state.close();
        }
      })
      .catch((err: unknown) => {
        throw forLibrary(err, this.filepathGiven);
      });
    this.queue = run.catch(() => undefined);
    return run;
  }

  // ---- internals shared with DataSlice ----

  /** @internal */
  async _hashForSlice(path: string): Promise<{ recorded: string; md5: string }> {
    this.checkOpen();
    const abs = await this.existing(path, 'file');
    const [h] = await hashItems([{ path: abs }], { state: this.project.state, jobs: 1 });
    return { recorded: recordedPath(this.project, abs), md5: h!.md5 };
  }

  /** @internal */
  _commitDataslice(
    name: string,
    files: Map<string, Row>,
    props: Record<string, PropertyValue>,
  ): Promise<LogResult> {
    return this.serial(async () => {
      if (files.size === 0) {
        throw new UsageError('CMF_EMPTY_DATASLICE', `Dataslice ${name} has no files`, {
          hint: 'Add files with addData before commit.',
        });
      }
      const scope = await this.scope();
      const abs = this.generatedPath('dataslice', name);
      const write = () =>
        writeTable(abs, {
          index: { name: 'Path', values: [...files.keys()] },
          rows: [...files.values()],
        });
      return this.logGenerated(abs, write, ({ oid, legacy }) =>
        this.store.transaction(() =>
          recordArtifact(scope, {
            typeId: this.types.artifact('Dataslice'),
            name: `${recordedPath(this.project, abs)}:${oid}`,
            uri: oid,
            properties: {
              git_repo: this.project.gitRepoUrl,
              Commit: oid,
              url: this.url(oid, legacy),
            },
            custom: props,
            event: EventType.OUTPUT,
            linkEvent: EventType.INPUT,
            dedupe: false,
          }),
        ),
      );
    });
  }

  // ---- private helpers ----

  private requireExecution(what: string): MlmdExecution {
    if (this.exec) return this.exec;
    throw new UsageError('CMF_NO_EXECUTION', `${what} needs an execution`, {
      hint: 'Call createExecution (or log something) first.',
    });
  }

  /**
   * Stages the pending `.dvc` files and commits what is staged; undefined when nothing is.
   * By default, having staged something since the last commit counts as a change (one walk
   * of the work tree less); `askGit` asks git whether the index differs from HEAD, so that
   * nothing changed means no commit (cmflib's `git commit` then fails and makes none).
   */
  private async commitStaged(
    message: string,
    opts: { askGit?: boolean } = {},
  ): Promise<string | undefined> {
    await this.stager.flush();
    const git = this.project.git;
    const staged =
      (!opts.askGit && this.stager.stagedSinceCommit) || (await git.hasStagedChanges());
    if (!staged) return undefined;
    const commit = await git.commit(message, { restage: this.stager.staged });
    this.stager.committed();
    return commit;
  }

  /** The `url` of an object; a legacy (DVC 2.x) one is in the remote's legacy layout. */
  private url(oid: string, legacy = false): string {
    return pipelineUrl(this.pipeline.name, this.project.remoteUrl, oid, { legacy });
  }

  /** The absolute path of an existing file or directory, else NotFoundError (before any write). */
  private async existing(path: string, kind?: 'file'): Promise<string> {
    return this.existingWithStat(path, kind).path;
  }

  /**
   * {@link existing} with the stat it took, which `addMany` reuses. Synchronous: one stat of
   * a local file costs less than a round trip through the thread pool.
   */
  private existingWithStat(path: string, kind?: 'file'): { path: string; stat: BigIntStats } {
    checkText('path', path);
    const abs = resolve(this.project.cwd, path);
    // A pipe or socket, a broken link or a loop of links: typed errors, before any write.
    const st = statFollowing(abs);
    if (st && !st.isFile() && !st.isDirectory()) throw unsupportedFile(abs);
    if (!st || (kind === 'file' && !st.isFile())) {
      throw new NotFoundError(
        'CMF_PATH_NOT_FOUND',
        `${path}: no such ${kind ?? 'file or directory'}`,
        {
          hint: 'Check the path; relative paths are resolved against the working directory.',
          data: { path: abs },
        },
      );
    }
    const { git, dvcRoot } = this.project;
    const root = [git.dir, dvcRoot].find((r) => relative(r, abs) === '');
    if (root !== undefined) {
      throw new UsageError('CMF_PATH_IS_ROOT', `${path} is the repository root ${root} itself`, {
        hint: 'The root of the git repository or DVC project cannot be logged: log the files or directories inside it.',
        data: { path: abs },
      });
    }
    git.relativePath(abs); // inside the repository, or a typed error
    return { path: abs, stat: st };
  }

  /** `dvc add` of one path; see {@link addFiles}. */
  private async addFile(abs: string): Promise<AddedFile> {
    const [added] = await this.addFiles([abs]);
    return added!;
  }

  /**
   * `dvc add` of many paths (hashed in one pass, cached concurrently, each `.gitignore`
   * rewritten once), after the checks DVC makes: symlinked directories and overlapping
   * outputs (in `addMany`), then against git (tracked by git, `.dvc` file git-ignored).
   * Nothing is written when one fails. The `.dvc` files are queued for `git add` by
   * {@link recordAdded}, once the artifacts are in MLMD.
   */
  private async addFiles(items: ReadonlyArray<string | AddManyItem>): Promise<AddedFile[]> {
    const p = this.project;
    const results = await addMany(items, {
      repoRoot: p.dvcRoot,
      cache: p.cache,
      state: p.state,
      check: (paths) => checkGitRefusals(this.project.git, paths),
    });
    // add() always records the hash it computed (or the legacy id it kept).
    return results.map((r) => ({
      oid: r.out.md5 as string,
      legacy: r.out.hashName === 'md5-dos2unix',
      result: r,
    }));
  }

  /**
   * Runs `write`, the MLMD side of files just added. When it succeeds, their `.dvc` files
   * are queued for `git add`; when it fails (invalid value, MLMD busy or read-only, …), the
   * `.dvc` files and `.gitignore` lines are put back as they were, so that nothing is left
   * to stage or commit for an artifact MLMD does not hold. Cache objects stay (they are
   * content-addressed).
   */
  private async recordAdded<T>(
    added: readonly AddedFile[],
    write: () => T | Promise<T>,
  ): Promise<T> {
    let result: T;
    try {
      result = await write();
    } catch (err) {
      try {
        await undoAdd(added.map((a) => a.result));
      } catch (undoErr) {
        this.warnings.push(
          `Could not put back the .dvc files and .gitignore lines of a failed logging call: ${(undoErr as Error).message}. Check 'git status' before committing.`,
        );
      }
      throw err;
    }
    this.stager.add(added.map((a) => a.result.dvcFilePath));
    return result;
  }

  /** See {@link LogHost.logGenerated}. */
  private async logGenerated<T>(
    abs: string,
    write: () => Promise<void>,
    record: (added: AddedFile) => T | Promise<T>,
  ): Promise<T> {
    const existed = existsSync(abs);
    try {
      await write();
      const added = await this.addFile(abs);
      return await this.recordAdded([added], () => record(added));
    } catch (err) {
      // Else it stays in the work tree, neither in MLMD nor git-ignored: `git add -A` takes it.
      if (!existed) rmSync(abs, { force: true });
      throw err;
    }
  }

  /** `<mlmd dir>/cmf_artifacts/<first Execution_uuid>/<kind>/<name>`. */
  private generatedPath(kind: 'metrics' | 'dataslice', name: string): string {
    const uuids = this.exec?.properties.Execution_uuid;
    const first = uuids?.type === 'string' ? uuids.value.split(',')[0]! : 'unknown';
    return join(this.project.baseDir, CMF_ARTIFACTS_DIR, first, kind, name);
  }

  /** The current stage and execution, creating both (named after the script) when missing. */
  private async scope(): Promise<Scope> {
    if (!this.exec) await this.createExecutionNow(scriptName(), undefined, {});
    return { store: this.store, stageId: this.stageCtx!.id, executionId: this.exec!.id };
  }

  /** The MLMD side of a file-backed Dataset / Environment. */
  private recordFile(
    scope: Scope,
    typeId: number,
    type: ArtifactTypeName,
    abs: string,
    { oid, legacy }: AddedObject,
    event: EventType,
    custom: Record<string, PropertyValue> = {},
  ): LogResult {
    const name = `${recordedPath(this.project, abs)}:${oid}`;
    const spec: ArtifactSpec = {
      typeId,
      name,
      uri: oid,
      properties: { git_repo: this.project.gitRepoUrl, Commit: oid, url: this.url(oid, legacy) },
      custom,
      event,
      updateCustom: type === 'Dataset',
      url: { entry: this.url(oid, legacy), targets: 'first' },
    };
    return recordArtifact(scope, spec);
  }
}

export { DataSlice };
export type { LogResult, MlmdArtifact };
