/**
 * `tf`: TensorFlow.js core's own API (tfjs-core 4.22), with gradients registered by importing `@opt/tensor`.
 *
 * This package's modules import it as `#tfjs-core`. Bundlers and browsers get this module, tfjs-core's ESM build;
 * Node gets `dist/tfjs-core-node.js` (written by `scripts/node-entries.mjs`), the same CommonJS module loaded with
 * `require`, which spares every process Node's scan of its source for export names.
 *
 * @module
 */
export * from '@tensorflow/tfjs-core';
