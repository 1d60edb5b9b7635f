export * from './types.js';
export * from './file-hash.js';
export * from './manifest.js';
export * from './walk.js';
export * from './dir-hash.js';
export * from './state.js';
export * from './hash-pool.js';
export * from './hash-paths.js';
