/** What a learning-rate schedule is: a checked function of the step with a frozen, JSON-able `.config`. */
import { checkStep, show } from './validate.js';

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

/** A schedule: `rate` behind the step check, with its frozen `.config`. */
export function makeSchedule(
  className: string,
  config: Record<string, unknown>,
  rate: (step: number) => number,
): LearningRateSchedule {
  const schedule = (step: number): number => rate(checkStep(className, step));
  Object.defineProperty(schedule, 'config', { value: deepFreeze({ className, config }), enumerable: true });
  return schedule as LearningRateSchedule;
}

/** `value` as a schedule of this package, or a TypeError naming `name` and saying how to make one. */
export function checkSchedule(where: string, name: string, value: unknown): LearningRateSchedule {
  if (typeof value !== 'function' || typeof (value as Partial<LearningRateSchedule>).config !== 'object') {
    throw new TypeError(
      `${where}: \`${name}\` must be a schedule made by this package (a function of the step with a \`.config\`), got ${show(value)}. Use constant(lr) for a fixed rate.`,
    );
  }
  return value as LearningRateSchedule;
}
