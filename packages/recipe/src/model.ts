/** What a config builds besides its data: the chapter's MLP, the learning-rate schedule and the optimizer preset. */
import { IMAGE_SIZE, NUM_CLASSES } from '@opt/data-fashion-mnist';
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
import type { DecaySteps, ModelConfig, OptimizerConfig } from './config.js';

/**
 * The chapter's MLP: 784 -> hidden... -> 10 softmax, each hidden layer Dense(relu), or
 * Dense(useBias: false) -> BatchNormalization -> ReLU with `batchNorm`; weights initialized from `seed`.
 */
export function buildModel(config: ModelConfig): Sequential {
  const layers: Layer[] = [];
  for (const units of config.hidden) {
    if (config.batchNorm) layers.push(new Dense({ units, useBias: false }), new BatchNormalization(), new ReLU());
    else layers.push(new Dense({ units, activation: 'relu' }));
  }
  layers.push(new Dense({ units: NUM_CLASSES, activation: 'softmax' }));
  return new Sequential(layers, { inputShape: [IMAGE_SIZE], seed: config.seed });
}

/** How many optimizer steps a run takes: what `epoch` and `run` decay steps stand for. */
export interface RunSteps {
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
}

function decaySteps(value: DecaySteps, steps: RunSteps | undefined, runSteps = steps?.totalSteps): number {
  if (typeof value === 'number') return value;
  if (steps === undefined || runSteps === undefined) {
    throw new TypeError(`decaySteps '${value}' needs the run's steps per epoch and total steps: pass them.`);
  }
  return value === 'epoch' ? steps.stepsPerEpoch : Math.max(1, runSteps);
}

/**
 * The schedule a config asks for, or null for a constant rate. `steps` resolves `epoch` and `run` decay steps;
 * with warmup, Keras's CosineDecay ramps from `warmupFrom` to `learningRate`, then decays over the other steps.
 */
export function buildSchedule(
  config: Pick<OptimizerConfig, 'learningRate' | 'schedule'>,
  steps?: RunSteps,
): LearningRateSchedule | null {
  const lr = config.learningRate;
  const s = config.schedule;
  switch (s.kind) {
    case 'constant':
      return null;
    case 'inverseTimeDecay':
    case 'exponentialDecay':
      return (s.kind === 'inverseTimeDecay' ? inverseTimeDecay : exponentialDecay)({
        initialLearningRate: lr,
        decaySteps: decaySteps(s.decaySteps, steps),
        decayRate: s.decayRate,
        staircase: s.staircase,
      });
    case 'piecewiseConstantDecay':
      return piecewiseConstantDecay({ boundaries: s.boundaries, values: s.values });
    case 'polynomialDecay':
      return polynomialDecay({
        initialLearningRate: lr,
        decaySteps: decaySteps(s.decaySteps, steps),
        endLearningRate: s.endLearningRate,
        power: s.power,
        cycle: s.cycle,
      });
    case 'cosineDecay': {
      const warmup = s.warmupSteps;
      return cosineDecay({
        initialLearningRate: warmup > 0 ? s.warmupFrom : lr,
        decaySteps: decaySteps(s.decaySteps, steps, steps === undefined ? undefined : steps.totalSteps - warmup),
        alpha: s.alpha,
        ...(warmup > 0 ? { warmupTarget: lr, warmupSteps: warmup } : {}),
      });
    }
  }
}

/** A preset, or a preset wrapped in Lookahead and/or (outermost) the dynamic LossScaleOptimizer. */
export type RunOptimizer = GradientTransformationOptimizer | LossScaleOptimizer;

/**
 * The catalog's preset with the config's options and the schedule (or the constant `learningRate`), wrapped as
 * the config asks. The presets check their options: a bad one is their RangeError or TypeError, naming the option
 * and its range; the wrappers refuse a combination with an Error naming both options.
 */
export function buildOptimizer(
  config: Pick<OptimizerConfig, 'optimizer' | 'optimizerOptions' | 'learningRate' | 'lookahead' | 'lossScale'>,
  schedule: LearningRateSchedule | null,
): RunOptimizer {
  const entry = CATALOG.find((e) => e.name === config.optimizer);
  if (entry === undefined) {
    throw new RangeError(
      `optimizer ${JSON.stringify(config.optimizer)} is not in the catalog: use one of ${CATALOG.map((e) => e.name).join(', ')}.`,
    );
  }
  const Preset = PRESETS[entry.className] as new (options: Record<string, unknown>) => GradientTransformationOptimizer;
  const preset = new Preset({ ...config.optimizerOptions, learningRate: schedule ?? config.learningRate });
  // Lookahead wraps the preset's step; the loss scale wraps everything, as it must see the gradients first.
  const inner = config.lookahead ? new Lookahead(preset, config.lookahead) : preset;
  return config.lossScale ? new LossScaleOptimizer(inner, config.lossScale) : inner;
}
