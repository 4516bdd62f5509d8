/**
 * The options every optimizer takes (Keras 3's base-optimizer arguments in camelCase), checked at construction:
 * each error names the argument, its value and the allowed range; an unknown key is an error too.
 */
import type { LearningRate } from './learning-rate.js';
import { checkOptions, nonNegative, positive, positiveInteger, unitClosed } from './validate.js';

/**
 * What a step does with a NaN or infinite gradient. In the checked modes the step reads back its verdict (one
 * number per variable) before writing, and a bad step writes nothing (see the README, "Non-finite gradients").
 * - `'throw'` (default): the first `applyGradients` / `minimize` / `getState` after a bad step throws a
 *   {@link NonFiniteGradientError} naming the variable and the step; `await checkGradients()` tells at once.
 * - `'skip'`: the bad step is counted (`await nonFiniteReport()`); training goes on. `iterations` counts it.
 * - `'unchecked'`: Keras's behaviour: no check (NaN propagates into the weights).
 */
export type NonFiniteGradients = 'throw' | 'skip' | 'unchecked';

/**
 * Options every preset takes: Keras 3's base-optimizer arguments with Keras's names in camelCase (Keras's
 * `clipnorm` and `clipvalue` are one word and stay as they are; `global_clipnorm` is `globalClipnorm`).
 */
export interface OptimizerOptions {
  /** A number > 0, or a schedule `(step) => number` read at `iterations` (Keras). */
  learningRate?: LearningRate;
  /** Decoupled weight decay: `w -= w * weightDecay * lr` before each update (Keras). */
  weightDecay?: number | null;
  /**
   * Variables whose name matches one of these regular expressions are not decayed (Keras's
   * `exclude_from_weight_decay(var_names=...)`, which uses `re.search`), e.g. `['bias', 'gamma', 'beta']`
   * to decay only the kernels. Kept in the config, so a rebuilt optimizer excludes the same variables.
   */
  excludeFromWeightDecay?: readonly string[] | null;
  /** Clip each gradient to this L2 norm (Keras `clipnorm`). At most one of `clipnorm`, `clipvalue`, `globalClipnorm`. */
  clipnorm?: number | null;
  /** Clip each gradient element to [-clipvalue, clipvalue] (Keras `clipvalue`). */
  clipvalue?: number | null;
  /** Clip all gradients together to this global L2 norm (Keras `global_clipnorm`). */
  globalClipnorm?: number | null;
  /** Keep a moving average of the weights: `avg = m * avg + (1 - m) * w` after each step (m = 0 on the first). */
  useEma?: boolean;
  emaMomentum?: number;
  /** Every this many steps, overwrite the weights with their moving average (Keras). */
  emaOverwriteFrequency?: number | null;
  nonFiniteGradients?: NonFiniteGradients;
  /**
   * Keras 3's `gradient_accumulation_steps` (a whole number >= 2): each call adds its gradients to an accumulator
   * and leaves the weights alone; every `n`-th call applies the average `(g + accumulated) / n` (clipped, decayed,
   * updated as one step) and resets the accumulator. `iterations` counts applied steps (`floor(calls / n)`).
   */
  gradientAccumulationSteps?: number | null;
  /**
   * Keras 3's `loss_scale_factor`: `minimize` multiplies the loss by it before taking gradients, and every step
   * divides the gradients by it first (so `applyGradients` expects gradients of a loss scaled by it).
   */
  lossScaleFactor?: number | null;
}

/** The keys of {@link OptimizerOptions}. */
export const OPTIMIZER_OPTION_KEYS: ReadonlyArray<keyof OptimizerOptions> = [
  'learningRate',
  'weightDecay',
  'excludeFromWeightDecay',
  'clipnorm',
  'clipvalue',
  'globalClipnorm',
  'useEma',
  'emaMomentum',
  'emaOverwriteFrequency',
  'nonFiniteGradients',
  'gradientAccumulationSteps',
  'lossScaleFactor',
];

/** {@link OptimizerOptions} checked, with Keras's defaults filled in (the learning rate apart). */
export interface ResolvedOptions {
  readonly weightDecay: number | null;
  readonly excludeFromWeightDecay: readonly string[] | null;
  readonly clipnorm: number | null;
  readonly clipvalue: number | null;
  readonly globalClipnorm: number | null;
  readonly useEma: boolean;
  readonly emaMomentum: number;
  readonly emaOverwriteFrequency: number | null;
  readonly nonFiniteGradients: NonFiniteGradients;
  readonly gradientAccumulationSteps: number | null;
  readonly lossScaleFactor: number | null;
}

