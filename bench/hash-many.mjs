// One process, as a user would start it: hash every file under a directory through the
// cmf library (`hashDirectory`: walk, hash on all cores, build the manifest); with
// --state DB, through the state (hash) cache.
// Imports the hashing modules directly (not the index) so cache modules are not loaded.
import { hashDirectory } from '../dist/hashing/dir-hash.js';
import { HashState } from '../dist/hashing/state.js';

const [dir, flag, dbPath] = process.argv.slice(2);
const state = flag === '--state' ? HashState.open(dbPath) : undefined;
const { nfiles, files } = await hashDirectory(dir, { state });
state?.close();
if (nfiles === 0 || files.some((f) => f.md5.length !== 32)) throw new Error('not all hashed');
