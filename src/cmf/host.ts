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
  /** `dvc add` (after DVC's checks); record it with {@link recordAdded}. */
  addFile(abs: string): Promise<AddedFile>;
  /**
   * Runs `write` (the MLMD side of `added`); then queues their `.dvc` files for `git add`,
   * or, when it fails, puts the `.dvc` files and `.gitignore` lines back as they were.
   */
  recordAdded<T>(added: readonly AddedFile[], write: () => T | Promise<T>): Promise<T>;
  /** The `url` property value of an object: `<pipeline>:<remote>/files/md5/..` (legacy: `/ab/..`). */
  url(oid: string, legacy?: boolean): string;
  /** `<mlmd dir>/cmf_artifacts/<first Execution_uuid>/<kind>/<name>`. */
  generatedPath(kind: 'metrics' | 'dataslice', name: string): string;
  /** The absolute path of an existing file or directory, else NotFoundError. */
  existing(path: string, kind?: 'file'): Promise<string>;
}
