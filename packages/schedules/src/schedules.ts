/**
 * Learning-rate schedules with Keras 3's arithmetic (keras.optimizers.schedules), as pure functions of the
 * optimizer step. Each is a callable with a JSON-serializable `.config`; {@link scheduleFromConfig} rebuilds it.
 */
import {
  boolean,
  checkStep,
  inClosedRange,
  increasing,
  knownKeys,
  nonNegative,
  nonNegativeInteger,
  optionsObject,
  positive,
  show,
  string,
} from './validate.js';

/** JSON-serializable description of a schedule: Keras's class name and its arguments in camelCase. */
export interface ScheduleConfig {
  readonly className: string;
  readonly config: Record<string, unknown>;
}

/** A learning rate as a function of the optimizer step (Keras: LearningRateSchedule.__call__(step)). */
export interface LearningRateSchedule {
  (step: number): number;
  /** JSON-serializable description, e.g. { className: 'ExponentialDecay', config: {...Keras args in camelCase} }. */
  readonly config: ScheduleConfig;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

function makeSchedule(
  className: string,
  config: Record<string, unknown>,
  rate: (step: number) => number,
): LearningRateSchedule {
  const schedule = (step: number): number => rate(checkStep(className, step));
  Object.defineProperty(schedule, 'config', { value: deepFreeze({ className, config }), enumerable: true });
  return schedule as LearningRateSchedule;
}

function checkSchedule(where: string, name: string, value: unknown): LearningRateSchedule {
  if (typeof value !== 'function' || typeof (value as Partial<LearningRateSchedule>).config !== 'object') {
    throw new TypeError(
      `${where}: \`${name}\` must be a schedule made by this package (a function of the step with a \`.config\`), got ${show(value)}. Use constant(lr) for a fixed rate.`,
    );
  }
  return value as LearningRateSchedule;
}

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

/** A fixed learning rate, as a schedule (useful inside {@link sequence} and {@link linearWarmup}). */
export function constant(learningRate: number): LearningRateSchedule {
  const lr = nonNegative('constant', 'learningRate', learningRate);
  return makeSchedule('Constant', { learningRate: lr }, () => lr);
}

/** Options of {@link linearWarmup}. */
export interface LinearWarmupOptions {
  /** Steps of warmup; an integer >= 0. */
  warmupSteps: number;
  /** The schedule run after the warmup (it sees steps counted from the end of the warmup), or a fixed rate. */
  schedule: LearningRateSchedule | number;
  /** Rate at step 0. Default 0. */
  initialLearningRate?: number;
}

/**
 * A linear warmup in front of any schedule `S`:
 * `lr(step) = initialLearningRate + (S(0) - initialLearningRate) * step / warmupSteps` while `step < warmupSteps`,
 * then `S(step - warmupSteps)`. In front of `cosineDecay` this equals Keras's `cosineDecay` with
 * `warmupTarget = S(0)`.
 */
export function linearWarmup(options: LinearWarmupOptions): LearningRateSchedule {
  const where = 'linearWarmup';
  const o = optionsObject(where, options);
  knownKeys(where, o, ['warmupSteps', 'schedule', 'initialLearningRate']);
  const warmupSteps = nonNegativeInteger(where, 'warmupSteps', o.warmupSteps);
  const after = typeof o.schedule === 'number' ? constant(o.schedule) : checkSchedule(where, 'schedule', o.schedule);
  const initialLearningRate = nonNegative(where, 'initialLearningRate', o.initialLearningRate ?? 0);
  const target = after(0);
  return makeSchedule('LinearWarmup', { warmupSteps, initialLearningRate, schedule: after.config }, (step) =>
    step < warmupSteps
      ? initialLearningRate + (target - initialLearningRate) * (step / warmupSteps)
      : after(step - warmupSteps),
  );
}

/** Options of {@link sequence}. */
export interface SequenceOptions {
  /** The schedules, run one after another. */
  schedules: LearningRateSchedule[];
  /** Steps at which the next schedule takes over; one fewer than schedules, strictly increasing integers. */
  boundaries: number[];
}

/**
 * Schedules one after another, as optax's `join_schedules`: schedule `i` runs for
 * `boundaries[i-1] <= step < boundaries[i]` and sees `step - boundaries[i-1]` (schedule 0 sees `step`).
 * Unlike {@link piecewiseConstantDecay}, the boundary step already belongs to the next schedule.
 */
export function sequence(options: SequenceOptions): LearningRateSchedule {
  const where = 'sequence';
  const o = optionsObject(where, options);
  knownKeys(where, o, ['schedules', 'boundaries']);
  if (!Array.isArray(o.schedules) || o.schedules.length === 0) {
    throw new TypeError(`${where}: \`schedules\` must be a non-empty array of schedules, got ${show(o.schedules)}.`);
  }
  const schedules = o.schedules.map((s, i) => checkSchedule(where, `schedules[${i}]`, s));
  const boundaries = increasing(where, 'boundaries', o.boundaries, true);
  if (boundaries.length !== schedules.length - 1) {
    throw new RangeError(
      `${where}: \`boundaries\` must have one fewer element than \`schedules\`, got ${boundaries.length} boundaries (${show(boundaries)}) for ${schedules.length} schedules. boundaries[i] is the step at which schedules[i + 1] starts.`,
    );
  }
  return makeSchedule('Sequence', { schedules: schedules.map((s) => s.config), boundaries }, (step) => {
    let i = 0;
    while (i < boundaries.length && step >= (boundaries[i] as number)) i++;
    const start = i === 0 ? 0 : (boundaries[i - 1] as number);
    return (schedules[i] as LearningRateSchedule)(step - start);
  });
}

/** optax's name and argument order for {@link sequence}. */
export function joinSchedules(schedules: LearningRateSchedule[], boundaries: number[]): LearningRateSchedule {
  return sequence({ schedules, boundaries });
}

const BUILDERS: Record<string, (config: Record<string, unknown>) => LearningRateSchedule> = {
  ExponentialDecay: (c) => exponentialDecay(c as unknown as ExponentialDecayOptions),
  InverseTimeDecay: (c) => inverseTimeDecay(c as unknown as InverseTimeDecayOptions),
  PiecewiseConstantDecay: (c) => piecewiseConstantDecay(c as unknown as PiecewiseConstantDecayOptions),
  PolynomialDecay: (c) => polynomialDecay(c as unknown as PolynomialDecayOptions),
  CosineDecay: (c) => cosineDecay(c as unknown as CosineDecayOptions),
  CosineDecayRestarts: (c) => cosineDecayRestarts(c as unknown as CosineDecayRestartsOptions),
  Constant: (c) => {
    knownKeys('scheduleFromConfig(Constant)', c, ['learningRate']);
    return constant(c.learningRate as number);
  },
  LinearWarmup: (c) =>
    linearWarmup({
      ...c,
      schedule: scheduleFromConfig(c.schedule as ScheduleConfig),
    } as unknown as LinearWarmupOptions),
  Sequence: (c) => {
    if (!Array.isArray(c.schedules)) {
      throw new TypeError(
        `scheduleFromConfig(Sequence): \`schedules\` must be an array of configs, got ${show(c.schedules)}.`,
      );
    }
    return sequence({
      ...c,
      schedules: c.schedules.map((s) => scheduleFromConfig(s as ScheduleConfig)),
    } as SequenceOptions);
  },
};

/** The class names {@link scheduleFromConfig} knows. */
export const SCHEDULE_CLASS_NAMES: readonly string[] = Object.freeze(Object.keys(BUILDERS));

/**
 * Rebuilds a schedule from its `.config` (or that config after a JSON round trip), validating every
 * argument as the builder functions do.
 */
export function scheduleFromConfig(config: ScheduleConfig): LearningRateSchedule {
  if (typeof config !== 'object' || config === null || typeof config.className !== 'string') {
    throw new TypeError(
      `scheduleFromConfig: expected { className, config } as produced by a schedule's .config, got ${show(config)}.`,
    );
  }
  const build = Object.hasOwn(BUILDERS, config.className) ? BUILDERS[config.className] : undefined;
  if (build === undefined) {
    throw new RangeError(
      `scheduleFromConfig: unknown className ${show(config.className)}. Known: ${SCHEDULE_CLASS_NAMES.join(', ')}.`,
    );
  }
  return build(optionsObject(`scheduleFromConfig(${config.className})`, config.config));
}
