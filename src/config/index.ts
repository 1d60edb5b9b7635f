export * from './configobj.js';
export * from './dvc-config.js';
