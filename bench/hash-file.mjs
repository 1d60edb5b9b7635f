// One process, as a user would start it: hash one file through the cmf library.
import { hashFile } from '../dist/hashing/file-hash.js';

const { md5 } = await hashFile(process.argv[2]);
process.stdout.write(`${md5}\n`);
