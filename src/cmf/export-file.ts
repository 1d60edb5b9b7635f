/**
 * Where `cmf metadata export` writes and how: the `-j` name (stripped, `.json` appended as
 * cmflib does, default `<pipeline>.json` in the current directory, the pipeline name made a
 * safe file name), never over an existing file unless forced (cmflib asks on stdin instead,
 * which blocks CI — §11.13), written atomically.
 */
import { existsSync, lstatSync, readlinkSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { NotFoundError, UsageError } from '../errors/index.js';
import { writeFile } from 'node:fs/promises';
import { replaceAtomically } from '../fs/atomic.js';

/** The `-j` value that means standard output. */
export const STDOUT_TARGET = '-';

/** Characters that may not appear in a default export file name (cmflib uses the name as is). */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[/\\\u0000-\u001f\u007f]/g;

/**
 * The default export file name for a pipeline: one file in the current directory, whatever
 * the name (it may come from a shared server): slashes, backslashes and control characters
 * become `_`, and so do leading dots (no `..`, no hidden file); `.json` is added.
 */
export function defaultExportName(pipeline: string): string {
  let name = pipeline.trim().replace(UNSAFE, '_');
  name = name.replace(/^\.+/, (dots) => '_'.repeat(dots.length));
  if (name === '') name = '_';
  // Room for ".json" within the usual 255-byte limit of a file name (whole characters).
  const chars = Array.from(name);
  while (Buffer.byteLength(chars.join('')) > 250) chars.pop();
  return `${chars.join('')}.json`;
}

/** The absolute export path for a `-j` value (or the default), relative to `cwd`. */
export function exportPath(
  jsonFileName: string | undefined,
  pipeline: string,
  cwd: string,
): string {
  if (jsonFileName === undefined) return resolve(cwd, defaultExportName(pipeline));
  let name = jsonFileName.trim();
  // `-j out/`, `-j .` and `-j ..` name directories: appending .json would write the hidden
  // file out/.json, ..json or ...json.
  if (name.endsWith('/') || /(^|\/)\.\.?$/.test(name)) throw targetIsDirectory(resolve(cwd, name));
  if (!name.endsWith('.json')) name += '.json';
  return resolve(cwd, name);
}

function targetIsDirectory(path: string): UsageError {
  return new UsageError('EXPORT_TARGET_IS_DIRECTORY', `${path} is a directory`, {
    hint: 'Give -j/--json_file_name a file name, e.g. -j out/pipeline.json.',
    data: { path },
  });
}

/** The nearest ancestor of `path` that exists (the root at worst). */
function existingAncestor(path: string): string {
  let dir = dirname(path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** Checks the target can be written: not a directory, parent exists, not there unless `force`. */
export function checkExportTarget(path: string, force: boolean): void {
  // Through a symbolic link, the file it points to is what will be written (writeExport).
  const target = linkTarget(path);
  if (existsSync(target) && statSync(target).isDirectory()) throw targetIsDirectory(path);
  const parent = dirname(target);
  const ancestor = existingAncestor(target);
  if (!statSync(ancestor).isDirectory()) {
    throw new UsageError('EXPORT_PARENT_NOT_DIRECTORY', `${ancestor} is a file, not a directory`, {
      hint: `${path} cannot be written inside a file: choose another path with -j/--json_file_name.`,
      data: { path, file: ancestor },
    });
  }
  if (ancestor !== parent) {
    throw new NotFoundError('DIRECTORY_NOT_FOUND', `Directory ${parent} doesn't exist`, {
      hint: 'Create the directory first, or choose another path with -j/--json_file_name.',
      data: { path: parent },
    });
  }
  // lstat: a dangling link is there too (the write would create the file it points to).
  if (!force && lstatOrUndefined(path)) {
    throw new UsageError('EXPORT_FILE_EXISTS', `${path} already exists`, {
      hint: 'Pass --force to overwrite it, or choose another name with -j/--json_file_name.',
      data: { path },
    });
  }
}

/**
 * Writes the export text, whole or in pieces as they are made, to `path` (temp file beside
 * it, then rename: a failure part-way leaves no partial file). A symbolic link there is
 * written through, as a shell's `>` would: the file it points to is replaced, the link stays
 * (a rename onto the link itself would replace the link by a file).
 */
export async function writeExport(
  path: string,
  text: string | AsyncIterable<string>,
): Promise<void> {
  // writeFile waits for each piece to be written before it asks for the next.
  await replaceAtomically(linkTarget(path), (tmp) => writeFile(tmp, text));
}

/** Where a chain of symbolic links at `path` ends (`path` itself when it is none). */
function linkTarget(path: string): string {
  for (let hops = 0; hops < 40; hops++) {
    if (!lstatOrUndefined(path)?.isSymbolicLink()) return path;
    path = resolve(dirname(path), readlinkSync(path));
  }
  throw new UsageError('EXPORT_LINK_LOOP', `Too many symbolic links at ${path}`, {
    hint: 'Fix the links, or choose another path with -j/--json_file_name.',
    data: { path },
  });
}

/** lstat, or undefined when there is nothing at `path` (or a file stands in its way). */
function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
