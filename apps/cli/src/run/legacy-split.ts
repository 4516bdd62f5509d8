/**
 * The split of runs made before the one recipe (opt up to 2026-12-05): the class-balanced subset first, then a
 * seeded, stratified validation split of it. `--resume` of such a run continues on its own images.
 */
import {
  balancedSubset,
  computeStatistics,
  type FashionMnistNodeData,
  type FashionMnistSplit,
  type Statistics,
  trainValidationSplit,
} from '@opt/data-fashion-mnist';
import type { TrainConfig } from '../config/knobs.js';
import type { Environment } from './run-dir.js';

/** What a run records of its examples: their counts and the training pixels' statistics. */
export type RecordedDataset = Pick<Environment['dataset'], 'trainCount' | 'validationCount' | 'statistics'>;

/** Whether two runs' examples are the same, as far as the record tells: counts and statistics all equal. */
export function sameExamples(a: RecordedDataset, b: RecordedDataset): boolean {
  return (
    a.trainCount === b.trainCount &&
    a.validationCount === b.validationCount &&
    a.statistics.mean === b.statistics.mean &&
    a.statistics.std === b.statistics.std
  );
}

/**
 * The old order: `balancedSubset(train, perClass, seed)` (or all 60,000), then
 * `trainValidationSplit(pool, { validationFraction, seed, stratified: true })`, then the statistics of the
 * training part. Null when the config cannot be split that way (the old opt refused it too).
 */
export function legacySplit(
  data: FashionMnistNodeData,
  config: Pick<TrainConfig, 'perClass' | 'seed' | 'validationSplit'>,
): { train: FashionMnistSplit; validation: FashionMnistSplit; statistics: Statistics } | null {
  try {
    const pool = config.perClass === null ? data.train : balancedSubset(data.train, config.perClass, config.seed);
    const { train, validation } = trainValidationSplit(pool, {
      validationFraction: config.validationSplit,
      seed: config.seed,
      stratified: true,
    });
    return { train, validation, statistics: computeStatistics(train) };
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
}
