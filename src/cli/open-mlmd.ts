import { resolveMlmdPath } from '../config/project.js';
import { UsageError, withHint, type CmfError } from '../errors/index.js';
import { GIVEN_PATH_HINT, MlmdErrorCode, MlmdStore } from '../mlmd/index.js';
import { flagValueHint } from './flag-hints.js';

/**
 * A value flag given as an empty string is a usage error (cmflib: "Missing <name>"). The hint
 * is the flag's own; `required` flags are not told that they may be left out.
 */
export function requireNonEmpty(value: string | undefined, flag: string, required = false): void {
  if (value !== undefined && value.trim() === '') {
    throw new UsageError('MISSING_ARGUMENT', `Missing value for ${flag}`, {
      hint: flagValueHint(flag, required),
    });
  }
}

/**
 * A required value flag: present and non-empty (oclif enforces presence; this narrows the
 * type), without the spaces around it (`-p ' Test-env'` from a script's quoting), as -a and
 * -j are taken.
 */
export function requireValue(value: string | undefined, flag: string): string {
  if (value === undefined) {
    throw new UsageError('MISSING_ARGUMENT', `Missing required flag ${flag}`, {
      hint: flagValueHint(flag, true),
    });
  }
  requireNonEmpty(value, flag, true);
  return value.trim();
}

/**
 * Opens the MLMD file a read-only command works on (`-f`, else ./mlmd, else the project's):
 * a missing file is a NotFoundError (exit 3) and is never created; a damaged one an
 * IntegrityError (exit 5).
 */
export function openMlmdForReading(fileFlag: string | undefined): MlmdStore {
  requireNonEmpty(fileFlag, '-f/--file_name');
  return MlmdStore.open(resolveMlmdPath(fileFlag, process.cwd()), {
    create: false,
    readonly: true,
  });
}

/**
 * An MLMD file error, reworded for a command run without -f/--file_name: the hints the store
 * gives speak of "the path given with -f", but the user gave none and cmf chose the file.
 */
export function forDefaultMlmdFile(err: CmfError): CmfError {
  const defaults = 'without -f/--file_name cmf opens ./mlmd, else mlmd in the project root';
  let hint: string | undefined;
  if (err.code === MlmdErrorCode.fileNotFound) {
    hint = `No MLMD file here: ${defaults}. Run cmf where your MLMD file is, give its path with -f/--file_name, or pull the metadata into it with \`cmf metadata pull -p <pipeline>\`.`;
  } else if (err.hint?.startsWith(GIVEN_PATH_HINT)) {
    const rest = err.hint.slice(GIVEN_PATH_HINT.length).replace(/^[:;,]\s*/, '');
    hint = `This is the default MLMD file (${defaults}); give another one with -f/--file_name. ${rest.charAt(0).toUpperCase()}${rest.slice(1)}`;
  }
  return hint === undefined ? err : withHint(err, hint);
}
