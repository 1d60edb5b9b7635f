/**
 * How `-a NAME` selects artifacts, the same for `cmf artifact list` and `cmf artifact pull`
 * (spec/cmf-reference.md §3.3 step 8, §3.4): NAME is a full name, a path or a file name.
 * Unlike cmflib, which takes the first match, a path given as the user sees it (`./x`,
 * absolute, relative to the current directory) is compared with the recorded path resolved
 * against the MLMD file's directory, an exact path wins over a file name, and a file name
 * that several paths share is refused by pull instead of picking one (list shows them all).
 */
import { basename, posix, resolve, sep } from 'node:path';
import { NotFoundError, UsageError } from '../errors/index.js';
import { artifactPath, splitArtifactName } from '../cmf/artifact-name.js';
import { normalisationHint } from '../cmf/query.js';
import { closest, didYouMean } from '../util/closest.js';
import { quotedCommand, shellQuote } from '../util/shell-quote.js';
import { visibleText } from '../util/visible-text.js';
import { recordedSeparators } from './recorded-path.js';

export interface SelectWhere {
  /** The directory NAME was typed in: a relative path in NAME is relative to it. */
  cwd: string;
  /** The MLMD file's directory: recorded relative paths are relative to it. */
  baseDir: string;
}

/** A recorded name as [path, rest]: the path ends before the hash (it may hold `:`). */
function splitName(name: string): [path: string, rest: string] {
  const path = artifactPath(name);
  return [path, name.slice(path.length)];
}

/** NAME as typed: a path with no hash after it is a path whole (`-a colon:x.csv`). */
function splitWanted(name: string): [path: string, rest: string] {
  return splitArtifactName(name) ?? [name, ''];
}

function baseName(p: string): string {
  return posix.basename(p.replace(/\/+$/, ''));
}

/**
 * The items NAME selects, in their order: those whose full name is NAME; else those at the
 * path NAME gives; else those whose file name (or the file name of the full name, as in
 * `data.xml.gz:<md5>`) is NAME. Several versions of one path all match. Returns [] when
 * nothing matches; UsageError (exit 2) when a path or file name matches artifacts at more
 * than one path, unless `several` allows it (a listing shows them all; a pull must not
 * guess which file to write).
 */
export function selectArtifacts<T>(
  items: readonly T[],
  nameOf: (item: T) => string,
  wanted: string,
  where: SelectWhere,
  opts: { several?: boolean } = {},
): T[] {
  const [wPath, wRest] = splitWanted(wanted);
  const wAbs = resolve(where.cwd, wPath);
  const posixPath = (item: T) => recordedSeparators(splitName(nameOf(item))[0], where.baseDir);
  const at = (item: T) => resolve(where.baseDir, posixPath(item));
  const samePath = (item: T) => splitName(nameOf(item))[0] === wPath || at(item) === wAbs;

  const full = items.filter(
    (x) =>
      nameOf(x) === wanted || (wRest !== '' && samePath(x) && splitName(nameOf(x))[1] === wRest),
  );
  if (full.length > 0) return full;
  const byPath = wRest === '' ? items.filter(samePath) : [];
  const found =
    byPath.length > 0
      ? byPath
      : items.filter((x) => {
          const name = nameOf(x);
          return baseName(posixPath(x)) === wanted || baseName(name) === wanted;
        });
  if (opts.several) return found;
  const paths = new Map<string, string>();
  for (const x of found) paths.set(at(x), splitName(nameOf(x))[0]);
  if (paths.size > 1) throw ambiguous(wanted, [...new Set(paths.values())]);
  return found;
}

/**
 * Text one of which every name {@link selectArtifacts} selects for NAME holds, so that a
 * store can narrow by substring before selecting: NAME's path as typed (a full name, a path
 * or a file name given as recorded starts with it), or the file name of the path it resolves
 * to (a recorded path resolving there, in whatever form, `./`, absolute, `\\`-separated,
 * spells that segment out). Undefined when NAME's path is the MLMD file's directory or one
 * above it: a recorded `.`, `..` or empty path resolves there without spelling it.
 */
