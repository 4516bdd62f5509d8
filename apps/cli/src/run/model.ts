/**
 * What a config builds, through the recipe the demo shares (@opt/recipe): the chapter's MLP, the optimizer preset
 * with its knobs, the learning-rate schedule; and an estimate of the memory it all needs (checked before anything
 * is allocated).
 */
import { totalmem } from 'node:os';
import type { Sequential } from '@opt/layers';
import { CATALOG } from '@opt/optimizers';
import {
  type RunOptimizer,
  buildModel as recipeModel,
  buildOptimizer as recipeOptimizer,
  buildSchedule as recipeSchedule,
  type ScheduleSpec,
} from '@opt/recipe';
import type { LearningRateSchedule } from '@opt/schedules';
import { UsageError } from '../cli/errors.js';
import { type OptimizerName, optionKnobKey, type TrainConfig } from '../config/knobs.js';

/** A preset, or a preset wrapped in Lookahead and/or (outermost) the dynamic LossScaleOptimizer: the recipe's. */
export type TrainingOptimizer = RunOptimizer;

/** The catalog's entry of a config's optimizer. */
function entryOf(optimizer: OptimizerName): (typeof CATALOG)[number] {
  return CATALOG.find((e) => e.name === optimizer) as (typeof CATALOG)[number];
}

export const INPUT_UNITS = 784;
export const CLASSES = 10;

/** The chapter's MLP of `--hidden` (and `--batch-norm`), seeded: the recipe's. */
export function buildModel(config: Pick<TrainConfig, 'hidden' | 'batchNorm' | 'seed'>): Sequential {
  return recipeModel(config);
}

/** `Dense(256, relu) -> Dense(128, relu) -> Dense(10, softmax)`. */
export function describeModel(config: Pick<TrainConfig, 'hidden' | 'batchNorm'>): string {
  const hidden = config.hidden.map((u) =>
    config.batchNorm ? `Dense(${u}, useBias: false)-BN-ReLU` : `Dense(${u}, relu)`,
  );
  return [...hidden, 'Dense(10, softmax)'].join(' -> ');
}

/** The recipe's schedule of a config: the CLI's names (`--schedule exponential`) as @opt/schedules' functions. */
export function scheduleSpec(config: TrainConfig): ScheduleSpec {
  const decaySteps = config.decaySteps ?? 'run';
  switch (config.schedule) {
    case 'constant':
    case 'reduce-on-plateau':
      // Reduce-on-plateau is a callback that changes a constant rate.
      return { kind: 'constant' };
    case 'inverse-time':
    case 'exponential':
      return {
        kind: config.schedule === 'inverse-time' ? 'inverseTimeDecay' : 'exponentialDecay',
        decaySteps,
        decayRate: config.decayRate as number,
        staircase: config.staircase === true,
      };
    case 'piecewise-constant':
      return {
        kind: 'piecewiseConstantDecay',
        boundaries: config.boundaries as number[],
        values: config.values as number[],
      };
    case 'polynomial':
      return {
        kind: 'polynomialDecay',
        decaySteps,
        endLearningRate: config.endLearningRate as number,
        power: config.power as number,
        cycle: config.cycle === true,
      };
    case 'cosine':
      return {
        kind: 'cosineDecay',
        decaySteps,
        alpha: config.alpha ?? 0,
        warmupSteps: config.warmupSteps ?? 0,
        warmupFrom: config.warmupFrom ?? 0,
      };
  }
}

/** The schedule a config asks for, or null for a constant rate (reduce-on-plateau changes a constant rate). */
export function buildSchedule(
  config: TrainConfig,
  stepsPerEpoch: number,
  totalSteps: number,
): LearningRateSchedule | null {
  return recipeSchedule(
    { learningRate: config.learningRate, schedule: scheduleSpec(config) },
    { stepsPerEpoch, totalSteps },
  );
}

/**
 * The preset's options from the config: only the catalog's options of its optimizer (presets reject unknown keys);
 * a field a config saved before the option existed lacks is left to the preset's default.
 */
export function optimizerOptions(
  config: TrainConfig,
  learningRate: number | LearningRateSchedule,
): Record<string, unknown> {
  const options: Record<string, unknown> = { learningRate };
  for (const { key } of entryOf(config.optimizer).options) {
    const value = config[optionKnobKey(key) as keyof TrainConfig];
    if (value !== null && value !== undefined) options[key] = value;
  }
  // Keras's base options every preset takes; `?? null` reads a config saved before the knob existed as unset.
  for (const key of [
    'weightDecay',
    'clipnorm',
    'clipvalue',
    'globalClipnorm',
    'gradientAccumulationSteps',
    'lossScaleFactor',
  ] as const) {
    if ((config[key] ?? null) !== null) options[key] = config[key];
  }
  if ((config.excludeLayers ?? null) !== null) options.excludeLayers = config.excludeLayers;
  if (config.ema) {
    options.useEma = true;
    options.emaMomentum = config.emaMomentum;
  }
  options.nonFiniteGradients = { stop: 'throw', skip: 'skip', ignore: 'unchecked' }[config.onNan];
  return options;
}

