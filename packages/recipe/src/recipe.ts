/** A whole run's setup from its config: one call, so the CLI and the demo cannot build two experiments. */
import type { BatchIterator } from '@opt/data-fashion-mnist';
import type { Sequential } from '@opt/layers';
import type { LearningRateSchedule } from '@opt/schedules';
import type { RecipeConfig } from './config.js';
import { type DatasetSplits, type RunData, resolveBatchSize, splitData, trainingBatches } from './data.js';
import { buildModel, buildOptimizer, buildSchedule, type RunOptimizer } from './model.js';

/** Everything a run trains with; the caller owns (and disposes) the model and the optimizer. */
export interface Recipe {
  readonly data: RunData;
  readonly batchSize: number;
  readonly source: BatchIterator;
  readonly stepsPerEpoch: number;
  /** `stepsPerEpoch * epochs`. */
  readonly totalSteps: number;
  readonly schedule: LearningRateSchedule | null;
  readonly optimizer: RunOptimizer;
  readonly model: Sequential;
}

/** Data split, batches, schedule, optimizer and model of `config`, in that order (each checks its knobs). */
export function buildRecipe(dataset: DatasetSplits, config: RecipeConfig): Recipe {
  const data = splitData(dataset, config);
  const source = trainingBatches(data, config);
  const stepsPerEpoch = source.batchesPerEpoch;
  const totalSteps = stepsPerEpoch * config.epochs;
  const schedule = buildSchedule(config, { stepsPerEpoch, totalSteps });
  const optimizer = buildOptimizer(config, schedule);
  const model = buildModel(config);
  return {
    data,
    batchSize: resolveBatchSize(data, config),
    source,
    stepsPerEpoch,
    totalSteps,
    schedule,
    optimizer,
    model,
  };
}
