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
