/** Schedules built from schedules (optax's style): a constant, a warmup in front of any schedule, a sequence. */
import { checkSchedule, type LearningRateSchedule, makeSchedule } from './schedule.js';
import { increasing, knownKeys, nonNegative, nonNegativeInteger, optionsObject, show } from './validate.js';

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
