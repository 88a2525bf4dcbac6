export * from './types.js';
export * from './errors.js';
export * from './retry.js';
export * from './plan.js';
export * from './window.js';
export * from './arm-client.js';
export * from './state-file.js';
export * from './window-run.js';
