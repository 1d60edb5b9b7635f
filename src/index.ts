// Public library API of cmf.
export * from './errors/index.js';
