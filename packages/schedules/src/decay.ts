/**
 * Keras 3's step-decay schedules (keras.optimizers.schedules): exponential, inverse-time, piecewise-constant and
 * polynomial decay, as pure functions of the optimizer step.
 */
import { type LearningRateSchedule, makeSchedule } from './schedule.js';
import { boolean, increasing, knownKeys, nonNegative, optionsObject, positive, show, string } from './validate.js';

/** Options of {@link exponentialDecay}: Keras's `ExponentialDecay` arguments in camelCase, with its defaults. */
export interface ExponentialDecayOptions {
  initialLearningRate: number;
  /** Steps over which the rate is multiplied by `decayRate`; > 0. */
  decaySteps: number;
  decayRate: number;
  /** Decay at discrete intervals: `floor(step / decaySteps)`. Default false. */
  staircase?: boolean;
  name?: string;
}

/**
 * Keras `ExponentialDecay`:
 * `lr(step) = initialLearningRate * decayRate ^ (step / decaySteps)`,
 * with the exponent `floor(step / decaySteps)` when `staircase`.
 */
export function exponentialDecay(options: ExponentialDecayOptions): LearningRateSchedule {
  const where = 'exponentialDecay';
  const o = optionsObject(where, options);
  knownKeys(where, o, ['initialLearningRate', 'decaySteps', 'decayRate', 'staircase', 'name']);
  const initialLearningRate = nonNegative(where, 'initialLearningRate', o.initialLearningRate);
  const decaySteps = positive(where, 'decaySteps', o.decaySteps, 'It is the number of steps per decay period.');
  const decayRate = positive(
    where,
    'decayRate',
    o.decayRate,
    'e.g. 0.96 multiplies the rate by 0.96 every decaySteps.',
  );
  const staircase = boolean(where, 'staircase', o.staircase ?? false);
  const name = string(where, 'name', o.name ?? 'ExponentialDecay');
  return makeSchedule('ExponentialDecay', { initialLearningRate, decaySteps, decayRate, staircase, name }, (step) => {
    let p = step / decaySteps;
    if (staircase) p = Math.floor(p);
    return initialLearningRate * decayRate ** p;
  });
}

/** Options of {@link inverseTimeDecay}: Keras's `InverseTimeDecay` arguments in camelCase, with its defaults. */
export interface InverseTimeDecayOptions {
  initialLearningRate: number;
  /** Steps per unit of `decayRate`; set it to the steps of one epoch for the per-epoch form. > 0. */
  decaySteps: number;
  decayRate: number;
  staircase?: boolean;
  name?: string;
}

/**
 * Keras `InverseTimeDecay`:
 * `lr(step) = initialLearningRate / (1 + decayRate * step / decaySteps)`,
 * with `floor(step / decaySteps)` when `staircase`.
 *
 * With `decaySteps` = the steps of one epoch and `staircase: true` this is the chapter's
 * `initial_lr / (1 + decay_rate * epoch)`, applied per step instead of by a callback.
 */
export function inverseTimeDecay(options: InverseTimeDecayOptions): LearningRateSchedule {
  const where = 'inverseTimeDecay';
  const o = optionsObject(where, options);
  knownKeys(where, o, ['initialLearningRate', 'decaySteps', 'decayRate', 'staircase', 'name']);
  const initialLearningRate = nonNegative(where, 'initialLearningRate', o.initialLearningRate);
  const decaySteps = positive(
    where,
    'decaySteps',
    o.decaySteps,
    'Use the number of steps in one epoch for a per-epoch decay.',
  );
  // A negative rate would divide by zero once 1 + decayRate * p reaches 0.
  const decayRate = nonNegative(where, 'decayRate', o.decayRate);
  const staircase = boolean(where, 'staircase', o.staircase ?? false);
  const name = string(where, 'name', o.name ?? 'InverseTimeDecay');
  return makeSchedule('InverseTimeDecay', { initialLearningRate, decaySteps, decayRate, staircase, name }, (step) => {
    let p = step / decaySteps;
    if (staircase) p = Math.floor(p);
    return initialLearningRate / (1 + decayRate * p);
  });
}

