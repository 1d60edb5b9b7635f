export * from './configobj.js';
export * from './dvc-config.js';
export * from './project.js';
