/**
 * Errors as a program using the library reads them. The core's hints speak to CLI users:
 * those about the MLMD file point at `-f/--file_name`, and many end "then run the command
 * again". Cmf's calls reword them for a caller of Cmf.open, who names the file with its
 * `filepath` option, as the CLI rewords a default file's hints (forDefaultMlmdFile) and the
 * server those of its --database (withServerHint).
 */
import { join } from 'node:path';
import { CmfError, withHint } from '../errors/index.js';
import { GIVEN_PATH_HINT, mlmdFileAdvice, mlmdFileProblem } from '../mlmd/index.js';

/** How core hints end that say to try again once the cause is fixed. */
const RUN_AGAIN = /\brun the command again\b/g;

/** What a library caller does instead of fixing the MLMD file where it is. */
const OTHER_FILE = "open another MLMD file (Cmf.open's `filepath` option)";

/**
 * `err` with its hint worded for a caller of the Cmf API; `filepathGiven`: Cmf.open was given
 * `filepath` (else it opened its default, `mlmd` in `cwd`). Other values are returned as they are.
 */
export function forLibrary(err: unknown, filepathGiven: boolean): unknown {
  if (!(err instanceof CmfError) || err.hint === undefined) return err;
  const hint =
    mlmdFileHint(err, err.hint, filepathGiven) ?? err.hint.replace(RUN_AGAIN, 'run the call again');
  return hint === err.hint ? err : withHint(err, hint);
}

/** The library's hint for an error about the MLMD file; undefined for other errors. */
function mlmdFileHint(err: CmfError, hint: string, given: boolean): string | undefined {
  const path = String(err.data?.path ?? '');
  const advice = mlmdFileAdvice(err);
  switch (mlmdFileProblem(err)) {
    case 'not-writable':
      return advice === undefined ? undefined : `${advice}; or ${OTHER_FILE}.`;
    case 'disk-full':
      return advice === undefined
        ? undefined
        : `${advice}, or move the MLMD file to a file system with room and open it there (Cmf.open's \`filepath\` option).`;
    case 'directory':
      return `${path} is a directory: give Cmf.open the path of an MLMD file as \`filepath\`, e.g. ${join(path, 'mlmd')}.`;
    case 'not-regular':
      return `${path} is not a regular file: give Cmf.open the path of an MLMD SQLite file (or of one to create) as \`filepath\`.`;
    default: {
      if (!hint.startsWith(GIVEN_PATH_HINT)) return undefined;
      const check = given
        ? 'Check the `filepath` given to Cmf.open'
        : "Check the MLMD file Cmf.open opened (without `filepath`, 'mlmd' in cwd)";
      return `${check}${hint.slice(GIVEN_PATH_HINT.length)}`;
    }
  }
}
