/**
 * Where a Cmf instance works: the MLMD file, the git work tree, the DVC project (cache,
 * default remote), the hash state. Resolved once when the instance opens, so logging calls
 * do not re-read configuration.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { loadDvcConfig } from '../config/index.js';
import { ConfigError } from '../errors/index.js';
import { GitRepo } from '../git/index.js';
import { HashState, LocalCache } from '../hashing/index.js';

export interface Project {
  /** Absolute path of the MLMD file. */
  mlmdPath: string;
  /** Its directory: artifact names are paths relative to it, as in cmflib (which chdirs there). */
  baseDir: string;
  /** Directory user paths are resolved against. */
  cwd: string;
  git: GitRepo;
  /** The directory holding `.dvc`. */
  dvcRoot: string;
  /** The default remote's url (local paths absolute), used for the `url` property. */
  remoteUrl: string;
  cache: LocalCache;
  state: HashState;
  /** `Git_Repo` / `git_repo`: URL of the first git remote, '' when there is none. */
  gitRepoUrl: string;
}

/** The nearest directory from `start` up to `stop` that holds `.dvc`. */
function findDvcRoot(start: string, stop: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.dvc')) && statSync(join(dir, '.dvc')).isDirectory()) return dir;
    if (dir === stop || dirname(dir) === dir) return undefined;
  }
}

const INIT_HINT =
  "Run 'cmf init local --path <dir> --git-remote-url <url>' (or 'dvc init' and 'dvc remote add -d <name> <url>') in the project.";

export async function openProject(filepath: string, cwd: string): Promise<Project> {
  const mlmdPath = resolve(cwd, filepath);
  const baseDir = dirname(mlmdPath);
  const git = await GitRepo.find(baseDir);
  // A repository only the git program can stage in, and none installed: say so before logging.
  await git.checkStaging();
  const dvcRoot = findDvcRoot(baseDir, git.dir);
  if (!dvcRoot) {
    throw new ConfigError('CMF_NO_DVC', `No DVC project (.dvc folder) found above ${baseDir}`, {
      hint: INIT_HINT,
    });
  }
  const config = await loadDvcConfig(dvcRoot);
  const remote = config.defaultRemote ? config.remotes[config.defaultRemote] : undefined;
  if (!remote || remote.url === '') {
    throw new ConfigError(
      'CMF_NO_DEFAULT_REMOTE',
      config.defaultRemote
        ? `The default DVC remote '${config.defaultRemote}' has no url`
        : 'No default DVC remote is configured (core.remote in .dvc/config)',
      {
        hint: `cmf records where each artifact will live on the remote. ${INIT_HINT}`,
        data: { dvcRoot },
      },
    );
  }
  return {
    mlmdPath,
    baseDir,
    cwd,
    git,
    dvcRoot,
    remoteUrl: remote.url,
    cache: new LocalCache(config.cacheDir, { shared: config.cacheShared }),
    state: HashState.open(dvcRoot),
    gitRepoUrl: await git.remoteUrl(),
  };
}

/** A path as cmflib records it in artifact names: relative to the MLMD file's directory, `/`-separated. */
export function recordedPath(project: Project, abs: string): string {
  return pathFromMlmdDir(project.baseDir, abs);
}

/** `abs` relative to `mlmdDir`, `/`-separated (absolute when there is no relative form). */
export function pathFromMlmdDir(mlmdDir: string, abs: string): string {
  const rel = relative(mlmdDir, abs);
  return (rel === '' || isAbsolute(rel) ? abs : rel).split(sep).join('/');
}
