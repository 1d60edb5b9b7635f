export * from './configobj.js';
export * from './dvc-config.js';
export * from './project.js';
export * from './cmfconfig.js';
export * from './resolved.js';
export * from './init.js';
