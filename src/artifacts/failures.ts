import { CmfError, ExitCode, IntegrityError, OperationError } from '../errors/index.js';
import { isDirOid, type LocalCache } from '../hashing/cache.js';
import { objectKey, type TransferFailure } from '../remotes/index.js';
import type { ObjectOwners } from './objects.js';
import { counted } from '../util/counted.js';
import { artifactPath } from '../cmf/artifact-name.js';

/** One object (or artifact) that did not make it, in a form `--json` can print. */
export interface ArtifactFailure {
  /** The object id, when the failure is about one object. */
  oid?: string;
  /** Names of the artifacts the object belongs to. */
  artifacts: string[];
  /** For a corrupt file of a directory: the remote key of the directory manifest listing it. */
  manifest?: string;
  /** Set when the artifact's file was not written (the object itself may be fine). */
  checkout?: boolean;
  code: string;
  exitCode: number;
  message: string;
}

/** An object on the remote whose content does not match its name (remotes/transfer). */
const REMOTE_CORRUPT = 'REMOTE_OBJECT_CORRUPT';

/** A file stands where a checkout needs a directory. */
export const PATH_BLOCKED = 'ARTIFACT_PATH_BLOCKED';

/** Checkout refused to replace workspace files whose content is not cached (hashing/checkout). */
const WOULD_LOSE_DATA = 'CHECKOUT_WOULD_LOSE_DATA';

/** What to do next, for the kinds of failure present. */
function nextStep(verb: 'push' | 'pull', failed: readonly ArtifactFailure[]): string {
  const steps: string[] = [];
  if (failed.some((f) => f.code === WOULD_LOSE_DATA))
    steps.push(
      `Workspace files that differ from the recorded version were kept: move them away, or run 'cmf artifact pull --force' to overwrite them.`,
    );
  if (failed.some((f) => f.code === PATH_BLOCKED))
    steps.push('Move or rename the files that stand where a directory is needed, then pull again.');
  if (failed.some((f) => f.code !== WOULD_LOSE_DATA && f.code !== PATH_BLOCKED))
    steps.push(
      `Fix the causes above and run 'cmf artifact ${verb}' again; what already succeeded is not repeated.`,
    );
  return steps.join(' ');
}

/**
 * The failures of a transfer of the objects in `byOid` (oid → artifact names), each with the
 * artifacts it belongs to; a directory's file also names the directory's manifest, which
 * a repair has to delete on the remote along with a corrupt file (push trusts a manifest on
 * the remote to vouch for every file it lists, as DVC does).
 */
export async function describeFailures(
  failed: readonly TransferFailure[],
  cache: LocalCache,
  byOid: ObjectOwners,
): Promise<ArtifactFailure[]> {
  if (failed.length === 0) return [];
  const owners = new Map<string, string[]>();
  const add = (oid: string, names: string[]) =>
    owners.set(oid, [...(owners.get(oid) ?? []), ...names]);
  /** Remote key of the manifest listing each directory file. */
  const manifestOf = new Map<string, string>();
  for (const [map, layout] of [
    [byOid.dvc3, {}],
    [byOid.legacy, { legacy: true }],
  ] as const) {
    for (const [oid, names] of map) {
      add(oid, names);
      if (!isDirOid(oid)) continue;
      const entries = await cache.readManifest(oid, layout).catch(() => []);
      for (const e of entries) {
        add(e.md5, names);
        manifestOf.set(e.md5, objectKey(oid, layout));
      }
    }
  }
  return failed.map((f) => {
    const manifest = f.error.code === REMOTE_CORRUPT ? manifestOf.get(f.oid) : undefined;
    return {
      oid: f.oid,
      artifacts: owners.get(f.oid) ?? [],
      code: f.error.code,
      exitCode: f.error.exitCode,
      message:
        manifest === undefined
          ? f.error.message
          : `${f.error.message}; it is listed by the directory manifest ${manifest}`,
      ...(manifest !== undefined ? { manifest } : {}),
    };
  });
}

/**
 * The error a command exits with when anything failed: IntegrityError (exit 5) if any
 * object was corrupt, else OperationError (exit 1). The message lists the first failures;
 * `data` carries the whole result for `--json`.
 */
export function transferError(
  verb: 'push' | 'pull',
  failed: readonly ArtifactFailure[],
  result: object,
): CmfError {
  const shown = failed
    .slice(0, 10)
    .map((f) => {
      const paths = [...new Set(f.artifacts.map((a) => artifactPath(a)))].join(', ');
      const what = f.oid ? `${f.oid}${paths ? ` (${paths})` : ''}` : paths;
      return `  ${what}: ${f.message}`;
    })
    .join('\n');
  const more = failed.length > 10 ? `\n  … and ${failed.length - 10} more` : '';
  const objects = failed.filter((f) => !f.checkout).length;
  const files = failed.length - objects;
  const heading = [
    objects > 0 ? `${counted(objects, 'object')} failed to ${verb}` : '',
    files > 0 ? `${counted(files, 'artifact')} not checked out` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const message = `${heading}:\n${shown}${more}`;
  const data = { result: result as Record<string, unknown> };
  if (failed.some((f) => f.exitCode === ExitCode.integrity)) {
    return new IntegrityError(`ARTIFACT_${verb.toUpperCase()}_CORRUPT`, message, {
      hint:
        verb === 'pull'
          ? 'Corrupt objects were not stored and their files were not written. Delete each corrupt ' +
            'object on the remote (its key is named above)' +
            (failed.some((f) => f.manifest)
              ? ', and the directory manifest named with it (a manifest on the remote vouches ' +
                'for all its files, so push would not send them again)'
              : '') +
            ', push again from a project whose cache has a good copy (push skips objects the ' +
            'remote already has), then pull.'
          : 'Corrupt cache objects were not uploaded. Delete each corrupt cache file named above, ' +
            'add or pull its file again so the cache holds a good copy, then push again.',
      data,
    });
  }
  return new OperationError(`ARTIFACT_${verb.toUpperCase()}_FAILED`, message, {
    hint: nextStep(verb, failed),
    data,
  });
}