/** The recipe's optimizer of a config; the presets' argument checks become usage errors. */
export function buildOptimizer(config: TrainConfig, schedule: LearningRateSchedule | null): TrainingOptimizer {
  try {
    return recipeOptimizer(
      {
        optimizer: config.optimizer,
        optimizerOptions: optimizerOptions(config, config.learningRate),
        learningRate: config.learningRate,
        lookahead: config.lookahead
          ? { syncPeriod: config.lookaheadSyncPeriod as number, slowStepSize: config.lookaheadSlowStepSize as number }
          : null,
        lossScale: config.lossScale
          ? { initialScale: config.initialScale as number, dynamicGrowthSteps: config.dynamicGrowthSteps as number }
          : null,
      },
      schedule,
    );
  } catch (error) {
    // The presets validate their arguments with messages that name the argument and its range.
    if (error instanceof RangeError || error instanceof TypeError) throw new UsageError(error.message);
    // The wrappers refuse combinations with a plain Error naming both options (resolve.ts refuses them first).
    if (error instanceof Error && /^(Lookahead|LossScaleOptimizer):/.test(error.message))
      throw new UsageError(error.message);
    throw error;
  }
}

/** Slot tensors per weight: momentum, velocities, accumulators (the catalog's count at the defaults otherwise). */
function slotsPerWeight(config: TrainConfig): number {
  switch (config.optimizer) {
    case 'sgd':
      return config.momentum === 0 ? 0 : 1;
    case 'rmsprop':
      return 1 + (config.centered ? 1 : 0) + (config.momentum === 0 ? 0 : 1);
    case 'adam':
    case 'adamw':
      return 2 + (config.amsgrad ? 1 : 0);
    default:
      return entryOf(config.optimizer).slotsPerParameter;
  }
}

export function parameterCount(hidden: readonly number[], batchNorm: boolean): number {
  let count = 0;
  let inputs = INPUT_UNITS;
  for (const units of hidden) {
    // With batch normalization the Dense has no bias, and BN holds gamma, beta, movingMean, movingVariance.
    count += inputs * units + (batchNorm ? 4 * units : units);
    inputs = units;
  }
  return count + inputs * CLASSES + CLASSES;
}

/**
 * Bytes the run needs at its peak, roughly: per weight the value, its gradient, a transposed copy in the
 * backward pass, the kernel library's packed copy and the optimizer's slots (plus the EMA), and, while a
 * checkpoint is written, two more copies of weights and slots in JavaScript; per example of a batch (or of a
 * 1024-row evaluation batch) the activations forward and backward. A run with --hidden 40000 on wasm
 * peaked at 3.8 GB of resident memory where this says 2.5 GiB.
 */
export function estimateBytes(config: TrainConfig, batchSize: number): number {
  const weights = parameterCount(config.hidden, config.batchNorm);
  // The EMA, Lookahead's slow weights and the accumulated gradients each keep one more copy of every weight.
  const slots =
    slotsPerWeight(config) +
    (config.ema ? 1 : 0) +
    (config.lookahead ? 1 : 0) +
    ((config.gradientAccumulationSteps ?? null) !== null ? 1 : 0);
  const perWeight = 4 + slots + 2 * (1 + slots);
  const rows = Math.max(batchSize, 1024);
  const activations = rows * (INPUT_UNITS + 6 * config.hidden.reduce((a, b) => a + b, CLASSES));
  return 4 * (weights * perWeight + activations);
}

/** What a backend can hold: wasm's 32-bit address space, else most of the machine's memory. */
export function memoryLimit(backend: string): { bytes: number; what: string } {
  if (backend === 'wasm')
    return { bytes: 2 * 2 ** 30, what: "the wasm backend's usable memory (about 2 GiB of its 4 GiB address space)" };
  return {
    bytes: Math.floor(totalmem() * 0.75),
    what: `three quarters of this machine's ${(totalmem() / 2 ** 30).toFixed(0)} GiB`,
  };
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 2 : 1)} GiB`;

/** Refuses a model too large for the backend before any tensor is allocated. */
export function checkMemory(config: TrainConfig, batchSize: number, backend: string): void {
  const need = estimateBytes(config, batchSize);
  const limit = memoryLimit(backend);
  if (need > limit.bytes) {
    const weights = parameterCount(config.hidden, config.batchNorm);
    throw new UsageError(
      `--hidden ${config.hidden.join(',')}: the model has ${weights.toLocaleString('en-US')} weights and training it with ${config.optimizer} needs about ${gib(need)}, more than ${limit.what}. Use narrower layers (the chapter's is 256,128)${backend === 'wasm' ? ' or another --backend' : ''}.`,
      '--hidden',
      config.hidden,
    );
  }
}
