/**
 * What every preset does with its options: checks the keys (an unknown one is an error that names it, and the preset
 * that takes it), then hands the preset's own arguments and the base {@link OptimizerOptions} apart.
 */
import { OPTIMIZER_OPTION_KEYS, type OptimizerOptions } from '../options.js';
import { checkOptions } from '../validate.js';

/** Each preset's own arguments (besides {@link OptimizerOptions}). */
export const OWN_KEYS = {
  SGD: ['momentum', 'nesterov'],
  RMSprop: ['rho', 'momentum', 'epsilon', 'centered'],
  Adam: ['beta1', 'beta2', 'epsilon', 'amsgrad'],
  AdamW: ['beta1', 'beta2', 'epsilon', 'amsgrad'],
  Adagrad: ['initialAccumulatorValue', 'epsilon'],
  Adamax: ['beta1', 'beta2', 'epsilon'],
  Nadam: ['beta1', 'beta2', 'epsilon'],
  Adadelta: ['rho', 'epsilon'],
  RAdam: ['beta1', 'beta2', 'epsilon'],
  Rprop: ['etaminus', 'etaplus', 'stepSizes'],
  ASGD: ['lambd', 'alpha', 't0'],
  Yogi: ['beta1', 'beta2', 'epsilon', 'initialAccumulatorValue'],
  AdaBelief: ['beta1', 'beta2', 'epsilon', 'epsilonRoot'],
  ScheduleFreeAdamW: ['beta1', 'beta2', 'epsilon', 'warmupSteps', 'weightLrPower'],
  ScheduleFreeSGD: ['beta1', 'warmupSteps', 'weightLrPower'],
  Prodigy: ['beta1', 'beta2', 'beta3', 'epsilon', 'estimLr0', 'estimLrCoef', 'safeguardWarmup'],
} as const satisfies Record<string, readonly string[]>;

export type PresetName = keyof typeof OWN_KEYS;

/** For an unknown key: which presets do take it (`nesterov` on Adam: "an option of SGD"). */
function takenBy(owner: PresetName): (key: string) => string | undefined {
  return (key) => {
    const others = (Object.keys(OWN_KEYS) as PresetName[]).filter(
      (name) => name !== owner && (OWN_KEYS[name] as readonly string[]).includes(key),
    );
    return others.length === 0 ? undefined : `an option of ${others.join(', ')}, not of ${owner}`;
  };
}

/**
 * Checks the keys of a preset's options, then returns the preset's own arguments and the base options apart
 * (the base options go to {@link GradientTransformationOptimizer}).
 */
export function split<T extends object>(owner: PresetName, options: T | undefined): { own: T; base: OptimizerOptions } {
  const all = checkOptions(owner, options, [...OWN_KEYS[owner], ...OPTIMIZER_OPTION_KEYS], takenBy(owner));
  const base: Record<string, unknown> = {};
  for (const key of OPTIMIZER_OPTION_KEYS) if (key in all) base[key] = (all as Record<string, unknown>)[key];
  return { own: all, base: base as OptimizerOptions };
}
