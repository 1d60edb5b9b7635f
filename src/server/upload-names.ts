/**
 * File names that clients choose for uploads (multipart `filename`, the tensorboard
 * `pipeline_name`) turned into paths below the server's data directory, or refused.
 * Python's cmf-server joins them as given; here nothing can name a file outside the
 * directory it is meant for: no absolute paths, no `..`, no NUL, no drive letters.
 */
import { UsageError } from '../errors/index.js';

function refuse(
  name: string,
  why: string,
  hint = 'Upload names must be relative paths without "..", e.g. logs/events.out.',
): never {
  throw new UsageError('UPLOAD_NAME_REFUSED', `Refused file name ${JSON.stringify(name)}: ${why}`, {
    hint,
    data: { name, why },
  });
}

/** The segments of a client-given relative path; refuses anything that could escape. */
export function safeSegments(name: string): string[] {
  if (name.length === 0) refuse(name, 'empty name');
  if (name.includes('\0')) refuse(name, 'contains NUL');
  if (name.length > 4096) refuse(name.slice(0, 64), 'name too long');
  const normalised = name.replaceAll('\\', '/');
  if (normalised.startsWith('/') || /^[A-Za-z]:/.test(normalised)) refuse(name, 'absolute path');
  const segments = normalised.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..')) refuse(name, 'contains ".."');
  if (segments.length === 0) refuse(name, 'no file name');
  if (segments.some((s) => Buffer.byteLength(s) > 255)) refuse(name, 'a path segment is too long');
  return segments;
}

/**
 * The last segment only, as Python's server keeps environment and label files
 * (`cmf_artifacts/python_env_<md5>.txt` is stored as `python_env_<md5>.txt`).
 */
export function safeBaseName(name: string): string {
  const segments = safeSegments(name);
  return segments[segments.length - 1]!;
}

const PIPELINE_HINT =
  'A pipeline name used as a directory (tensorboard logs) may nest with "/" (team/project), ' +
  'but no segment may be empty, "." or "..", and it may not start with "/" or a drive letter.';

/**
 * The directories a pipeline name makes below the tensorboard directory, one per segment
 * separated by `/` (or a backslash), as Python's cmf-server nests `team/project`. Stricter than
 * {@link safeSegments}: an empty or `.` segment is refused, not skipped, so two spellings
 * never share a directory by accident.
 */
export function safePipelineSegments(name: string): string[] {
  if (name.length === 0) refuse(name, 'empty name', PIPELINE_HINT);
  if (name.includes('\0')) refuse(name, 'contains NUL', PIPELINE_HINT);
  if (name.length > 4096) refuse(name.slice(0, 64), 'name too long', PIPELINE_HINT);
  if (/^[A-Za-z]:/.test(name)) refuse(name, 'absolute path', PIPELINE_HINT);
  const segments = name.split(/[\\/]/);
  if (segments[0] === '' && segments.length > 1) refuse(name, 'absolute path', PIPELINE_HINT);
  if (segments.includes('')) refuse(name, 'empty path segment', PIPELINE_HINT);
  if (segments.some((s) => s === '.' || s === '..'))
    refuse(name, 'contains a "." or ".." segment', PIPELINE_HINT);
  if (segments.some((s) => Buffer.byteLength(s) > 255))
    refuse(name, 'a path segment is too long', PIPELINE_HINT);
  return segments;
}
