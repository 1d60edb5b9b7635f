/** What `add` and `addMany` share: target checks and the next content of a `.dvc` file. */
import { isAbsolute, relative, sep } from 'node:path';
import { NotFoundError, UsageError } from '../errors/index.js';
import { readDvcFile, type DvcFile, type DvcOut } from './dvcfile.js';

export function checkTarget(path: string, repoRoot: string): void {
  const rel = relative(repoRoot, path);
  const parts = rel.split(sep);
  const fail = (why: string): never => {
    throw new UsageError('ADD_BAD_PATH', `Cannot add ${path}: ${why}`, {
      data: { path, repoRoot },
    });
  };
  if (rel === '') fail('it is the repository root');
  if (parts[0] === '..' || isAbsolute(rel)) fail(`it is outside the repository ${repoRoot}`);
  if (parts.some((p) => p === '.dvc' || p === '.git')) fail('it is inside .dvc or .git');
  if (path.endsWith('.dvc')) fail('it is a .dvc file');
}

/** The `.dvc` file content to write: the new out, keeping what the user added to `previous`. */
export function mergedDvcFile(previous: DvcFile | undefined, out: DvcOut): DvcFile {
  const old = previous?.outs.find((o) => o.path === out.path);
  const merged: DvcOut = old?.extra ? { ...out, extra: old.extra } : out;
  return previous?.extra ? { outs: [merged], extra: previous.extra } : { outs: [merged] };
}

/** {@link mergedDvcFile} with the `.dvc` file at `dvcFilePath`, if there is one. */
export async function nextDvcFile(dvcFilePath: string, out: DvcOut): Promise<DvcFile> {
  let previous: DvcFile | undefined;
  try {
    previous = await readDvcFile(dvcFilePath);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  return mergedDvcFile(previous, out);
}
