/**
 * Checks of the plain arguments of the public Cmf API, made before anything is read or
 * written: a wrong type, a null or a missing value is a UsageError `CMF_BAD_ARGUMENT` whose
 * hint names the argument and what it takes (not a TypeError from deep inside). Custom
 * property maps are checked by values.ts (`CMF_BAD_PROPERTY`), events by conventions.ts.
 */
import { UsageError } from '../errors/index.js';
import { isBusyTimeout } from '../mlmd/store.js';

/** A value as a message shows it: strings quoted, null, arrays and other kinds by name. */
function shown(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** The error for argument `name` of `where`, which takes `expected`. */
export function badArgument(
  where: string | undefined,
  name: string,
  expected: string,
  v: unknown,
): UsageError {
  const what = where ? `${where}: ${name}` : name;
  return new UsageError('CMF_BAD_ARGUMENT', `${what} must be ${expected}, not ${shown(v)}`, {
    hint: `Pass ${name} as ${expected}.`,
    data: { argument: name, expected },
  });
}

const TEXT = 'a non-empty string (without NUL characters)';

function isText(v: unknown): v is string {
  return typeof v === 'string' && v !== '' && !v.includes('\0');
}

/** A name that becomes a file name (step metrics, dataslices). */
export function checkFileName(what: string, name: unknown): string {
  if (!isText(name) || name === '.' || name === '..' || /[/\\]/.test(name)) {
    throw new UsageError('CMF_BAD_NAME', `Invalid ${what} name ${shown(name)}`, {
      hint: `A ${what} name becomes a file name: use a non-empty name without slashes.`,
    });
  }
  return name;
}

/** A required string argument (of `where`, when given, for the message). */
export function checkText(what: string, v: unknown, where?: string): string {
  if (!isText(v)) throw badArgument(where, what, TEXT, v);
  return v;
}

function optionalText(where: string, name: string, v: unknown): void {
  if (v !== undefined) checkText(name, v, where);
}

/** An optional string that may be empty (a property value such as `url` or `git_repo`). */
function optionalString(where: string, name: string, v: unknown): void {
  if (v !== undefined && (typeof v !== 'string' || v.includes('\0'))) {
    throw badArgument(where, name, 'a string (without NUL characters)', v);
  }
}

function optionalBoolean(where: string, name: string, v: unknown): void {
  if (v !== undefined && typeof v !== 'boolean') throw badArgument(where, name, 'a boolean', v);
}

/** An options object: undefined (no options) or a plain object. */
function options(where: string, v: unknown, example: string): Record<string, unknown> {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw badArgument(where, 'the options', `an object such as ${example} (or left out)`, v);
  }
  return v as Record<string, unknown>;
}

/** `Cmf.open(opts)`. */
export function checkOpenOptions(opts: unknown): void {
  const where = 'Cmf.open';
  const o = options(where, opts, "{ pipelineName: 'Test-env' }");
  optionalText(where, 'filepath', o.filepath);
  optionalText(where, 'pipelineName', o.pipelineName);
  optionalText(where, 'cwd', o.cwd);
  optionalBoolean(where, 'graph', o.graph);
  const t = o.busyTimeoutMs;
  if (t !== undefined && !isBusyTimeout(t)) {
    throw badArgument(where, 'busyTimeoutMs', 'a whole number of milliseconds, 0 or more', t);
  }
}

/** `createExecution(executionType, customProperties, opts)`. */
export function checkCreateExecution(executionType: unknown, opts: unknown): void {
  const where = 'createExecution';
  checkText('executionType', executionType, where);
  const o = options(where, opts, "{ cmd: ['train.py', '--epochs', '3'] }");
  const cmd = o.cmd;
  if (
    cmd !== undefined &&
    typeof cmd !== 'string' &&
    !(Array.isArray(cmd) && cmd.every((c) => typeof c === 'string'))
  ) {
    throw badArgument(where, 'cmd', 'a string or an array of strings', cmd);
  }
  optionalBoolean(where, 'createNewExecution', o.createNewExecution);
}