/** Options of {@link piecewiseConstantDecay}: Keras's `PiecewiseConstantDecay` arguments in camelCase, with its defaults. */
export interface PiecewiseConstantDecayOptions {
  /** Strictly increasing steps at which the rate changes. */
  boundaries: number[];
  /** One more value than boundaries. */
  values: number[];
  name?: string;
}

/**
 * Keras `PiecewiseConstantDecay`: `values[0]` while `step <= boundaries[0]`, `values[i]` while
 * `boundaries[i-1] < step <= boundaries[i]`, and `values[n]` once `step > boundaries[n-1]`.
 * A boundary step itself still gets the earlier value.
 */
export function piecewiseConstantDecay(options: PiecewiseConstantDecayOptions): LearningRateSchedule {
  const where = 'piecewiseConstantDecay';
  const o = optionsObject(where, options);
  knownKeys(where, o, ['boundaries', 'values', 'name']);
  const boundaries = increasing(where, 'boundaries', o.boundaries, true);
  if (!Array.isArray(o.values))
    throw new TypeError(`${where}: \`values\` must be an array of learning rates, got ${show(o.values)}.`);
  const values = o.values.map((v, i) => nonNegative(where, `values[${i}]`, v));
  if (values.length !== boundaries.length + 1) {
    throw new RangeError(
      `${where}: \`values\` must have one more element than \`boundaries\`, got boundaries=${show(boundaries)} of length ${boundaries.length} and values=${show(values)} of length ${values.length}. values[i] is the rate up to and including boundaries[i]; the last value applies after the last boundary.`,
    );
  }
  const name = string(where, 'name', o.name ?? 'PiecewiseConstant');
  return makeSchedule('PiecewiseConstantDecay', { boundaries, values, name }, (step) => {
    let i = 0;
    while (i < boundaries.length && step > (boundaries[i] as number)) i++;
    return values[i] as number;
  });
}

/** Options of {@link polynomialDecay}: Keras's `PolynomialDecay` arguments in camelCase, with its defaults. */
export interface PolynomialDecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  /** Default 0.0001. */
  endLearningRate?: number;
  /** Default 1 (linear). */
  power?: number;
  /** Restart the decay at each multiple of decaySteps. Default false. */
  cycle?: boolean;
  name?: string;
}

/**
 * Keras `PolynomialDecay`:
 * `lr(step) = (initialLearningRate - endLearningRate) * (1 - s / D) ^ power + endLearningRate`, where
 * without `cycle`: `s = min(step, decaySteps)`, `D = decaySteps`;
 * with `cycle`: `s = step`, `D = decaySteps * ceil(step / decaySteps)` (`D = decaySteps` at step 0), so
 * the rate reaches `endLearningRate` at each multiple of decaySteps and jumps back up on the next step.
 */
export function polynomialDecay(options: PolynomialDecayOptions): LearningRateSchedule {
  const where = 'polynomialDecay';
  const o = optionsObject(where, options);
  knownKeys(where, o, ['initialLearningRate', 'decaySteps', 'endLearningRate', 'power', 'cycle', 'name']);
  const initialLearningRate = nonNegative(where, 'initialLearningRate', o.initialLearningRate);
  const decaySteps = positive(
    where,
    'decaySteps',
    o.decaySteps,
    'It is the number of steps to go from initialLearningRate to endLearningRate.',
  );
  const endLearningRate = nonNegative(where, 'endLearningRate', o.endLearningRate ?? 0.0001);
  // A negative power would make the rate infinite at the end of the decay.
  const power = nonNegative(where, 'power', o.power ?? 1);
  const cycle = boolean(where, 'cycle', o.cycle ?? false);
  const name = string(where, 'name', o.name ?? 'PolynomialDecay');
  return makeSchedule(
    'PolynomialDecay',
    { initialLearningRate, decaySteps, endLearningRate, power, cycle, name },
    (step) => {
      let s = step;
      let d = decaySteps;
      if (cycle) {
        d = decaySteps * (step === 0 ? 1 : Math.ceil(step / decaySteps));
      } else {
        s = Math.min(step, decaySteps);
      }
      return (initialLearningRate - endLearningRate) * (1 - s / d) ** power + endLearningRate;
    },
  );
}
