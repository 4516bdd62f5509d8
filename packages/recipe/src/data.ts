/**
 * The data of a run: Keras's validation split of the training images first, then the class-balanced subset of
 * what is left, then the normalization statistics of the training examples only.
 */
import {
  type BatchIterator,
  balancedSubsetIndices,
  batches,
  computeStatistics,
  type FashionMnistSplit,
  type NormalizeMode,
  type Statistics,
  selectExamples,
} from '@opt/data-fashion-mnist';
import type { DataConfig, RecipeConfig } from './config.js';

/** The training and test images of the dataset (either loader's result). */
export interface DatasetSplits {
  readonly train: FashionMnistSplit;
  readonly test: FashionMnistSplit;
}

/** A run's examples, and where each came from in the dataset's training images. */
export interface RunData {
  readonly train: FashionMnistSplit;
  readonly validation: FashionMnistSplit;
  readonly test: FashionMnistSplit;
  /** Indices into the dataset's training images, in the order of `train` and `validation`. */
  readonly indices: { readonly train: readonly number[]; readonly validation: readonly number[] };
  /** Mean and std of the rescaled training pixels (of `train` only: validation and test stay unseen). */
  readonly statistics: Statistics;
  /** What the batch iterator and toTensors need for the chosen normalization. */
  readonly normalization: { normalize: NormalizeMode; statistics?: Statistics };
}

/**
 * Where Keras's `validationSplit` cuts `count` examples: the first `floor(count * (1 - validationSplit))` train,
 * the rest validate (Keras 3's `train_validation_split`). A cut that leaves either side empty is a RangeError.
 */
export function validationCut(count: number, validationSplit: number): number {
  if (typeof validationSplit !== 'number' || !(validationSplit > 0 && validationSplit < 1)) {
    throw new RangeError(`validationSplit must be a number in (0, 1), got ${String(validationSplit)}.`);
  }
  const cut = Math.floor(count * (1 - validationSplit));
  if (cut === 0 || cut === count) {
    throw new RangeError(
      `validationSplit ${validationSplit} of ${count} training images holds out ${count - cut} for validation, leaving ${cut === count ? 'no validation set' : 'nothing to train on'}: use a fraction between 1/${count} and ${count - 1}/${count}.`,
    );
  }
  return cut;
}

/**
 * Splits, then subsets: validation is the last `validationSplit` of the dataset's training images (what Keras's
 * `fit(x, y, validationSplit)` holds out), and training is `perClass` images of every class from the rest, picked
 * by the seed, or all of the rest in dataset order. The validation images are the same whatever the subset.
 */
export function splitData(dataset: DatasetSplits, config: DataConfig): RunData {
  const cut = validationCut(dataset.train.count, config.validationSplit);
  const validation = Array.from({ length: dataset.train.count - cut }, (_, i) => cut + i);
  // The subset's indices into the first `cut` labels are the dataset's indices too: the kept part is a prefix.
  const train =
    config.perClass === null
      ? Array.from({ length: cut }, (_, i) => i)
      : balancedSubsetIndices(dataset.train.labels.subarray(0, cut), config.perClass, config.seed);
  const trainSplit = selectExamples(dataset.train, train);
  const statistics = computeStatistics(trainSplit);
  return {
    train: trainSplit,
    validation: selectExamples(dataset.train, validation),
    test: dataset.test,
    indices: { train, validation },
    statistics,
    normalization:
      config.normalize === 'standardize'
        ? { normalize: config.normalize, statistics }
        : { normalize: config.normalize },
  };
}

/** The batch size a config asks for: `full` is the whole training set. */
export function resolveBatchSize(data: Pick<RunData, 'train'>, config: Pick<RecipeConfig, 'batchSize'>): number {
  return config.batchSize === 'full' ? data.train.count : config.batchSize;
}

/** The training mini-batches, shuffled each epoch by the seed. */
export function trainingBatches(data: RunData, config: Pick<RecipeConfig, 'batchSize' | 'seed'>): BatchIterator {
  return batches(data.train, { batchSize: resolveBatchSize(data, config), seed: config.seed, ...data.normalization });
}
