/**
 * A split as tensors: whole (small evaluation sets) or in seeded mini-batches that stream batch by batch, the
 * dataset staying bytes and only each batch becoming float32.
 */
import { Random, tf } from '@opt/tensor';
import { type FashionMnistSplit, IMAGE_SIZE } from './idx.js';
import { type NormalizeMode, normalizeImages, oneHot, type Statistics } from './normalize.js';
import { checkSplit } from './split.js';

/** A whole (small) split as tensors: `x` [n, 784] float32 and `y` labels. For evaluation sets; for training use {@link batches}. */
export function toTensors(
  data: FashionMnistSplit,
  options: { normalize?: NormalizeMode; statistics?: Statistics; oneHot?: boolean } = {},
): { x: tf.Tensor2D; y: tf.Tensor } {
  checkSplit(data, 'toTensors');
  const x = tf.tensor2d(
    normalizeImages(data.images, options.normalize ?? 'rescale', options.statistics),
    [data.count, IMAGE_SIZE],
    'float32',
  );
  const y = options.oneHot === true ? oneHot(data.labels) : tf.tensor1d(Int32Array.from(data.labels), 'int32');
  return { x, y };
}

/** One mini-batch. The consumer owns `x` and `y` and must dispose them. */
export interface Batch {
  /** Images, `[size, 784]` float32, normalized. */
  readonly x: tf.Tensor2D;
  /** Labels: int32 `[size]`, or float32 one-hot `[size, 10]` with `oneHot: true`. */
  readonly y: tf.Tensor;
  /** Examples in this batch (the last one may be smaller unless `dropRemainder`). */
  readonly size: number;
}

/** Options of {@link batches}. */
export interface BatchOptions {
  /** Examples per batch; the last batch of an epoch is smaller unless `dropRemainder`. */
  batchSize: number;
  /** Shuffle each epoch (default `true`). */
  shuffle?: boolean;
  /** Seed of the shuffles (default 0). */
  seed?: number;
  /** The epoch iterating the object itself yields (default 0). */
  epoch?: number;
  /** Default `rescale`. */
  normalize?: NormalizeMode;
  /** Needed for `normalize: 'standardize'`: `computeStatistics(train)`. */
  statistics?: Statistics;
  /** Labels one-hot float32 `[b, 10]` instead of int32 `[b]` (default `false`). */
  oneHot?: boolean;
  /** Drop the last, smaller batch (default `false`). */
  dropRemainder?: boolean;
}

/**
 * Seeded mini-batches, in the shape `@opt/layers`' `fit` takes as a data source:
 * `batchesPerEpoch` and `batches(epoch)`. Iterating the object itself (sync or
 * async) yields the batches of `options.epoch`.
 */
export interface BatchIterator extends AsyncIterable<Batch>, Iterable<Batch> {
  readonly batchesPerEpoch: number;
  readonly batchSize: number;
  /** Examples per epoch (`batchesPerEpoch * batchSize` with `dropRemainder`). */
  readonly examplesPerEpoch: number;
  /** The batches of `epoch` (0-based); usable with `for` and `for await`. */
  batches(epoch: number): Iterable<Batch> & AsyncIterable<Batch>;
  /** The example order of `epoch`: a function of the seed and the epoch only. */
  order(epoch: number): Int32Array;
}

/**
 * A seeded, shuffling mini-batch iterator over `data`.
 *
 * Memory: the dataset stays a `Uint8Array`; each batch allocates one
 * `[batchSize, 784]` float32 buffer, fills it from the bytes with the
 * normalization, and uploads it. Nothing the size of the dataset is converted.
 * The order of epoch `e` is `Random.epochPermutation(seed, e, count)` (@opt/tensor),
 * the same as @opt/layers' `fit` uses, so a run resumed at epoch `e` sees the same order.
 * Each batch's tensors belong to the consumer: dispose `x` and `y` after the
 * step (`@opt/layers`' `fit` does).
 */
export function batches(data: FashionMnistSplit, options: BatchOptions): BatchIterator {
  checkSplit(data, 'batches');
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batches: batchSize must be a positive integer, got ${String(batchSize)}.`);
  }
  const shuffle = options.shuffle ?? true;
  const seed = options.seed ?? 0;
  new Random(seed); // validates the seed now rather than at the first epoch
  const normalize = options.normalize ?? 'rescale';
  if (normalize !== 'none' && normalize !== 'rescale' && normalize !== 'standardize') {
    throw new RangeError(
      `batches: normalize must be 'none', 'rescale' or 'standardize', got ${JSON.stringify(normalize)}.`,
    );
  }
  if (normalize === 'standardize' && options.statistics === undefined) {
    throw new TypeError("batches: normalize 'standardize' needs statistics: pass computeStatistics(trainSplit).");
  }
  const dropRemainder = options.dropRemainder ?? false;
  const batchesPerEpoch = dropRemainder ? Math.floor(data.count / batchSize) : Math.ceil(data.count / batchSize);
  if (batchesPerEpoch === 0) {
    throw new RangeError(`batches: ${data.count} examples make no batch of ${batchSize} with dropRemainder.`);
  }
  const checkEpoch = (epoch: number) => {
    if (!Number.isInteger(epoch) || epoch < 0) {
      throw new RangeError(`batches: epoch must be a non-negative integer, got ${String(epoch)}.`);
    }
  };
  const defaultEpoch = options.epoch ?? 0;
  checkEpoch(defaultEpoch);

  const order = (epoch: number): Int32Array => {
    checkEpoch(epoch);
    if (!shuffle) return Int32Array.from({ length: data.count }, (_, i) => i);
    return Random.epochPermutation(seed, epoch, data.count);
  };

  function* epochBatches(epoch: number): Generator<Batch> {
    const idx = order(epoch);
    for (let b = 0; b < batchesPerEpoch; b++) {
      const start = b * batchSize;
      const size = Math.min(batchSize, data.count - start);
      const bytes = new Uint8Array(size * IMAGE_SIZE);
      const labels = new Uint8Array(size);
      for (let i = 0; i < size; i++) {
        const j = idx[start + i] as number;
        bytes.set(data.images.subarray(j * IMAGE_SIZE, (j + 1) * IMAGE_SIZE), i * IMAGE_SIZE);
        labels[i] = data.labels[j] as number;
      }
      const x = tf.tensor2d(normalizeImages(bytes, normalize, options.statistics), [size, IMAGE_SIZE], 'float32');
      const y = options.oneHot === true ? oneHot(labels) : tf.tensor1d(Int32Array.from(labels), 'int32');
      yield { x, y, size };
    }
  }

  const iterableFor = (epoch: number): Iterable<Batch> & AsyncIterable<Batch> => {
    checkEpoch(epoch);
    return {
      [Symbol.iterator]: () => epochBatches(epoch),
      async *[Symbol.asyncIterator]() {
        yield* epochBatches(epoch);
      },
    };
  };

  return {
    batchesPerEpoch,
    batchSize,
    examplesPerEpoch: dropRemainder ? batchesPerEpoch * batchSize : data.count,
    batches: iterableFor,
    order,
    [Symbol.iterator]: () => epochBatches(defaultEpoch),
    async *[Symbol.asyncIterator]() {
      yield* epochBatches(defaultEpoch);
    },
  };
}
