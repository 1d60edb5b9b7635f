import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * A recorded artifact path (relative to `baseDir`, the MLMD file's directory) with the
 * separators it was recorded with read as `/`: cmf on Windows records `data\a.csv`. A
 * backslash is also a legal character of a POSIX file name, so it is read as a separator
 * only when the path has no `/` (a POSIX path with a directory would have one), and not when
 * a `.dvc` file of the literal name is there (that file was logged here, with its backslash).
 *
 * DVC reads `\` as a separator only on Windows (and writes `/` in `.dvc` files everywhere);
 * Python cmf uses the name verbatim, so on POSIX it writes a file named `data\a.csv` — a file
 * that exists nowhere on the machine where it was logged.
 */
export function recordedSeparators(path: string, baseDir: string): string {
  if (!path.includes('\\') || path.includes('/')) return path;
  if (existsSync(resolve(baseDir, `${path}.dvc`))) return path;
  return path.replaceAll('\\', '/');
}
