/**
 * Learning-rate schedules with Keras 3's arithmetic (keras.optimizers.schedules), as pure functions of the
 * optimizer step. Each is a callable with a JSON-serializable `.config`; {@link scheduleFromConfig} rebuilds it.
 */
export {
  constant,
  joinSchedules,
  type LinearWarmupOptions,
  linearWarmup,
  type SequenceOptions,
  sequence,
} from './compose.js';
export {
  type CosineDecayOptions,
  type CosineDecayRestartsOptions,
  cosineDecay,
  cosineDecayRestarts,
} from './cosine.js';
export {
  type ExponentialDecayOptions,
  exponentialDecay,
  type InverseTimeDecayOptions,
  inverseTimeDecay,
  type PiecewiseConstantDecayOptions,
  type PolynomialDecayOptions,
  piecewiseConstantDecay,
  polynomialDecay,
} from './decay.js';
export { SCHEDULE_CLASS_NAMES, scheduleFromConfig } from './from-config.js';
export type { LearningRateSchedule, ScheduleConfig } from './schedule.js';
