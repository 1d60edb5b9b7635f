/**
 * `cmf dvc ingest`: records a DVC project's last runs (every dvc.lock, with its dvc.yaml for
 * wdir and `cache: false`) as cmf metadata, without re-hashing anything. Everything is read
 * and checked first; then one MLMD transaction writes it all, or nothing.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { pathFromMlmdDir } from '../cmf/project.js';
import { listPipelines } from '../cmf/query.js';
import { findProjectRoot, loadDvcConfig, resolveMlmdPath } from '../config/index.js';
import { ConfigError, UsageError } from '../errors/index.js';
import { readRegularFile } from '../fs/regular-file.js';
import { GitRepo } from '../git/index.js';
import { firstFew } from '../util/counted.js';
import { MlmdStore } from '../mlmd/index.js';
import { parseLockFile, type LockFile } from './lock-file.js';
import { findPipelineDirs, type PipelineDir } from './pipeline-dirs.js';
import { parsePipelineFile } from './pipeline-file.js';
import {
  ancestors,
  planProject,
  unitOuts,
  type ExternalEntry,
  type IngestPlan,
  type PipelineUnit,
  type PlannedFile,
} from './plan.js';
import { recordPlan, type StageRecord } from './record.js';
import { varsFilesIn } from './vars-files.js';
import { readLockText } from './yaml-input.js';

export const LOCK_FILE = 'dvc.lock';
export const PIPELINE_FILE = 'dvc.yaml';

export interface IngestOptions {
  /** Where to look for the project (default: the current directory). */
  cwd?: string;
  /** The MLMD file (`-f`), relative to `cwd`; default ./mlmd, else the project's. Created when missing. */
  mlmdFile?: string;
  /** Pipeline name (`-p`); default: the file's only pipeline, else the project directory's name. */
  pipeline?: string;
  /** How long to wait for another writer of the MLMD file (default 60 s). */
  busyTimeoutMs?: number;
}

export interface IngestResult {
  pipeline: string;
  mlmdPath: string;
  projectRoot: string;
  /** '2.0', or '1' for a DVC 1 lock file. */
  lockSchema: string;
  /** The dvc.lock files read, project-relative ('dvc.lock', 'sub/dvc.lock'), the root's first. */
  lockFiles: string[];
  /** False when the file already held everything (a second ingest of the same lock files). */
  changed: boolean;
  pipelineCreated: boolean;
  stages: { total: number; created: number };
  executions: { created: number; reused: number; unchanged: number };
  artifacts: { created: number; linked: number; unchanged: number };
  /** Recorded files DVC does not version (never pushed), project-relative. */
  notVersioned: string[];
  /** Deps and outs outside the project (URLs, absolute paths, other repos): not recorded. */
  external: ExternalEntry[];
  stageResults: StageRecord[];
  warnings: string[];
}

/** The nearest directory holding `.cmfconfig`, else `.dvc`, else `cwd` itself. */
function projectRootOf(cwd: string): string {
  const cmfRoot = findProjectRoot(cwd);
  if (cmfRoot !== undefined) return cmfRoot;
  for (let dir = cwd; ; dir = dirname(dir)) {
    const dvc = join(dir, '.dvc');
    if (existsSync(dvc) && statSync(dvc).isDirectory()) return dir;
    if (dirname(dir) === dir) return cwd;
  }
}

async function defaultRemoteUrl(root: string): Promise<string> {
  const config = await loadDvcConfig(root);
  const name = config.defaultRemote;
  const url = name ? config.remotes[name]?.url : undefined;
  if (!url) {
    throw new ConfigError(
      'NO_DEFAULT_REMOTE',
      name
        ? `The default DVC remote '${name}' is not defined or has no url`
        : 'No default DVC remote is configured (core.remote in .dvc/config)',
      {
        hint: "Each artifact's url names its place on the default remote. Run 'cmf init local|minioS3|amazonS3|sshremote|osdfremote' (or 'dvc remote add -d <name> <url>').",
        data: { projectRoot: root },
      },
    );
  }
  return url;
}

/**
 * The pipeline directories below the root whose dvc.yaml (or lone dvc.lock) git ignores
 * are left out, as DVC's index leaves them out.
 */
function notGitIgnored(root: string, dirs: PipelineDir[], git: GitRepo | undefined): PipelineDir[] {
  if (!git) return dirs;
  const fileOf = (d: PipelineDir) =>
    relative(git.dir, join(root, d.dir, d.hasYaml ? PIPELINE_FILE : LOCK_FILE))
      .split(sep)
      .join('/');
  const ignored = git.ignored(dirs.filter((d) => d.dir !== '').map(fileOf));
  return ignored ? dirs.filter((d) => d.dir === '' || !ignored.has(fileOf(d))) : dirs;
}

/**
 * True when `dir` (project-relative) is, or is inside, an output: one of `outs`, or a path
 * a `.dvc` file beside it tracks (`data.dvc` for `data/`, as `dvc add` writes it).
 */
function insideOutput(root: string, dir: string, outs: Set<string>): boolean {
  return ancestors(dir).some((p) => outs.has(p) || existsSync(join(root, `${p}.dvc`)));
}

/**
 * Every dvc.lock of the project with its dvc.yaml (see pipeline-dirs.ts), the root's first,
 * and the lock files read.
 */
