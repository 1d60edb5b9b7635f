/**
 * Where `cmf metadata export` writes and how: the `-j` name (stripped, `.json` appended as
 * cmflib does, default `<pipeline>.json`), never over an existing file unless forced (cmflib
 * asks on stdin instead, which blocks CI — §11.13), written atomically.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { NotFoundError, UsageError } from '../errors/index.js';
import { writeFileAtomic } from '../fs/atomic.js';

/** The `-j` value that means standard output. */
export const STDOUT_TARGET = '-';

/** The absolute export path for a `-j` value (or the default), relative to `cwd`. */
export function exportPath(
  jsonFileName: string | undefined,
  pipeline: string,
  cwd: string,
): string {
  let name = (jsonFileName ?? pipeline).trim();
  if (jsonFileName === undefined || !name.endsWith('.json')) name += '.json';
  return resolve(cwd, name);
}

/** Checks the target can be written: not a directory, parent exists, not there unless `force`. */
export function checkExportTarget(path: string, force: boolean): void {
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new UsageError('EXPORT_TARGET_IS_DIRECTORY', `${path} is a directory`, {
      hint: 'Give -j/--json_file_name a file name, e.g. -j out/pipeline.json.',
      data: { path },
    });
  }
  const parent = dirname(path);
  if (!existsSync(parent) || !statSync(parent).isDirectory()) {
    throw new NotFoundError('DIRECTORY_NOT_FOUND', `Directory ${parent} doesn't exist`, {
      hint: 'Create the directory first, or choose another path with -j/--json_file_name.',
      data: { path: parent },
    });
  }
  if (!force && existsSync(path)) {
    throw new UsageError('EXPORT_FILE_EXISTS', `${path} already exists`, {
      hint: 'Pass --force to overwrite it, or choose another name with -j/--json_file_name.',
      data: { path },
    });
  }
}

/** Writes the export text to `path` (temp file beside it, then rename). */
export async function writeExport(path: string, text: string): Promise<void> {
  await writeFileAtomic(path, text);
}
