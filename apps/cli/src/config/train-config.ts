/**
 * The resolved config of one run (`TrainConfig`) and the names it is made of. Pure: no TensorFlow.js here, so a
 * sweep coordinator can validate configs without loading a backend. The optimizers and their options come from
 * `@opt/optimizers/catalog`.
 */

import { type CATALOG, type CatalogOptionKey, OPTIMIZER_NAMES, type OptimizerName } from '@opt/optimizers/catalog';

/** The optimizers and their options come from @opt/optimizers' catalog (which loads no TensorFlow.js). */
export { OPTIMIZER_NAMES, type OptimizerName };

/** Names that stand for a preset with chosen knobs: the chapter's "momentum" is SGD with momentum 0.9. */
export const OPTIMIZER_ALIASES = {
  momentum: { optimizer: 'sgd', momentum: 0.9 },
  nesterov: { optimizer: 'sgd', momentum: 0.9, nesterov: true },
} as const satisfies Record<string, { optimizer: OptimizerName; momentum: number; nesterov?: boolean }>;

export const SCHEDULE_NAMES = [
  'constant',
  'inverse-time',
  'exponential',
  'piecewise-constant',
  'polynomial',
  'cosine',
  'reduce-on-plateau',
] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

export const NORMALIZE_MODES = ['standardize', 'rescale', 'none'] as const;
export const ON_NAN_MODES = ['stop', 'skip', 'ignore'] as const;
/** @opt/tensor's BACKEND_NAMES plus 'auto', restated so that this module loads no TensorFlow.js. */
export const BACKEND_CHOICES = ['cpu', 'wasm', 'webgl', 'webgpu', 'tensorflow', 'auto'] as const;

/** Decay steps: a number of optimizer steps, one epoch of steps, or all the steps of the run. */
export type DecaySteps = number | 'epoch' | 'run';

type CatalogOptions = (typeof CATALOG)[number]['options'][number];

/**
 * Catalog options whose name another knob already has: their knob is named after the one optimizer that takes them
 * (ASGD's `alpha` is `asgdAlpha`, `--asgd-alpha`: `alpha` is the cosine schedule's floor).
 */
const RENAMED = { alpha: 'asgdAlpha' } as const;
type OptionKnobKey<K extends string> = K extends keyof typeof RENAMED ? (typeof RENAMED)[K] : K;

/** The config field (and knob) of a catalog option's key. */
export function optionKnobKey(key: string): string {
  return (RENAMED as Record<string, string>)[key] ?? key;
}

/** Each option of the catalog as a config field: its kind's type, or null where the optimizer does not take it. */
export type OptimizerOptionFields = {
  [K in CatalogOptionKey as OptionKnobKey<K>]:
    | (Extract<CatalogOptions, { key: K }>['kind'] extends 'boolean'
        ? boolean
        : Extract<CatalogOptions, { key: K }>['kind'] extends 'numberPair'
          ? [number, number]
          : number)
    | null;
};

/** The fields of the knobs of wrapper-knobs.ts: the base options, the wrappers and Muon's excludeLayers. */
export interface WrapperFields {
  gradientAccumulationSteps: number | null;
  lossScaleFactor: number | null;
  lookahead: boolean;
  lookaheadSyncPeriod: number | null;
  lookaheadSlowStepSize: number | null;
  lossScale: boolean;
  initialScale: number | null;
  dynamicGrowthSteps: number | null;
  excludeLayers: string[] | null;
}

/**
 * One run, fully resolved: every knob has its value (null where it does not apply to the chosen optimizer
 * or schedule). Plain JSON: it is what run directories store, compare workers receive and sweeps enqueue.
 * The optimizers' own options (momentum, beta1, ..., l1RegularizationStrength) are the catalog's; a config
 * saved before an option existed lacks its field, and {@link completeConfig} fills it in.
 */
export interface TrainConfig extends OptimizerOptionFields, WrapperFields {
  optimizer: OptimizerName;
  learningRate: number;
  weightDecay: number | null;
  clipnorm: number | null;
  clipvalue: number | null;
  globalClipnorm: number | null;
  ema: boolean;
  emaMomentum: number | null;

  schedule: ScheduleName;
  decayRate: number | null;
  decaySteps: DecaySteps | null;
  staircase: boolean | null;
  boundaries: number[] | null;
  values: number[] | null;
  endLearningRate: number | null;
  power: number | null;
  cycle: boolean | null;
  alpha: number | null;
  warmupSteps: number | null;
  warmupFrom: number | null;
  factor: number | null;
  plateauPatience: number | null;
  minDelta: number | null;
  cooldown: number | null;
  minLr: number | null;

  epochs: number;
  batchSize: number | 'full';
  patience: number | null;
  onNan: (typeof ON_NAN_MODES)[number];
  /** Every step's training loss goes into history.json (`stepLosses`). */
  stepLosses: boolean;

  hidden: number[];
  batchNorm: boolean;
  normalize: (typeof NORMALIZE_MODES)[number];
  perClass: number | null;
  validationSplit: number;
  seed: number;
  backend: (typeof BACKEND_CHOICES)[number];
  dataDir: string | null;
  download: boolean;
}
export type KnobKey = keyof TrainConfig;

export type KnobGroup = 'optimizer' | 'schedule' | 'training' | 'model and data';
