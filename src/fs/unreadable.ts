/**
 * Why a file the user pointed us at (a CA bundle, a signing key) could not be read, in the
 * words every such message uses: "no such file", "it is a directory" or "cannot read it
 * (EACCES)".
 */
export function unreadableReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  return `cannot read it (${code ?? String(err)})`;
}