export function nameClues(wanted: string, where: SelectWhere): string[] | undefined {
  const [wPath] = splitWanted(wanted);
  const wAbs = resolve(where.cwd, wPath);
  const base = resolve(where.baseDir);
  if (base === wAbs || base.startsWith(wAbs.endsWith(sep) ? wAbs : wAbs + sep)) return undefined;
  return [...new Set([wPath, basename(wAbs)])];
}

function ambiguous(wanted: string, paths: string[]): UsageError {
  return new UsageError(
    'ARTIFACT_AMBIGUOUS',
    `"${wanted}" names artifacts at ${paths.length} paths: ${paths.join(', ')}`,
    {
      hint: `Give the path of the one you mean (e.g. -a ${shellQuote(paths[0]!)}), or its full name.`,
      data: { artifact: wanted, paths },
    },
  );
}

/**
 * The recorded path of the directory (among `dirPaths`) that holds the path NAME gives, if
 * any: `-a data/sub/f.bin` when `data` was logged as a whole.
 */
export function enclosingPath(
  dirPaths: readonly string[],
  wanted: string,
  where: SelectWhere,
): string | undefined {
  const wAbs = resolve(where.cwd, splitWanted(wanted)[0]);
  return dirPaths.find((p) => wAbs.startsWith(resolve(where.baseDir, p) + sep));
}

/**
 * The recorded name of an item NAME would select if both were in one Unicode normalisation
 * (a name typed on macOS, NFD, and one logged on Linux, NFC, look the same), if any.
 */
export function normalisationLookalike<T>(
  items: readonly T[],
  nameOf: (item: T) => string,
  wanted: string,
  where: SelectWhere,
): string | undefined {
  const nfc = (item: T) => nameOf(item).normalize('NFC');
  const found = selectArtifacts(items, nfc, wanted.normalize('NFC'), where, { several: true });
  return found.length > 0 ? nameOf(found[0]!) : undefined;
}

/**
 * What `-a` could have said instead of NAME: the closest of the full names, paths and file
 * names of `names` (recorded artifact names), for `file-1.cs` the file name `file-1.csv`.
 */
export function artifactSuggestions(wanted: string, names: readonly string[]): string[] {
  const forms = names.flatMap((name) => {
    const path = artifactPath(name);
    return [baseName(path), path, name];
  });
  return closest(wanted, [...new Set(forms)]);
}

export interface ArtifactNotFoundDetail {
  /** The directory artifact whose path holds NAME (a file of it is not an artifact). */
  within?: string;
  /** A recorded name NAME would select but for Unicode normalisation (normalisationLookalike). */
  lookalike?: string;
  /** The recorded names to suggest the closest of (artifactSuggestions). */
  known?: readonly string[];
}

/** The error for a NAME that selects nothing in `pipeline`. */
export function artifactNotFound(
  name: string,
  pipeline: string,
  { within, lookalike, known = [] }: ArtifactNotFoundDetail = {},
): NotFoundError {
  const listing = ['cmf', 'artifact', 'list', '-p', pipeline];
  const suggestions =
    lookalike !== undefined
      ? [lookalike]
      : within !== undefined
        ? [within]
        : artifactSuggestions(name, known);
  const hint =
    lookalike !== undefined
      ? normalisationHint('artifact', lookalike, name, [...listing, '--json'])
      : within !== undefined
        ? `It is inside the directory artifact ${visibleText(within)}, which is versioned whole: pull it with -a ${shellQuote(within)}.`
        : suggestions.length > 0
          ? `${didYouMean(suggestions)} ${quotedCommand(listing)} shows the artifacts.`
          : `Give the full name, the path or the file name of an artifact; ${quotedCommand(listing)} shows them.`;
  return new NotFoundError(
    'ARTIFACT_NOT_FOUND',
    `Artifact "${visibleText(name)}" not found in pipeline "${pipeline}"`,
    {
      hint,
      data: {
        artifact: name,
        pipeline,
        suggestions,
        ...(within === undefined ? {} : { within }),
        ...(lookalike === undefined ? {} : { sameAfterNormalisation: lookalike }),
      },
    },
  );
}
