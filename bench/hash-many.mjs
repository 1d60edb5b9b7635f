// One process, as a user would start it: hash every file under a directory through the
// cmf library, on all cores; with --state DB, through the state (hash) cache.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { HashState, hashPaths } from '../dist/hashing/index.js';

const [dir, flag, dbPath] = process.argv.slice(2);
const paths = readdirSync(dir, { recursive: true, withFileTypes: true })
  .filter((e) => e.isFile())
  .map((e) => join(e.parentPath, e.name));
const state = flag === '--state' ? HashState.open(dbPath) : undefined;
const hashes = await hashPaths(paths, { state });
state?.close();
if (hashes.size !== paths.length) throw new Error(`hashed ${hashes.size} of ${paths.length} files`);
