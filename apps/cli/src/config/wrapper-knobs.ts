/**
 * The optimizer knobs outside the catalog's per-preset options: Keras 3's base options that every preset takes
 * (`gradientAccumulationSteps`, `lossScaleFactor`), the two wrappers of @opt/optimizers (`Lookahead`, the dynamic
 * `LossScaleOptimizer`) with their own arguments, and Muon's `excludeLayers` (a list of patterns, which the catalog
 * has no kind for). All were added after run directories existed: `idWhenSet`, so older configs keep their ids.
 */
import type { OptimizerName } from '@opt/optimizers/catalog';
import { UsageError } from '../cli/errors.js';
import { booleanKnob, fail, type Knob, numberKnob, positive, positiveInteger, unit } from './knob-kinds.js';
import type { KnobKey, TrainConfig } from './train-config.js';

/** optax's lookahead and Keras's LossScaleOptimizer defaults, filled in when the wrapper is on. */
export const WRAPPER_DEFAULTS = {
  lookaheadSyncPeriod: 6,
  lookaheadSlowStepSize: 0.5,
  initialScale: 2 ** 15,
  dynamicGrowthSteps: 2000,
} as const satisfies Partial<TrainConfig>;

/** Each knob's value when not given: off, or null (the preset's own behaviour). */
export const WRAPPER_GENERAL_DEFAULTS = {
  gradientAccumulationSteps: null,
  lossScaleFactor: null,
  lookahead: false,
  lookaheadSyncPeriod: null,
  lookaheadSlowStepSize: null,
  lossScale: false,
  initialScale: null,
  dynamicGrowthSteps: null,
  excludeLayers: null,
} as const satisfies Partial<TrainConfig>;

const MUON: readonly OptimizerName[] = ['muon'];
const added = { idWhenSet: true } as const;

/** Comma-separated regular expressions, each one compiled here so that a bad pattern names the flag. */
function patternsKnob(): Knob {
  const expected = 'comma-separated regular expressions of weight names such as dense_2';
  const check = (items: unknown, original: unknown): string[] => {
    if (!Array.isArray(items) || items.length === 0) fail(expected, original);
    for (const item of items as unknown[]) {
      if (typeof item !== 'string' || item.trim() === '') fail(expected, original);
      try {
        new RegExp(item as string);
      } catch {
        fail(expected, original);
      }
    }
    return items as string[];
  };
  return {
    key: 'excludeLayers',
    flag: 'exclude-layers',
    arg: '<patterns>',
    group: 'optimizer',
    help: "Muon: weights whose name matches one of these patterns take AdamW's step, e.g. dense_2 (the output layer of 256,128) (muon)",
    expected,
    parse: (text) => check(text.split(','), text),
    check: (value) => check(value, value),
    optimizers: MUON,
    ...added,
  };
}

/** The knobs, in the order help lists them (after the clipping and EMA knobs). */
export function wrapperKnobs(): Knob[] {
  return [
    numberKnob(
      'gradientAccumulationSteps',
      'gradient-accumulation-steps',
      '<n>',
      'optimizer',
      "Keras: sum the gradients of n steps and apply their mean once (the optimizer's iterations are steps / n)",
      { integer: true, min: 2 },
      added,
    ),
    numberKnob(
      'lossScaleFactor',
      'loss-scale-factor',
      '<x>',
      'optimizer',
      'Keras: take the gradients of loss * x and divide them by x before the step (a fixed loss scale)',
      positive,
      added,
    ),
    booleanKnob(
      'lookahead',
      'lookahead',
      'optimizer',
      "wrap the optimizer in optax's Lookahead: slow weights that move towards the fast ones every k steps",
      added,
    ),
    numberKnob(
      'lookaheadSyncPeriod',
      'lookahead-sync-period',
      '<k>',
      'optimizer',
      'Lookahead: synchronize every k steps (default 6 with --lookahead)',
      positiveInteger,
      added,
    ),
    numberKnob(
      'lookaheadSlowStepSize',
      'lookahead-slow-step-size',
      '<a>',
      'optimizer',
      'Lookahead: how far the slow weights move towards the fast ones (default 0.5 with --lookahead)',
      unit,
      added,
    ),
    booleanKnob(
      'lossScale',
      'loss-scale',
      'optimizer',
      "wrap the optimizer in Keras's LossScaleOptimizer: a dynamic loss scale, halved on a non-finite step",
      added,
    ),
    numberKnob(
      'initialScale',
      'initial-scale',
      '<s>',
      'optimizer',
      'LossScaleOptimizer: the scale to start from (default 32768 with --loss-scale)',
      positive,
      added,
    ),
    numberKnob(
      'dynamicGrowthSteps',
      'dynamic-growth-steps',
      '<n>',
      'optimizer',
      'LossScaleOptimizer: double the scale after n finite steps in a row (default 2000 with --loss-scale)',
      positiveInteger,
      added,
    ),
    patternsKnob(),
  ];
}

/** Each wrapper's switch and the knobs of its own arguments. */
const WRAPPER_ARGUMENTS = [
  ['lookahead', ['lookaheadSyncPeriod', 'lookaheadSlowStepSize']],
  ['lossScale', ['initialScale', 'dynamicGrowthSteps']],
] as const;

/** A wrapper's arguments need the wrapper; combinations @opt/optimizers refuses are refused here with the flags' names. */
export function checkWrappers(v: Partial<Record<KnobKey, unknown>>, name: (key: KnobKey) => string): void {
  for (const [wrapper, keys] of WRAPPER_ARGUMENTS) {
    const orphan = keys.find((k) => v[k] !== undefined);
    if (orphan !== undefined && v[wrapper] !== true) {
      throw new UsageError(
        `${name(orphan)} is an argument of ${wrapper === 'lookahead' ? 'Lookahead' : 'LossScaleOptimizer'}: add ${name(wrapper)} to wrap the optimizer in it.`,
        name(orphan),
      );
    }
  }
  if (v.lookahead === true && v.gradientAccumulationSteps !== undefined) {
    throw new UsageError(
      `${name('lookahead')} with ${name('gradientAccumulationSteps')}: Lookahead counts the steps the inner optimizer applies, and accumulation makes most calls apply none (@opt/optimizers refuses it); choose one.`,
      name('gradientAccumulationSteps'),
    );
  }
  if (v.lossScale === true && v.lossScaleFactor !== undefined) {
    throw new UsageError(
      `${name('lossScale')} with ${name('lossScaleFactor')}: both scale the loss, so the gradients would be unscaled twice; keep --loss-scale (dynamic) or --loss-scale-factor (fixed).`,
      name('lossScaleFactor'),
    );
  }
}

/** A wrapper's own arguments exist only with the wrapper (their defaults then), as the EMA's momentum with the EMA. */
export function fillWrappers(config: Record<KnobKey, unknown>, v: Partial<Record<KnobKey, unknown>>): void {
  for (const [wrapper, keys] of WRAPPER_ARGUMENTS) {
    for (const key of keys) config[key] = config[wrapper] === true ? (v[key] ?? WRAPPER_DEFAULTS[key]) : null;
  }
}
