/**
 * Keras's data adapter: whatever `fit` and `evaluate` are given becomes a {@link BatchSource}, so that one loop
 * serves tensors and streamed batches alike.
 */
import { Random, type tf } from '@opt/tensor';
import { gatherRows } from './ops/index.js';
import { show } from './validate.js';

/** One batch of a {@link BatchSource}. */
export interface Batch {
  readonly x: tf.Tensor;
  readonly y: tf.Tensor;
}

/**
 * Batches streamed from elsewhere (e.g. @opt/data-fashion-mnist's batch iterator) instead of whole tensors.
 * `fit` asks for one iterable per epoch and disposes each batch's `x` and `y` after its step; the source does
 * the shuffling.
 */
export interface BatchSource {
  /** Number of batches each epoch yields (for progress and `onBatchEnd` counts). */
  readonly batchesPerEpoch: number;
  /** The batches of epoch `epoch` (0-based). */
  batches(epoch: number): AsyncIterable<Batch> | Iterable<Batch>;
}

export function isBatchSource(value: unknown): value is BatchSource {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as BatchSource).batches === 'function' &&
    typeof (value as BatchSource).batchesPerEpoch === 'number'
  );
}

/** Throws when a source's `batchesPerEpoch` is not a whole number of batches. */
export function checkBatchSource(source: BatchSource): void {
  if (!Number.isSafeInteger(source.batchesPerEpoch) || source.batchesPerEpoch < 1) {
    throw new RangeError(
      `fit: \`source.batchesPerEpoch\` must be an integer >= 1, got ${show(source.batchesPerEpoch)}.`,
    );
  }
}

/** Options of {@link tensorBatches}. */
export interface TensorBatchesOptions {
  readonly batchSize: number;
  /** The rows used: [start, end) of x and y. Default all. */
  readonly start?: number;
  readonly end?: number;
  /** Shuffle every epoch by `Random.epochPermutation(seed, epoch, rows)`. Default false. */
  readonly shuffle?: boolean;
  readonly seed?: number;
}

/**
 * Rows [start, end) of `x` and `y` as batches of `batchSize` (the last one smaller), in order or in epoch
 * `e`'s permutation, which depends on `(seed, e)` only so that a resumed run repeats it. The dataset is never
 * copied: each batch gathers its own rows, and belongs to the consumer.
 */
export function tensorBatches(x: tf.Tensor, y: tf.Tensor, options: TensorBatchesOptions): BatchSource {
  const { batchSize, shuffle = false, seed = 0 } = options;
  const start = options.start ?? 0;
  const rows = (options.end ?? (x.shape[0] as number)) - start;
  return {
    batchesPerEpoch: Math.ceil(rows / batchSize),
    *batches(epoch: number): Iterable<Batch> {
      const order = shuffle ? Random.epochPermutation(seed, epoch, rows) : null;
      for (let first = 0; first < rows; first += batchSize) {
        const size = Math.min(batchSize, rows - first);
        const indices =
          order === null
            ? Int32Array.from({ length: size }, (_, i) => start + first + i)
            : order.subarray(first, first + size).map((i) => i + start);
        yield { x: gatherRows(x, indices, { forMatMul: true }), y: gatherRows(y, indices) };
      }
    },
  };
}

/**
 * fit(x, y)'s sources: the validation split held out from the END before any shuffling (Keras:
 * `split_at = ceil(n * (1 - split))`), the training part shuffled per epoch.
 */
export function splitBatches(
  x: tf.Tensor,
  y: tf.Tensor,
  options: { batchSize: number; validationSplit: number; shuffle: boolean; seed: number },
): { train: BatchSource; validation: BatchSource | null; trainRows: number } {
  const { batchSize, validationSplit: split, shuffle, seed } = options;
  const n = x.shape[0] as number;
  const trainRows = split > 0 ? Math.ceil(n * (1 - split)) : n;
  if (split > 0 && (trainRows === n || trainRows === 0)) {
    throw new RangeError(`fit: validationSplit ${split} of ${n} samples leaves an empty training or validation set.`);
  }
  return {
    train: tensorBatches(x, y, { batchSize, end: trainRows, shuffle, seed }),
    validation: trainRows < n ? tensorBatches(x, y, { batchSize, start: trainRows, end: n }) : null,
    trainRows,
  };
}
