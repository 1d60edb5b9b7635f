/**
 * Why a file the user pointed us at (a CA bundle, a signing key) could not be read, in the
 * words every such message uses: "no such file", "it is a directory" (a FIFO, …; see
 * regular-file.ts) or "cannot read it (EACCES)".
 */
export function unreadableReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'NOT_A_REGULAR_FILE')
    return `it is a ${(err as { data: { kind: string } }).data.kind}`;
  return `cannot read it (${code ?? String(err)})`;
}