async function readPlan(
  root: string,
  git: GitRepo | undefined,
): Promise<{ plan: IngestPlan; lockFiles: string[] }> {
  const dirs = notGitIgnored(root, findPipelineDirs(root, PIPELINE_FILE, LOCK_FILE), git);
  // None anywhere: the root's is the one missing (INGEST_NO_DVC_LOCK).
  if (!dirs.some((d) => d.hasLock)) await readLockText(join(root, LOCK_FILE));
  const units: PipelineUnit[] = [];
  const lockFiles: string[] = [];
  // Outs of the pipelines read so far (the walk goes top-down): DVC does not look inside.
  const outs = new Set<string>();
  for (const d of dirs) {
    if (d.dir !== '' && insideOutput(root, d.dir, outs)) continue;
    const named = (file: string) => (d.dir === '' ? file : `${d.dir}/${file}`);
    const abs = join(root, d.dir);
    if (d.hasLock) lockFiles.push(named(LOCK_FILE));
    const lock: LockFile = d.hasLock
      ? parseLockFile(await readLockText(join(abs, LOCK_FILE)), named(LOCK_FILE))
      : { schema: '2.0', stages: [] };
    const pipeline = d.hasYaml
      ? parsePipelineFile(
          await readRegularFile(join(abs, PIPELINE_FILE), 'utf8'),
          named(PIPELINE_FILE),
          varsFilesIn(abs),
        )
      : undefined;
    const unit: PipelineUnit = {
      dir: d.dir,
      lock,
      ...(pipeline ? { pipeline } : {}),
      lockFile: named(LOCK_FILE),
      yamlFile: named(PIPELINE_FILE),
    };
    units.push(unit);
    for (const o of unitOuts(unit)) outs.add(o);
  }
  return { plan: planProject(root, units), lockFiles };
}

function choosePipeline(store: MlmdStore, flag: string | undefined, root: string): string {
  if (flag !== undefined) return flag;
  const names = listPipelines(store).map((p) => p.name);
  if (names.length === 1) return names[0]!;
  if (names.length > 1) {
    throw new UsageError(
      'PIPELINE_AMBIGUOUS',
      `${store.path} holds ${names.length} pipelines; which one is this?`,
      {
        hint: `Name it with -p (one of: ${firstFew(names)}).`,
        data: { pipelines: names },
      },
    );
  }
  return basename(root);
}

/**
 * The plan with its paths (relative to the project root) made relative to the MLMD file's
 * directory, as the library records them and as artifact push/pull resolve them: the same
 * plan when the MLMD file is in the project root (the default).
 */
function rebasePlan(plan: IngestPlan, root: string, mlmdDir: string): IngestPlan {
  if (resolve(mlmdDir) === resolve(root)) return plan;
  const rebase = (f: PlannedFile): PlannedFile => ({
    ...f,
    path: pathFromMlmdDir(mlmdDir, join(root, f.path)),
  });
  return {
    ...plan,
    stages: plan.stages.map((s) => ({ ...s, deps: s.deps.map(rebase), outs: s.outs.map(rebase) })),
  };
}

export async function ingestDvcPipeline(opts: IngestOptions = {}): Promise<IngestResult> {
  const cwd = resolve(opts.cwd ?? process.cwd());
  if (
    opts.pipeline !== undefined &&
    (opts.pipeline.trim() === '' || opts.pipeline.includes('\0'))
  ) {
    throw new UsageError('MISSING_ARGUMENT', 'The pipeline name is empty', {
      hint: 'Give -p a name, or leave it out to use the default.',
    });
  }
  const root = projectRootOf(cwd);
  const git = await GitRepo.tryFind(root);
  const { plan, lockFiles } = await readPlan(root, git);
  const remoteUrl = await defaultRemoteUrl(root);
  const warnings = [...plan.warnings];
  const gitRepo = git ? await git.remoteUrl() : '';
  const gitCommit = git ? ((await git.headCommit()) ?? '') : '';
  if (!git)
    warnings.push('Not a git repository: Git_Repo, git_repo and the commits are recorded as empty');
  else if (gitRepo === '')
    warnings.push("The git repository has no remote: Git_Repo and git_repo are recorded as ''");

  const mlmdPath = resolveMlmdPath(opts.mlmdFile, cwd);
  const store = MlmdStore.open(mlmdPath, { busyTimeoutMs: opts.busyTimeoutMs ?? 60_000 });
  try {
    const pipeline = choosePipeline(store, opts.pipeline, root);
    const recorded = rebasePlan(plan, root, dirname(mlmdPath));
    const counts = recordPlan(store, recorded, { pipeline, remoteUrl, gitRepo, gitCommit });
    const files = plan.stages.flatMap((s) => [...s.deps, ...s.outs]);
    const notVersioned = [...new Set(files.filter((f) => !f.versioned).map((f) => f.path))];
    const { artifacts, executions } = counts;
    return {
      pipeline,
      mlmdPath,
      projectRoot: root,
      lockSchema: plan.schema,
      lockFiles,
      changed:
        counts.pipelineCreated ||
        counts.stagesCreated > 0 ||
        executions.created + executions.reused + artifacts.created + artifacts.linked > 0,
      pipelineCreated: counts.pipelineCreated,
      stages: { total: plan.stages.length, created: counts.stagesCreated },
      executions,
      artifacts,
      notVersioned,
      external: plan.external,
      stageResults: counts.stages,
      warnings,
    };
  } finally {
    store.close();
  }
}
