import { knownKeys, nonNegativeInteger, optionsObject, show } from './validate.js';

/** One point of {@link sampleSchedule}'s curve. */
export interface SamplePoint {
  /** The optimizer step (0-based). */
  readonly step: number;
  /** The schedule's rate at that step. */
  readonly learningRate: number;
}

/** Options of {@link sampleSchedule}. */
export interface SampleOptions {
  /** Last step sampled; the range is [0, steps]. An integer >= 0. */
  steps: number;
  /** How many points at most, evenly spaced and rounded to integer steps (first and last included). Default 200. */
  points?: number;
}

/**
 * Samples a schedule into (step, learningRate) points for plots: every step when `points > steps`, otherwise
 * steps `round(i * steps / (points - 1))` for `i = 0 .. points - 1`.
 */
export function sampleSchedule(schedule: (step: number) => number, options: SampleOptions): SamplePoint[] {
  const where = 'sampleSchedule';
  if (typeof schedule !== 'function') {
    throw new TypeError(`${where}: \`schedule\` must be a function of the step, got ${show(schedule)}.`);
  }
  const o = optionsObject(where, options);
  knownKeys(where, o, ['steps', 'points']);
  const steps = nonNegativeInteger(where, 'steps', o.steps);
  const points = o.points ?? 200;
  if (typeof points !== 'number' || !Number.isSafeInteger(points) || points < 2) {
    throw new RangeError(
      `${where}: \`points\` must be an integer >= 2 (the first and the last step), got ${show(points)}.`,
    );
  }
  const at =
    points > steps
      ? Array.from({ length: steps + 1 }, (_, i) => i)
      : Array.from({ length: points }, (_, i) => Math.round((i * steps) / (points - 1)));
  return at.map((step) => ({ step, learningRate: schedule(step) }));
}
