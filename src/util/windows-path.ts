/**
 * Paths written on Windows and read here (MLMD names from a Windows run, a remote path
 * typed as on Windows). On POSIX they are ordinary relative names, `C:\Users\me` a file in
 * the current directory: what they meant must be recognised before they are used.
 */

/**
 * Whether `path` is absolute on Windows: a drive letter and a separator (`C:\x`, `C:/x`) or a
 * UNC path (`\\server\share`). `c:x.csv` (no separator after the colon) is not: a name with
 * a colon, which POSIX allows and cmf logs.
 */
export function isWindowsAbsolutePath(path: string): boolean {
  return /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
}

/**
 * The part of a POSIX path that is a Windows absolute path made relative, if any: the
 * `C:\Users\me\remote` of `../C:\Users\me\remote` (or `C:/x` of `../C:/x`), which cmf init
 * once wrote for such a `--path` (a directory inside the project, not the drive).
 */
export function embeddedWindowsPath(path: string): string | undefined {
  const m = /(?:^|\/)([A-Za-z]:[\\/].*|\\\\.*)$/.exec(path);
  return m?.[1];
}
