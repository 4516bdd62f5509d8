/**
 * What a config builds: the chapter's MLP, the optimizer preset with its knobs, the learning-rate schedule,
 * and an estimate of the memory it all needs (checked before anything is allocated).
 */
import { totalmem } from 'node:os';
import { BatchNormalization, Dense, type Layer, ReLU, Sequential } from '@opt/layers';
import { CATALOG, type GradientTransformationOptimizer, Lookahead, LossScaleOptimizer, PRESETS } from '@opt/optimizers';
import {
  cosineDecay,
  exponentialDecay,
  inverseTimeDecay,
  type LearningRateSchedule,
  piecewiseConstantDecay,
  polynomialDecay,
} from '@opt/schedules';
import { UsageError } from '../cli/errors.js';
import { type DecaySteps, type OptimizerName, optionKnobKey, type TrainConfig } from '../config/knobs.js';

/** A preset, or a preset wrapped in Lookahead and/or (outermost) the dynamic LossScaleOptimizer. */
export type TrainingOptimizer = GradientTransformationOptimizer | LossScaleOptimizer;

/** The catalog's entry of a config's optimizer. */
function entryOf(optimizer: OptimizerName): (typeof CATALOG)[number] {
  return CATALOG.find((e) => e.name === optimizer) as (typeof CATALOG)[number];
}

export const INPUT_UNITS = 784;
export const CLASSES = 10;

export function buildModel(config: Pick<TrainConfig, 'hidden' | 'batchNorm' | 'seed'>): Sequential {
  const layers: Layer[] = [];
  for (const units of config.hidden) {
    if (config.batchNorm) layers.push(new Dense({ units, useBias: false }), new BatchNormalization(), new ReLU());
    else layers.push(new Dense({ units, activation: 'relu' }));
  }
  layers.push(new Dense({ units: CLASSES, activation: 'softmax' }));
  return new Sequential(layers, { inputShape: [INPUT_UNITS], seed: config.seed });
}

/** `Dense(256, relu) -> Dense(128, relu) -> Dense(10, softmax)`. */
export function describeModel(config: Pick<TrainConfig, 'hidden' | 'batchNorm'>): string {
  const hidden = config.hidden.map((u) =>
    config.batchNorm ? `Dense(${u}, useBias: false)-BN-ReLU` : `Dense(${u}, relu)`,
  );
  return [...hidden, 'Dense(10, softmax)'].join(' -> ');
}

function steps(value: DecaySteps | null, stepsPerEpoch: number, runSteps: number): number {
  if (value === 'epoch') return stepsPerEpoch;
  if (value === 'run' || value === null) return Math.max(1, runSteps);
  return value;
}

/** The schedule a config asks for, or null for a constant rate (reduce-on-plateau changes a constant rate). */
export function buildSchedule(
  config: TrainConfig,
  stepsPerEpoch: number,
  totalSteps: number,
): LearningRateSchedule | null {
  const lr = config.learningRate;
  switch (config.schedule) {
    case 'constant':
    case 'reduce-on-plateau':
      return null;
    case 'inverse-time':
      return inverseTimeDecay({
        initialLearningRate: lr,
        decaySteps: steps(config.decaySteps, stepsPerEpoch, totalSteps),
        decayRate: config.decayRate as number,
        staircase: config.staircase === true,
      });
    case 'exponential':
      return exponentialDecay({
        initialLearningRate: lr,
        decaySteps: steps(config.decaySteps, stepsPerEpoch, totalSteps),
        decayRate: config.decayRate as number,
        staircase: config.staircase === true,
      });
    case 'piecewise-constant':
      return piecewiseConstantDecay({ boundaries: config.boundaries as number[], values: config.values as number[] });
    case 'polynomial':
      return polynomialDecay({
        initialLearningRate: lr,
        decaySteps: steps(config.decaySteps, stepsPerEpoch, totalSteps),
        endLearningRate: config.endLearningRate as number,
        power: config.power as number,
        cycle: config.cycle === true,
      });
    case 'cosine': {
      const warmup = config.warmupSteps ?? 0;
      // Keras's CosineDecay with warmup ramps from initialLearningRate to warmupTarget, then decays from there.
      return cosineDecay({
        initialLearningRate: warmup > 0 ? (config.warmupFrom ?? 0) : lr,
        decaySteps: steps(config.decaySteps, stepsPerEpoch, totalSteps - warmup),
        alpha: config.alpha ?? 0,
        ...(warmup > 0 ? { warmupTarget: lr, warmupSteps: warmup } : {}),
      });
    }
  }
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

export function buildOptimizer(config: TrainConfig, schedule: LearningRateSchedule | null): TrainingOptimizer {
  const Preset = PRESETS[entryOf(config.optimizer).className] as new (
    options: Record<string, unknown>,
  ) => GradientTransformationOptimizer;
  try {
    const preset = new Preset(optimizerOptions(config, schedule ?? config.learningRate));
    // Lookahead wraps the preset's step; the loss scale wraps everything, as it must see the gradients first.
    const inner = config.lookahead
      ? new Lookahead(preset, {
          syncPeriod: config.lookaheadSyncPeriod as number,
          slowStepSize: config.lookaheadSlowStepSize as number,
        })
      : preset;
    if (!config.lossScale) return inner;
    return new LossScaleOptimizer(inner, {
      initialScale: config.initialScale as number,
      dynamicGrowthSteps: config.dynamicGrowthSteps as number,
    });
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
