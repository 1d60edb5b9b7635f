/**
 * What the logging helpers outside the Cmf class (metrics, labels) need from their
 * instance: the store, the type ids, the project, and a few shared steps.
 */
import type { AddResult } from '../hashing/index.js';
import type { MlmdStore } from '../mlmd/index.js';
import type { Scope } from './artifact-logging.js';
import type { Project } from './project.js';
import type { TypeRegistry } from './types.js';

/** What `dvc add` gave for a logged path: its object id, and whether that is a legacy one. */
export interface AddedObject {
  oid: string;
  /**
   * A DVC 2.x output kept legacy (unchanged content, md5-dos2unix id): its object is in the
   * legacy layouts of cache and remote, and its url names the remote's legacy layout.
   */
  legacy: boolean;
}

/** A file versioned by `dvc add`, its `.dvc` file not yet queued for `git add`. */
export interface AddedFile extends AddedObject {
  result: AddResult;
}

export interface LogHost {
  readonly store: MlmdStore;
  readonly types: TypeRegistry;
  readonly project: Project;
  /** The current stage and execution, creating both (named after the script) when missing. */
  scope(): Promise<Scope>;
  /**
   * Logs a file cmf makes itself (step metrics, a dataslice): `write` writes it at `abs`, then
   * it is added (`dvc add`) and `record` writes its MLMD side. When a step fails, the `.dvc`
   * file and `.gitignore` line are put back, and the file is removed if it was not there
   * before; on success its `.dvc` file is queued for `git add`.
   */
  logGenerated<T>(
    abs: string,
    write: () => Promise<void>,
    record: (added: AddedFile) => T | Promise<T>,
  ): Promise<T>;
  /** The `url` property value of an object: `<pipeline>:<remote>/files/md5/..` (legacy: `/ab/..`). */
  url(oid: string, legacy?: boolean): string;
  /** `<mlmd dir>/cmf_artifacts/<first Execution_uuid>/<kind>/<name>`. */
  generatedPath(kind: 'metrics' | 'dataslice', name: string): string;
  /** The absolute path of an existing file or directory, else NotFoundError. */
  existing(path: string, kind?: 'file'): Promise<string>;
}
