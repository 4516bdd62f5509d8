/**
 * The ops the layers, the losses and the train step call. Each is a portable implementation in tfjs ops (the
 * reference, every backend), with faster kernels for the backends that have them (`webgl/`, `wasm/`), chosen
 * inside the op: the code that calls an op never asks which backend runs it.
 */
export { batchMean, batchSum, reluMask } from './batch.js';
export { denseForward, matMulTransposeA, matMulTransposeB } from './matmul.js';
export { type GatherRowsOptions, gatherRows, sliceRows } from './rows.js';
export { type Clip, correctCount, softmax, softmaxCrossentropy } from './softmax.js';
