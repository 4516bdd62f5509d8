/**
 * Preparing Fashion-MNIST for training: splits, class-balanced subsets, the
 * chapter's input normalization, one-hot labels and seeded mini-batches.
 * Platform-neutral; the dataset stays as bytes and only batches become float32.
 */
export { type Batch, type BatchIterator, type BatchOptions, batches, toTensors } from './batches.js';
export {
  computeStatistics,
  type NormalizeMode,
  normalizeImages,
  oneHot,
  STD_EPSILON,
  type Statistics,
} from './normalize.js';
export {
  balancedSubset,
  balancedSubsetIndices,
  type SplitOptions,
  selectExamples,
  trainValidationSplit,
} from './split.js';
