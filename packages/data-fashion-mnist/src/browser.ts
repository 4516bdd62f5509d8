/**
 * @opt/data-fashion-mnist for browsers (the `browser` export condition): the
 * URL loader, the IDX reader and batch preparation, without any node: module.
 */
export * from './common.js';
