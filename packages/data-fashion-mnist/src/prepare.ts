/**
 * Preparing Fashion-MNIST for training: splits, class-balanced subsets, the
 * chapter's input normalization, one-hot labels and seeded mini-batches.
 * Platform-neutral; the dataset stays as bytes and only batches become float32.
 */
import { Random, tf } from '@opt/tensor';
import { type FashionMnistSplit, IMAGE_SIZE, NUM_CLASSES } from './idx.js';

function checkSplit(data: FashionMnistSplit, what: string): void {
  if (
    !(data?.images instanceof Uint8Array) ||
    !(data.labels instanceof Uint8Array) ||
    data.labels.length !== data.count ||
    data.images.length !== data.count * IMAGE_SIZE
  ) {
    throw new TypeError(
      `${what}: data must be { images: Uint8Array of count * ${IMAGE_SIZE} bytes, labels: Uint8Array of count bytes, count }.`,
    );
  }
}

/** Copies the examples at `indices` (in that order) into a new split. */
export function selectExamples(data: FashionMnistSplit, indices: ArrayLike<number>): FashionMnistSplit {
  const n = indices.length;
  const images = new Uint8Array(n * IMAGE_SIZE);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const j = indices[i] as number;
    images.set(data.images.subarray(j * IMAGE_SIZE, (j + 1) * IMAGE_SIZE), i * IMAGE_SIZE);
    labels[i] = data.labels[j] as number;
  }
  return { images, labels, count: n };
}

/** The indices of each class's examples, in dataset order. */
function indicesByClass(labels: Uint8Array): number[][] {
  const byClass: number[][] = Array.from({ length: NUM_CLASSES }, () => []);
  for (let i = 0; i < labels.length; i++) (byClass[labels[i] as number] as number[]).push(i);
  return byClass;
}

/** Options of {@link trainValidationSplit}. */
export interface SplitOptions {
  /** Fraction of the examples held out, in (0, 1). Give this or `validationCount`. */
  validationFraction?: number;
  /** Number of examples held out. */
  validationCount?: number;
  /** Seed of the shuffle that picks the held-out examples (default 0). */
  seed?: number;
  /**
   * Hold out the same fraction of every class (default `false`): each class
   * gives `floor(n_c * v / n)` examples and the remainder goes to the classes
   * with the largest fractional parts (ties to the smaller label), so the
   * total is exactly `v`.
   */
  stratified?: boolean;
}

/**
 * Splits `data` into training and validation sets, seeded. Both keep the
 * shuffled order of the pick; the inputs are copied (bytes), not converted.
 */
