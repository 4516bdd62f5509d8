/** Keras 3's cosine schedules: `CosineDecay` (with its optional linear warmup) and `CosineDecayRestarts` (SGDR). */
import { type LearningRateSchedule, makeSchedule } from './schedule.js';
import { inClosedRange, knownKeys, nonNegative, optionsObject, positive, string } from './validate.js';

/** Options of {@link cosineDecay}: Keras's `CosineDecay` arguments in camelCase, with its defaults. */
export interface CosineDecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  /** Floor of the decay as a fraction of the rate it decays from. Default 0. */
  alpha?: number;
  name?: string;
  /** Rate reached at the end of the warmup; null (default) means no warmup. */
  warmupTarget?: number | null;
  /** Steps of linear warmup from initialLearningRate to warmupTarget. Default 0. */
  warmupSteps?: number;
}

/**
 * Keras 3 `CosineDecay` with optional linear warmup. With `s = min(step, warmupSteps + decaySteps)`:
 * - warmup (`warmupTarget` set and `s < warmupSteps`):
 *   `lr = initialLearningRate + (warmupTarget - initialLearningRate) * s / warmupSteps`;
 * - decay: `lr = from * ((1 - alpha) * 0.5 * (1 + cos(pi * t / decaySteps)) + alpha)` with
 *   `t = s - warmupSteps` and `from = warmupTarget`, or, without warmup,
 *   `t = min(step, decaySteps)` and `from = initialLearningRate`.
 * The rate ends at `alpha * from` and stays there.
 */
export function cosineDecay(options: CosineDecayOptions): LearningRateSchedule {
  const where = 'cosineDecay';
  const o = optionsObject(where, options);
  knownKeys(where, o, ['initialLearningRate', 'decaySteps', 'alpha', 'name', 'warmupTarget', 'warmupSteps']);
  const initialLearningRate = nonNegative(where, 'initialLearningRate', o.initialLearningRate);
  const decaySteps = positive(where, 'decaySteps', o.decaySteps, 'It is the number of steps of the cosine decay.');
  const alpha = inClosedRange(where, 'alpha', o.alpha ?? 0, 0, 1);
  const name = string(where, 'name', o.name ?? 'CosineDecay');
  const warmupTarget =
    o.warmupTarget === undefined || o.warmupTarget === null ? null : nonNegative(where, 'warmupTarget', o.warmupTarget);
  const warmupSteps = nonNegative(where, 'warmupSteps', o.warmupSteps ?? 0);
  if (warmupTarget === null && warmupSteps > 0) {
    // Keras silently ignores warmupSteps here; an error catches the forgotten target.
    throw new RangeError(
      `${where}: \`warmupSteps\` is ${warmupSteps} but \`warmupTarget\` is null, so there would be no warmup. Set warmupTarget to the rate reached after the warmup, or warmupSteps to 0.`,
    );
  }
  const decayed = (t: number, from: number): number =>
    from * ((1 - alpha) * (0.5 * (1 + Math.cos(Math.PI * (t / decaySteps)))) + alpha);
  return makeSchedule(
    'CosineDecay',
    { initialLearningRate, decaySteps, alpha, name, warmupTarget, warmupSteps },
    (step) => {
      if (warmupTarget === null) return decayed(Math.min(step, decaySteps), initialLearningRate);
      const s = Math.min(step, decaySteps + warmupSteps);
      if (s < warmupSteps) return (warmupTarget - initialLearningRate) * (s / warmupSteps) + initialLearningRate;
      return decayed(s - warmupSteps, warmupTarget);
    },
  );
}

/** Options of {@link cosineDecayRestarts}: Keras's `CosineDecayRestarts` arguments in camelCase, with its defaults. */
export interface CosineDecayRestartsOptions {
  initialLearningRate: number;
  /** Length of the first period; > 0. */
  firstDecaySteps: number;
  /** Each period is tMul times longer than the one before. Default 2. */
  tMul?: number;
  /** Each period starts at mMul times the previous period's starting rate. Default 1. */
  mMul?: number;
  /** Floor as a fraction of initialLearningRate. Default 0. */
  alpha?: number;
  name?: string;
}

/**
 * Keras `CosineDecayRestarts` (SGDR, Loshchilov & Hutter). With `f = step / firstDecaySteps`:
 * - `tMul == 1`: period `i = floor(f)`, fraction into it `x = f - i`;
 * - otherwise: `i = floor(log(1 - f * (1 - tMul)) / log(tMul))`, `x = (f - (1 - tMul^i) / (1 - tMul)) / tMul^i`;
 * then `lr = initialLearningRate * ((1 - alpha) * 0.5 * mMul^i * (1 + cos(pi * x)) + alpha)`.
 * The floor is made exact at restart boundaries (where `log` rounding could pick the previous period), so
 * each restart step gets the full `mMul^i` rate. With `tMul < 1` the periods shrink and all of them together
 * last `firstDecaySteps / (1 - tMul)` steps; later steps are an error (Keras returns NaN there).
 */
export function cosineDecayRestarts(options: CosineDecayRestartsOptions): LearningRateSchedule {
  const where = 'cosineDecayRestarts';
  const o = optionsObject(where, options);
  knownKeys(where, o, ['initialLearningRate', 'firstDecaySteps', 'tMul', 'mMul', 'alpha', 'name']);
  const initialLearningRate = nonNegative(where, 'initialLearningRate', o.initialLearningRate);
  const firstDecaySteps = positive(
    where,
    'firstDecaySteps',
    o.firstDecaySteps,
    'It is the length of the first cosine period.',
  );
  const tMul = positive(where, 'tMul', o.tMul ?? 2, 'Use 1 for equal periods, 2 to double each period.');
  const mMul = nonNegative(where, 'mMul', o.mMul ?? 1);
  const alpha = inClosedRange(where, 'alpha', o.alpha ?? 0, 0, 1);
  const name = string(where, 'name', o.name ?? 'SGDRDecay');
  /** Total length, in units of firstDecaySteps, of periods 0..i-1. */
  const periodsBefore = (i: number): number => (1 - tMul ** i) / (1 - tMul);
  return makeSchedule(
    'CosineDecayRestarts',
    { initialLearningRate, firstDecaySteps, tMul, mMul, alpha, name },
    (step) => {
      const f = step / firstDecaySteps;
      let i: number;
      let x: number;
      if (tMul === 1) {
        i = Math.floor(f);
        x = f - i;
      } else {
        const inner = 1 - f * (1 - tMul);
        if (!(inner > 0)) {
          throw new RangeError(
            `${where}: step ${step} is past the end of all restarts: with tMul=${tMul} < 1 the periods shrink and together last firstDecaySteps / (1 - tMul) = ${firstDecaySteps / (1 - tMul)} steps. Use tMul >= 1 or train for fewer steps.`,
          );
        }
        i = Math.floor(Math.log(inner) / Math.log(tMul));
        if (i > 0 && periodsBefore(i) > f) i -= 1;
        else if (periodsBefore(i + 1) <= f) i += 1;
        x = (f - periodsBefore(i)) / tMul ** i;
      }
      const cosineDecayed = 0.5 * mMul ** i * (1 + Math.cos(Math.PI * x));
      return initialLearningRate * ((1 - alpha) * cosineDecayed + alpha);
    },
  );
}
