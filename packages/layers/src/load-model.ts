/**
 * Keras's `load_model`: a Sequential rebuilt from a checkpoint, compiled and ready to continue `fit`.
 */
import { type Optimizer, optimizerFromConfig } from '@opt/optimizers';
import { type ScheduleConfig, scheduleFromConfig } from '@opt/schedules';
import { readCheckpoint, restoreCheckpoint } from './checkpoint.js';
import { type CheckpointTarget, toStore } from './checkpoint-target.js';
import {
  categoricalCrossentropy,
  getLoss,
  type Loss,
  type LossName,
  type MetricName,
  sparseCategoricalCrossentropy,
} from './losses.js';
import { Sequential } from './sequential.js';
import { knownOptions } from './validate.js';

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /** The optimizer to compile with instead of the one rebuilt from the checkpoint (its slots must fit). */
  readonly optimizer?: Optimizer;
  /** false: the architecture and weights alone, not compiled. Default true. */
  readonly compile?: boolean;
}

/**
 * Rebuilds a model from a checkpoint: the architecture, the weights, the saved loss and metrics, and the saved
 * optimizer with its state, rebuilt from its config (presets of @opt/optimizers, learning-rate schedules of
 * @opt/schedules); pass `optimizer` to supply one yourself (needed for one assembled with `fromTransformation`),
 * or `compile: false` for the weights alone. `model.epochsCompleted` is then the epoch to resume at.
 */
export async function loadModel(target: CheckpointTarget, options: LoadModelOptions = {}): Promise<Sequential> {
  knownOptions('loadModel', options, ['optimizer', 'compile']);
  const store = toStore(target);
  const checkpoint = await readCheckpoint(store);
  const { json } = checkpoint;
  const model = Sequential.fromConfig(json.model);
  const optimizer =
    options.optimizer ??
    (options.compile !== false && json.optimizer !== null && json.compile !== null
      ? rebuildOptimizer(json.optimizer, store.description)
      : undefined);
  if (optimizer !== undefined && options.compile !== false) {
    const compile = json.compile;
    if (compile === null) throw new Error(`Checkpoint ${store.description} has no compile config to compile with.`);
    model.compile({
      optimizer,
      loss: lossFromConfig(compile.loss as { name: LossName; fromLogits: boolean }),
      metrics: compile.metrics as MetricName[],
    });
  }
  await restoreCheckpoint(model, checkpoint, store.description);
  return model;
}

function rebuildOptimizer(saved: { className: string; config: Record<string, unknown> }, where: string): Optimizer {
  try {
    return optimizerFromConfig(saved, { schedule: (config) => scheduleFromConfig(config as ScheduleConfig) });
  } catch (error) {
    throw new Error(
      `Checkpoint ${where} was saved with the optimizer ${saved.className}, which loadModel cannot rebuild from its config ` +
        `(${(error as Error).message}). Pass loadModel(target, { optimizer }) with an optimizer of that kind, ` +
        'or { compile: false } to load the weights alone.',
      { cause: error },
    );
  }
}

function lossFromConfig(config: { name: LossName; fromLogits: boolean }): Loss {
  const fromLogits = config.fromLogits === true;
  switch (config.name) {
    case 'categoricalCrossentropy':
      return categoricalCrossentropy({ fromLogits });
    case 'sparseCategoricalCrossentropy':
      return sparseCategoricalCrossentropy({ fromLogits });
    default:
      return getLoss(config.name);
  }
}
