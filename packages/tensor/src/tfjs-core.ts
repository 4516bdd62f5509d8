/**
 * TensorFlow.js core as this package's modules import it (`#tfjs-core`). Bundlers and browsers get this module,
 * tfjs-core's ESM build; Node gets `dist/tfjs-core-node.js` (written by `scripts/node-entries.mjs`), the same
 * CommonJS module loaded with `require`, which spares every process Node's scan of its source for export names.
 */
export * from '@tensorflow/tfjs-core';
