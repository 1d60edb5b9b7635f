/**
 * The path part of an artifact name. cmf names artifacts `<path>:<hash>` (Dataset, Dataslice,
 * Environment, Label), `<path>:<hash>:<execution id>` (Model),
 * `<path>:<hash>:<execution id>:<uuid1>` (Step_Metrics) and `<name>:<uuid1>:<execution id>`
 * (Metrics), the hash being an md5 (DVC 3, or DVC 2's md5-dos2unix: the same shape) or a
 * directory's `<md5>.dir` (spec/cmf-reference.md §5.4). A path may itself hold `:`
 * (`colon:x.csv:<md5>`), so it is everything before the id token, not before the first `:`
 * as cmflib takes it (whose pull then writes `colon`).
 */

const HASH_TOKEN = /:[0-9a-f]{32}(?:\.dir)?(?=:|$)/g;
const UUID_TOKEN = /:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=:|$)/g;
const ID_SHAPED = /^(?:[0-9a-f]{32}(?:\.dir)?|[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12})$/;

function lastIndex(name: string, re: RegExp): number {
  let at = -1;
  for (const m of name.matchAll(re)) at = m.index;
  return at;
}

/** Where the last `:<token>` ends a name or is followed by `:`, else -1. */
function lastToken(name: string, token: string): number {
  for (let i = name.lastIndexOf(`:${token}`); i > 0; i = name.lastIndexOf(`:${token}`, i - 1)) {
    const end = i + 1 + token.length;
    if (end === name.length || name[end] === ':') return i;
  }
  return -1;
}

/**
 * The index of the `:` that ends the path part of `name`, or -1 when the name holds no id
 * token. The artifact's `uri` (its hash, or a Metrics uuid) is looked for first; else the
 * last md5-shaped token; else the last uuid-shaped one (Metrics: the md5 of a Step_Metrics
 * name comes before its uuid).
 */
function pathEnd(name: string, uri?: string): number {
  if (uri && ID_SHAPED.test(uri)) {
    const i = lastToken(name, uri);
    if (i > 0) return i;
  }
  const hash = lastIndex(name, HASH_TOKEN);
  if (hash > 0) return hash;
  const uuid = lastIndex(name, UUID_TOKEN);
  return uuid > 0 ? uuid : -1;
}

/**
 * A name as `[path, rest]` (`rest` starts with `:`), or undefined when it holds no hash or
 * uuid after a non-empty path.
 */
export function splitArtifactName(name: string, uri?: string): [string, string] | undefined {
  const i = pathEnd(name, uri);
  return i < 0 ? undefined : [name.slice(0, i), name.slice(i)];
}

/**
 * The path (or Metrics name) an artifact name starts with; a name without an id token is
 * cut at its first `:` as cmflib does (no such name is cmf's, but a foreign one may be).
 */
export function artifactPath(name: string, uri?: string): string {
  const split = splitArtifactName(name, uri);
  if (split) return split[0];
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(0, i);
}
