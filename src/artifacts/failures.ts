import { CmfError, ExitCode, IntegrityError, OperationError } from '../errors/index.js';
import type { TransferFailure } from '../remotes/index.js';
import { counted } from '../util/counted.js';

/** One object (or artifact) that did not make it, in a form `--json` can print. */
export interface ArtifactFailure {
  /** The object id, when the failure is about one object. */
  oid?: string;
  /** Names of the artifacts the object belongs to. */
  artifacts: string[];
  /** Set when the artifact's file was not written (the object itself may be fine). */
  checkout?: boolean;
  code: string;
  exitCode: number;
  message: string;
}

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

export function describeFailures(
  failed: readonly TransferFailure[],
  owners: Map<string, string[]>,
): ArtifactFailure[] {
  return failed.map((f) => ({
    oid: f.oid,
    artifacts: owners.get(f.oid) ?? [],
    code: f.error.code,
    exitCode: f.error.exitCode,
    message: f.error.message,
  }));
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
      const paths = [...new Set(f.artifacts.map((a) => a.split(':')[0]))].join(', ');
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
            'object on the remote (its key is named above), push it again from a project whose ' +
            'cache has a good copy (push skips objects the remote already has), then pull.'
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
