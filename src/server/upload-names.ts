/**
 * File names that clients choose for uploads (multipart `filename`, the tensorboard
 * `pipeline_name`) turned into paths below the server's data directory, or refused.
 * Python's cmf-server joins them as given; here nothing can name a file outside the
 * directory it is meant for: no absolute paths, no `..`, no NUL, no drive letters.
 */
import { UsageError } from '../errors/index.js';

function refuse(name: string, why: string): never {
  throw new UsageError('UPLOAD_NAME_REFUSED', `Refused file name ${JSON.stringify(name)}: ${why}`, {
    hint: 'Upload names must be relative paths without "..", e.g. logs/events.out.',
    data: { name },
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

/** A single path segment (a pipeline name used as a directory): no separators at all. */
export function safeDirectoryName(name: string): string {
  const segments = safeSegments(name);
  if (segments.length !== 1 || name.includes('/') || name.includes('\\')) {
    refuse(name, 'must not contain path separators');
  }
  return segments[0]!;
}
