/** The `url` property of file-backed artifacts (spec §4.3). */
import { isDirOid, objectRelPath } from '../hashing/index.js';

/**
 * `<remote url>/files/md5/<2>/<rest>` — where `cmf artifact push` puts the object; for the
 * object of a legacy (DVC 2.x) output `<remote url>/<2>/<rest>`, the remote's legacy layout.
 */
export function remoteObjectUrl(
  remoteUrl: string,
  oid: string,
  opts: { legacy?: boolean } = {},
): string {
  return `${remoteUrl.replace(/\/+$/, '')}/${objectRelPath(oid, opts)}`;
}

/** `<pipeline>:<object url>`. */
export function pipelineUrl(
  pipeline: string,
  remoteUrl: string,
  oid: string,
  opts: { legacy?: boolean } = {},
): string {
  return `${pipeline}:${remoteObjectUrl(remoteUrl, oid, opts)}`;
}

/**
 * Adds `entry` to a comma-joined url list unless it is already one of its items. cmflib
 * tests for a substring, so pipeline `Test` is "already there" when `Test-env` is (§11.7);
 * we compare whole items.
 */
export function mergeUrl(existing: string, entry: string): string {
  if (existing === '') return entry;
  return existing.split(',').includes(entry) ? existing : `${existing},${entry}`;
}

export { isDirOid };
