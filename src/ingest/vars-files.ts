/**
 * The files a dvc.yaml's `${…}` values come from (params.yaml, `vars:` files), read from
 * disk for pipeline-file.ts. A missing file is undefined (params.yaml is optional); any
 * other problem is a warning there, except a FIFO or socket, which stops ingest as for
 * every other file it reads (see fs/regular-file.ts).
 */
import { join } from 'node:path';
import { CmfError } from '../errors/index.js';
import { readRegularFileSync } from '../fs/regular-file.js';
import type { VarsFiles } from './pipeline-file.js';

/** The vars files of the dvc.yaml in `dir` (absolute). */
export function varsFilesIn(dir: string): VarsFiles {
  return {
    read(path) {
      try {
        return readRegularFileSync(join(dir, path), 'utf8');
      } catch (err) {
        if (err instanceof CmfError) throw err;
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return undefined;
        return { problem: code === 'EISDIR' ? 'it is a directory' : (err as Error).message };
      }
    },
  };
}
