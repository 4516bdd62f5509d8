/** What both entries export: platform-neutral reading, the URL loader and batch preparation. */
export { FASHION_MNIST_FILES, type FileKey, type FileSpec, type LoadProgress, UPSTREAM_BASE_URL } from './files.js';
export {
  CLASS_NAMES,
  type FashionMnistData,
  FashionMnistError,
  type FashionMnistSplit,
  type IdxImages,
  IMAGE_COLS,
  IMAGE_ROWS,
  IMAGE_SIZE,
  IMAGES_MAGIC,
  isGzip,
  LABELS_MAGIC,
  NUM_CLASSES,
  pairSplit,
  parseIdxImages,
  parseIdxLabels,
} from './idx.js';
export {
  type Batch,
  type BatchIterator,
  type BatchOptions,
  balancedSubset,
  balancedSubsetIndices,
  batches,
  computeStatistics,
  type NormalizeMode,
  normalizeImages,
  oneHot,
  type SplitOptions,
  STD_EPSILON,
  type Statistics,
  selectExamples,
  toTensors,
  trainValidationSplit,
} from './prepare.js';
export { gunzipWeb, type LoadFromUrlOptions, loadFashionMnistFromUrl } from './url-loader.js';
