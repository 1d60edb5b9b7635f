// Public library API of cmf.
import './node-guard.js'; // first: an older Node is refused before any dependency loads
export * from './errors/index.js';
export * as mlmd from './mlmd/index.js';
export * as hashing from './hashing/index.js';
export * as config from './config/index.js';
export { GitRepo } from './git/index.js';
export * from './cmf/index.js';
export { doubleValue, intValue, stringValue } from './mlmd/index.js';
export * as remotes from './remotes/index.js';
export { ingestDvcPipeline, type IngestOptions, type IngestResult } from './ingest/index.js';
