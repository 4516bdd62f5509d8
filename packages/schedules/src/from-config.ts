/** Rebuilding a schedule from its `.config` (or the config after a JSON round trip), validated as the builders do. */
import { constant, type LinearWarmupOptions, linearWarmup, type SequenceOptions, sequence } from './compose.js';
import {
  type CosineDecayOptions,
  type CosineDecayRestartsOptions,
  cosineDecay,
  cosineDecayRestarts,
} from './cosine.js';
import {
  type ExponentialDecayOptions,
  exponentialDecay,
  type InverseTimeDecayOptions,
  inverseTimeDecay,
  type PiecewiseConstantDecayOptions,
  type PolynomialDecayOptions,
  piecewiseConstantDecay,
  polynomialDecay,
} from './decay.js';
import type { LearningRateSchedule, ScheduleConfig } from './schedule.js';
import { knownKeys, optionsObject, show } from './validate.js';

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
