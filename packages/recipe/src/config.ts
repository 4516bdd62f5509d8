/**
 * The knobs of one run, in the handbook's (Keras's) words: what the CLI's `TrainConfig` and the demo's
 * `TrainingSettings` both reduce to before anything is built. Plain data, so a run is reproducible from it.
 */
import type { NormalizeMode } from '@opt/data-fashion-mnist';
import type { OptimizerName } from '@opt/optimizers/catalog';

/** Decay steps: a number of optimizer steps, one epoch of steps, or all the steps of the run. */
export type DecaySteps = number | 'epoch' | 'run';

/** The learning-rate schedule, named after its @opt/schedules function; `constant` keeps `learningRate`. */
export type ScheduleSpec =
  | { readonly kind: 'constant' }
  | {
      readonly kind: 'inverseTimeDecay' | 'exponentialDecay';
      readonly decaySteps: DecaySteps;
      readonly decayRate: number;
      readonly staircase: boolean;
    }
  | { readonly kind: 'piecewiseConstantDecay'; readonly boundaries: number[]; readonly values: number[] }
  | {
      readonly kind: 'polynomialDecay';
      readonly decaySteps: DecaySteps;
      readonly endLearningRate: number;
      readonly power: number;
      readonly cycle: boolean;
    }
  | {
      readonly kind: 'cosineDecay';
      readonly decaySteps: DecaySteps;
      /** The final rate as a fraction of the peak one. */
      readonly alpha: number;
      /** Steps of linear warmup from `warmupFrom` up to `learningRate` before the decay (0: none). */
      readonly warmupSteps: number;
      readonly warmupFrom: number;
    };

/** The data knobs: which examples train, which validate, and how the pixels are scaled. */
export interface DataConfig {
  /** Training images per class (a class-balanced subset of what the validation split leaves); null: all of it. */
  readonly perClass: number | null;
  /** Keras's `validationSplit`: the last fraction of the 60,000 training images, held out before any subset. */
  readonly validationSplit: number;
  readonly normalize: NormalizeMode;
  /** Seeds the subset, the batch order and the weights' initialization. */
  readonly seed: number;
}

/** The model knobs: the chapter's MLP with these hidden widths. */
export interface ModelConfig {
  readonly hidden: readonly number[];
  /** Dense(useBias: false) -> BatchNormalization -> ReLU in each hidden layer instead of Dense(relu). */
  readonly batchNorm: boolean;
  readonly seed: number;
}

/** The optimizer knobs: a preset of @opt/optimizers' catalog, its options and the (initial) learning rate. */
export interface OptimizerConfig {
  /** The catalog's name (`sgd`, `rmsprop`, `adam`, ...). */
  readonly optimizer: OptimizerName;
  /** The preset's options besides the learning rate, by their Keras names (`momentum`, `beta1`, `clipnorm`, ...). */
  readonly optimizerOptions: Readonly<Record<string, unknown>>;
  readonly learningRate: number;
  readonly schedule: ScheduleSpec;
  /** Lookahead around the preset: every `syncPeriod` steps the slow weights move `slowStepSize` toward the fast ones. */
  readonly lookahead?: { readonly syncPeriod: number; readonly slowStepSize: number } | null;
  /** Keras's dynamic LossScaleOptimizer around everything (it must see the gradients first). */
  readonly lossScale?: { readonly initialScale: number; readonly dynamicGrowthSteps: number } | null;
}

/** Every knob a recipe reads. */
export interface RecipeConfig extends DataConfig, ModelConfig, OptimizerConfig {
  /** Examples per step, or `full` for the whole training set (full-batch gradient descent). */
  readonly batchSize: number | 'full';
  readonly epochs: number;
}
