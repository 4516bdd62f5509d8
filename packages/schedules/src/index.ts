export type {
  Callback,
  CallbackModel,
  LearningRateSchedulerOptions,
  LogFunction,
  Logs,
  ReduceLROnPlateauOptions,
  ReduceLROnPlateauState,
} from './callbacks.js';
export { formatFloat, LearningRateScheduler, ReduceLROnPlateau } from './callbacks.js';
export type { SampleOptions, SamplePoint } from './sample.js';
export { sampleSchedule } from './sample.js';
export type {
  CosineDecayOptions,
  CosineDecayRestartsOptions,
  ExponentialDecayOptions,
  InverseTimeDecayOptions,
  LearningRateSchedule,
  LinearWarmupOptions,
  PiecewiseConstantDecayOptions,
  PolynomialDecayOptions,
  ScheduleConfig,
  SequenceOptions,
} from './schedules.js';
export {
  constant,
  cosineDecay,
  cosineDecayRestarts,
  exponentialDecay,
  inverseTimeDecay,
  joinSchedules,
  linearWarmup,
  piecewiseConstantDecay,
  polynomialDecay,
  SCHEDULE_CLASS_NAMES,
  scheduleFromConfig,
  sequence,
} from './schedules.js';
