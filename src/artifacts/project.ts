import { dirname, join, resolve } from 'node:path';
// Not config/index.js: it brings cmf init's modules (ssh config lookup, child_process) into
// every push and pull.
import { readCmfConfig } from '../config/cmfconfig.js';
import { loadDvcConfig, type DvcConfig } from '../config/dvc-config.js';
import { cmfConfigFileName, requireProjectRoot } from '../config/project.js';
import { ConfigError } from '../errors/index.js';
import { LocalCache } from '../hashing/cache.js';
import { MlmdStore } from '../mlmd/index.js';
import { openRemote, type OsdfCmfSettings, type RemoteDriver } from '../remotes/index.js';
import { uploadRecordsDir } from '../remotes/upload-records.js';
import { collectArtifactSets, type FilelessArtifact, type PipelineArtifact } from './collect.js';

/** What artifact push and pull share: the project, its DVC config, cache and artifacts. */
export interface ArtifactContext {
  projectRoot: string;
  /** The MLMD file's directory: recorded relative artifact paths are relative to it. */
  baseDir: string;
  dvc: DvcConfig;
  cache: LocalCache;
  artifacts: PipelineArtifact[];
  /** The pipeline's artifacts with no object to move (Metrics, Labels, not versioned). */
  fileless: FilelessArtifact[];
}

export interface ArtifactTransferOptions {
  /** Where to look for the project (default: the current directory). */
  cwd?: string;
  /** The project root; found from `cwd` when not given. */
  projectRoot?: string;
  /** The MLMD file (absolute, or relative to `cwd`). */
  mlmdPath: string;
  pipeline: string;
  /** Parallel transfers (default: the remote's own default). */
  jobs?: number;
  /** Accept and record an SSH host key seen for the first time. */
  acceptNewHostKey?: boolean;
  /** Only the artifacts of the execution with this uuid (`cmf repo push -e`). */
  executionUuid?: string;
}

/**
 * Checks the configuration first (not initialised or no default remote: ConfigError, exit
 * 4), then reads the pipeline's artifacts (missing file or pipeline: NotFoundError, exit 3).
 */
export async function loadArtifactContext(opts: ArtifactTransferOptions): Promise<ArtifactContext> {
  const cwd = opts.cwd ?? process.cwd();
  const projectRoot = opts.projectRoot ?? requireProjectRoot(cwd);
  const dvc = await loadDvcConfig(projectRoot);
  defaultRemote(dvc);
  const mlmdPath = resolve(cwd, opts.mlmdPath);
  const store = MlmdStore.open(mlmdPath, {
    create: false,
    readonly: true,
  });
  try {
    const { files: artifacts, fileless } = collectArtifactSets(
      store,
      opts.pipeline,
      opts.executionUuid,
    );
    return {
      projectRoot,
      baseDir: dirname(mlmdPath),
      dvc,
      cache: new LocalCache(dvc.cacheDir, { shared: dvc.cacheShared }),
      artifacts,
      fileless,
    };
  } finally {
    store.close();
  }
}

/**
 * The configuration checks of {@link loadArtifactContext} alone (a project with a default
 * remote), for `cmf repo pull`, which checks them before it pulls the metadata.
 */
export async function checkArtifactConfig(cwd: string): Promise<void> {
  defaultRemote(await loadDvcConfig(requireProjectRoot(cwd)));
}

function defaultRemote(dvc: DvcConfig): NonNullable<DvcConfig['remotes'][string]> {
  const name = dvc.defaultRemote;
  if (!name) {
    throw new ConfigError('NO_DEFAULT_REMOTE', 'No default artifact remote is configured', {
      hint: "Run 'cmf init local|minioS3|amazonS3|sshremote|osdfremote' to set one (core.remote in .dvc/config).",
    });
  }
  const remote = dvc.remotes[name];
  if (!remote) {
    throw new ConfigError(
      'NO_DEFAULT_REMOTE',
      `The default remote '${name}' is not defined in .dvc/config`,
      { hint: `Add a [remote "${name}"] section, or run 'cmf init' again.` },
    );
  }
  return remote;
}

/** cmf's `[osdf]` section of `.cmfconfig`, for the OSDF driver's token and cache. */
async function osdfSettings(projectRoot: string): Promise<OsdfCmfSettings | undefined> {
  const doc = await readCmfConfig(join(projectRoot, cmfConfigFileName()));
  const s = doc?.get('osdf');
  if (!s) return undefined;
  return {
    cache: s.get('cache') || undefined,
    keyId: s.get('key_id') || undefined,
    keyPath: s.get('key_path') || undefined,
    keyIssuer: s.get('key_issuer') || undefined,
    accessToken: s.get('access_token') || undefined,
  };
}

/** Opens the project's default remote. */
export async function openDefaultRemote(
  ctx: ArtifactContext,
  opts: Pick<ArtifactTransferOptions, 'jobs' | 'acceptNewHostKey'>,
): Promise<RemoteDriver> {
  const remote = defaultRemote(ctx.dvc);
  return openRemote(remote, {
    cwd: ctx.projectRoot,
    jobs: opts.jobs,
    acceptNewHostKey: opts.acceptNewHostKey,
    osdf: await osdfSettings(ctx.projectRoot),
    uploadRecords: uploadRecordsDir(ctx.projectRoot),
  });
}