export function trainValidationSplit(
  data: FashionMnistSplit,
  options: SplitOptions,
): { train: FashionMnistSplit; validation: FashionMnistSplit } {
  checkSplit(data, 'trainValidationSplit');
  const { validationFraction, validationCount } = options;
  let v: number;
  if (validationCount !== undefined && validationFraction === undefined) {
    if (!Number.isInteger(validationCount) || validationCount <= 0 || validationCount >= data.count) {
      throw new RangeError(
        `trainValidationSplit: validationCount must be an integer in [1, ${data.count - 1}], got ${String(validationCount)}.`,
      );
    }
    v = validationCount;
  } else if (validationFraction !== undefined && validationCount === undefined) {
    if (typeof validationFraction !== 'number' || !(validationFraction > 0 && validationFraction < 1)) {
      throw new RangeError(
        `trainValidationSplit: validationFraction must be a number in (0, 1), got ${String(validationFraction)}.`,
      );
    }
    v = Math.round(data.count * validationFraction);
    if (v === 0 || v === data.count) {
      throw new RangeError(
        `trainValidationSplit: validationFraction ${validationFraction} of ${data.count} examples leaves an empty set.`,
      );
    }
  } else {
    throw new TypeError('trainValidationSplit: give exactly one of validationFraction and validationCount.');
  }
  const random = new Random(options.seed ?? 0);
  let validation: number[];
  let train: number[];
  if (options.stratified === true) {
    const byClass = indicesByClass(data.labels);
    const exact = byClass.map((idx) => (idx.length * v) / data.count);
    const take = exact.map(Math.floor);
    let left = v - take.reduce((a, b) => a + b, 0);
    const order = exact.map((e, c) => [e - Math.floor(e), c] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    for (const [, c] of order) {
      if (left === 0) break;
      take[c] = (take[c] as number) + 1;
      left--;
    }
    validation = [];
    train = [];
    byClass.forEach((idx, c) => {
      random.shuffle(idx);
      validation.push(...idx.slice(0, take[c]));
      train.push(...idx.slice(take[c]));
    });
    random.shuffle(validation);
    random.shuffle(train);
  } else {
    const perm = Array.from(random.permutation(data.count));
    validation = perm.slice(0, v);
    train = perm.slice(v);
  }
  return { train: selectExamples(data, train), validation: selectExamples(data, validation) };
}

/**
 * `perClass` examples of every class, picked and ordered by a seeded shuffle:
 * a small, balanced set for quick runs.
 */
export function balancedSubset(data: FashionMnistSplit, perClass: number, seed = 0): FashionMnistSplit {
  checkSplit(data, 'balancedSubset');
  return selectExamples(data, balancedSubsetIndices(data.labels, perClass, seed));
}

/**
 * The indices (into `labels`) of the examples {@link balancedSubset} picks, in
 * its order: `perClass` of every class, so a caller can record or compare the
 * subset without comparing images.
 */
export function balancedSubsetIndices(labels: Uint8Array, perClass: number, seed = 0): number[] {
  const byClass = indicesByClass(labels);
  const fewest = Math.min(...byClass.map((idx) => idx.length));
  if (!Number.isInteger(perClass) || perClass < 1 || perClass > fewest) {
    throw new RangeError(
      `balancedSubset: perClass must be an integer in [1, ${fewest}] (the smallest class has ${fewest} examples), got ${String(perClass)}.`,
    );
  }
  const random = new Random(seed);
  const picked: number[] = [];
  for (const idx of byClass) picked.push(...random.shuffle(idx).slice(0, perClass));
  return random.shuffle(picked);
}

/**
 * Standardization statistics, in rescaled units (pixel / 255). `mean` and `std`
 * have one value (`global`) or 784 (`pixel`).
 */
export interface Statistics {
  readonly axis: 'global' | 'pixel';
  readonly mean: Float64Array;
  readonly std: Float64Array;
}

/**
 * Mean and population standard deviation of the pixels of `data` (pass the
 * training split only), in units of pixel / 255:
 *
 *   mean = Σ x / (N·255),  std = sqrt(Σ x² / (N·255²) − mean²)
 *
 * over all pixels (`axis: 'global'`, the default: like Keras's
 * `Normalization(axis=None).adapt` on the rescaled images) or per pixel position
 * (`axis: 'pixel'`: like `Normalization()` adapted on flattened [N, 784] images).
 * Sums of bytes are exact integers in float64.
 */
export function computeStatistics(data: FashionMnistSplit, options: { axis?: 'global' | 'pixel' } = {}): Statistics {
  checkSplit(data, 'computeStatistics');
  const axis = options.axis ?? 'global';
  if (axis !== 'global' && axis !== 'pixel') {
    throw new RangeError(`computeStatistics: axis must be 'global' or 'pixel', got ${JSON.stringify(axis)}.`);
  }
  if (data.count === 0) throw new RangeError('computeStatistics: data has no examples.');
  const sum = new Float64Array(IMAGE_SIZE);
  const sumSq = new Float64Array(IMAGE_SIZE);
  const { images } = data;
  for (let i = 0; i < data.count; i++) {
    const base = i * IMAGE_SIZE;
    for (let p = 0; p < IMAGE_SIZE; p++) {
      const x = images[base + p] as number;
      sum[p] = (sum[p] as number) + x;
      sumSq[p] = (sumSq[p] as number) + x * x;
    }
  }
  const moments = (s: number, s2: number, n: number) => {
    const mean = s / (n * 255);
    return [mean, Math.sqrt(Math.max(0, s2 / (n * 255 * 255) - mean * mean))] as const;
  };
  if (axis === 'global') {
    const [m, sd] = moments(
      sum.reduce((a, b) => a + b, 0),
      sumSq.reduce((a, b) => a + b, 0),
      data.count * IMAGE_SIZE,
    );
    return { axis, mean: Float64Array.of(m), std: Float64Array.of(sd) };
  }
  const mean = new Float64Array(IMAGE_SIZE);
  const std = new Float64Array(IMAGE_SIZE);
  for (let p = 0; p < IMAGE_SIZE; p++) [mean[p], std[p]] = moments(sum[p] as number, sumSq[p] as number, data.count);
  return { axis, mean, std };
}

/** Keras's floor on the standard deviation in `Normalization` (`backend.epsilon()`). */
export const STD_EPSILON = 1e-7;

/** How batches are normalized: `none` (0..255), `rescale` (x / 255) or `standardize` ((x / 255 − mean) / std). */
export type NormalizeMode = 'none' | 'rescale' | 'standardize';

/**
 * Converts images (bytes, 784 per image) to float32 with `mode`:
 * `rescale` is Keras's `Rescaling(1/255)`; `standardize` is
 * `(x/255 − mean) / max(std, 1e-7)` as Keras's `Normalization`.
 */
export function normalizeImages(
  images: Uint8Array,
  mode: NormalizeMode,
  statistics?: Statistics,
  out = new Float32Array(images.length),
): Float32Array {
  if (mode === 'none') {
    for (let i = 0; i < images.length; i++) out[i] = images[i] as number;
    return out;
  }
  if (mode === 'rescale') {
    for (let i = 0; i < images.length; i++) out[i] = (images[i] as number) / 255;
    return out;
  }
  if (mode !== 'standardize') {
    throw new RangeError(`normalize must be 'none', 'rescale' or 'standardize', got ${JSON.stringify(mode)}.`);
  }
  if (statistics === undefined) {
    throw new TypeError("normalize: 'standardize' needs statistics: pass computeStatistics(trainSplit).");
  }
  // Per-pixel affine maps x -> x * scale + shift, folded once.
  const n = statistics.mean.length;
  const scale = new Float64Array(n);
  const shift = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    const s = Math.max(statistics.std[p] as number, STD_EPSILON);
    scale[p] = 1 / (255 * s);
    shift[p] = -(statistics.mean[p] as number) / s;
  }
  if (n === 1) {
    const a = scale[0] as number;
    const b = shift[0] as number;
    for (let i = 0; i < images.length; i++) out[i] = (images[i] as number) * a + b;
  } else {
    for (let i = 0; i < images.length; i++) {
      const p = i % IMAGE_SIZE;
      out[i] = (images[i] as number) * (scale[p] as number) + (shift[p] as number);
    }
  }
  return out;
}

/** One-hot float32 labels `[n, numClasses]` (Keras's `to_categorical`). */
export function oneHot(labels: ArrayLike<number>, numClasses = NUM_CLASSES): tf.Tensor2D {
  const n = labels.length;
  const out = new Float32Array(n * numClasses);
  for (let i = 0; i < n; i++) {
    const c = labels[i] as number;
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) {
      throw new RangeError(`oneHot: label ${c} at index ${i} is not in [0, ${numClasses - 1}].`);
    }
    out[i * numClasses + c] = 1;
  }
  return tf.tensor2d(out, [n, numClasses], 'float32');
}

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