/**
 * Checks `options` for `owner`: no key outside {@link OPTIMIZER_OPTION_KEYS} and `ownKeys` (the preset's own
 * arguments), every value in its range, at most one clipping option.
 */
export function resolveOptions(
  owner: string,
  options: OptimizerOptions | undefined,
  ownKeys: readonly string[] = [],
  elsewhere?: (key: string) => string | undefined,
): ResolvedOptions {
  const o = checkOptions(owner, options, [...ownKeys, ...OPTIMIZER_OPTION_KEYS], elsewhere);
  const clips = (['clipnorm', 'clipvalue', 'globalClipnorm'] as const).filter(
    (k) => o[k] !== undefined && o[k] !== null,
  );
  if (clips.length > 1) {
    throw new RangeError(
      `${owner}: at most one of \`clipnorm\`, \`clipvalue\`, \`globalClipnorm\` may be set, got ${clips
        .map((k) => `${k}=${String(o[k])}`)
        .join(', ')}. Keep one.`,
    );
  }
  for (const k of clips) positive(owner, k, o[k], '1');
  const weightDecay = o.weightDecay ?? null;
  if (weightDecay !== null) nonNegative(owner, 'weightDecay', weightDecay, '0.004');
  const useEma = o.useEma ?? false;
  if (typeof useEma !== 'boolean') {
    throw new RangeError(`${owner}: \`useEma\` must be true or false, got ${String(useEma)}.`);
  }
  const frequency = o.emaOverwriteFrequency ?? null;
  if (frequency !== null) positiveInteger(owner, 'emaOverwriteFrequency', frequency, '100');
  const policy = o.nonFiniteGradients ?? 'throw';
  if (!['throw', 'skip', 'unchecked'].includes(policy)) {
    throw new RangeError(
      `${owner}: \`nonFiniteGradients\` must be 'throw', 'skip' or 'unchecked', got ${JSON.stringify(policy)}.`,
    );
  }
  const accumulation = o.gradientAccumulationSteps ?? null;
  if (accumulation !== null && !(Number.isInteger(accumulation) && accumulation >= 2)) {
    // Keras: "`gradient_accumulation_steps` must be an integer >= 2"
    throw new RangeError(
      `${owner}: \`gradientAccumulationSteps\` must be a whole number >= 2, got ${String(accumulation)}. ` +
        'Pass e.g. 4, or leave it out to apply every step.',
    );
  }
  const lossScaleFactor = o.lossScaleFactor ?? null;
  if (lossScaleFactor !== null) positive(owner, 'lossScaleFactor', lossScaleFactor, '128');
  return {
    weightDecay,
    excludeFromWeightDecay: o.excludeFromWeightDecay ?? null, // checked by WeightDecayExclusion
    clipnorm: o.clipnorm ?? null,
    clipvalue: o.clipvalue ?? null,
    globalClipnorm: o.globalClipnorm ?? null,
    useEma,
    emaMomentum: unitClosed(owner, 'emaMomentum', o.emaMomentum ?? 0.99, '0.99'),
    emaOverwriteFrequency: frequency,
    nonFiniteGradients: policy,
    gradientAccumulationSteps: accumulation,
    lossScaleFactor,
  };
}

/** The base options as `getConfig()` writes them (after the learning rate), the weight-decay exclusion as given. */
export function optionsConfig(o: ResolvedOptions, excludeFromWeightDecay: string[] | null) {
  return {
    weightDecay: o.weightDecay,
    excludeFromWeightDecay,
    clipnorm: o.clipnorm,
    clipvalue: o.clipvalue,
    globalClipnorm: o.globalClipnorm,
    useEma: o.useEma,
    emaMomentum: o.emaMomentum,
    emaOverwriteFrequency: o.emaOverwriteFrequency,
    nonFiniteGradients: o.nonFiniteGradients,
    gradientAccumulationSteps: o.gradientAccumulationSteps,
    lossScaleFactor: o.lossScaleFactor,
  };
}