function checkId(where: string, name: string, what: string, id: unknown): void {
  if (!Number.isSafeInteger(id) || (id as number) < 1) {
    throw badArgument(where, name, `the id (a positive integer) of ${what}`, id);
  }
}

/** `updateExecution(executionId, customProperties)`. */
export function checkExecutionId(where: string, id: unknown): void {
  checkId(where, 'executionId', 'an execution', id);
}

/** `updateExistingArtifact(artifactId, customProperties)`. */
export function checkArtifactId(where: string, id: unknown): void {
  checkId(where, 'artifactId', 'an artifact', id);
}

/** `scheme://…`: what cmflib hands to `dvc import-url` instead of `dvc add`. */
const URL_PATH = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * A path to version must be local. cmflib imports a URL (`dvc import-url --to-remote`),
 * which cmf does not do: say so, rather than "no such file".
 */
function checkLocalPath(where: string, name: string, path: string, instead: string): void {
  if (!URL_PATH.test(path)) return;
  throw new UsageError(
    'CMF_URL_IMPORT_UNSUPPORTED',
    `${where}: ${path} is a URL, and importing remote files (cmflib's 'dvc import-url --to-remote') is not supported`,
    {
      hint: `Log it with ${instead}(url, version, event), giving the hash or version you know it by, or download it into the repository and log the local copy.`,
      data: { argument: name, path },
    },
  );
}

/** `logDataset(path, event, customProperties, opts)`. */
export function checkLogDataset(path: unknown, opts: unknown): void {
  const where = 'logDataset';
  checkLocalPath(where, 'path', checkText('path', path, where), 'logDatasetWithVersion');
  const o = options(where, opts, "{ label: 'artifacts/labels.csv' }");
  optionalText(where, 'label', o.label);
}

/** `logDatasets(items, event)`: paths, or `{ path, customProperties }` objects. */
export function checkLogDatasets(items: unknown): void {
  const where = 'logDatasets';
  const expected = "an array of paths or of { path, customProperties } objects, e.g. ['a.csv']";
  if (!Array.isArray(items)) throw badArgument(where, 'items', expected, items);
  items.forEach((it: unknown, i) => {
    let name = `items[${i}]`;
    let path: unknown = it;
    if (typeof it !== 'string') {
      if (it === null || typeof it !== 'object' || Array.isArray(it)) {
        throw badArgument(where, name, 'a path or a { path, customProperties } object', it);
      }
      name = `items[${i}].path`;
      path = (it as { path?: unknown }).path;
    }
    checkLocalPath(where, name, checkText(name, path, where), 'logDatasetWithVersion');
  });
}

/** `logModel(path, event, opts)`. */
export function checkLogModel(path: unknown, opts: unknown): void {
  const where = 'logModel';
  checkLocalPath(where, 'path', checkText('path', path, where), 'logModelWithVersion');
  const o = options(where, opts, "{ modelFramework: 'SKlearn' }");
  for (const k of ['modelFramework', 'modelType', 'modelName']) optionalText(where, k, o[k]);
}

/** `logDatasetWithVersion(url, version, event, props)`. */
export function checkLogDatasetWithVersion(url: unknown, version: unknown, props: unknown): void {
  const where = 'logDatasetWithVersion';
  checkTexts(where, { url, version });
  const o = options(where, props, "{ url: 'Test-env:s3://bucket/files/md5/ab/cdef…' }");
  for (const k of ['gitRepo', 'url']) optionalString(where, k, o[k]);
}

/** `logModelWithVersion(path, version, event, props)`. */
export function checkLogModelWithVersion(path: unknown, version: unknown, props: unknown): void {
  const where = 'logModelWithVersion';
  checkTexts(where, { path, version });
  const o = options(where, props, "{ modelFramework: 'SKlearn' }");
  for (const k of ['modelFramework', 'modelType', 'modelName']) optionalText(where, k, o[k]);
  for (const k of ['commit', 'url']) optionalString(where, k, o[k]);
}

/** Two required strings, as in `logLabel(labelPath, datasetPath)`. */
export function checkTexts(where: string, values: Record<string, unknown>): void {
  for (const [name, v] of Object.entries(values)) checkText(name, v, where);
}
