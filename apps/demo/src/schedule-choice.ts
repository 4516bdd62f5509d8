/**
 * The schedule knob shared by the playground and the training view: which
 * @opt/schedules schedule drives the learning rate, built from the optimizer's
 * initial rate, through the recipe the CLI shares. No DOM here: the training worker uses it too.
 */
import type { LearningRate } from '@opt/optimizers';
import { buildSchedule, type ScheduleSpec } from '@opt/recipe';

export type ScheduleKind = 'constant' | 'exponentialDecay' | 'inverseTimeDecay' | 'cosineDecay';

export interface ScheduleSettings {
  readonly kind: ScheduleKind;
  readonly decaySteps: number;
  /** exponentialDecay and inverseTimeDecay. */
  readonly decayRate: number;
  /** cosineDecay: the final rate as a fraction of the initial one. */
  readonly alpha: number;
}

export const SCHEDULE_CHOICES: ReadonlyArray<readonly [ScheduleKind, string]> = [
  ['constant', 'constant'],
  ['exponentialDecay', 'exponentialDecay: lr0 · rate^(step / steps)'],
  ['inverseTimeDecay', 'inverseTimeDecay: lr0 / (1 + rate · step / steps)'],
  ['cosineDecay', 'cosineDecay: half a cosine over the steps'],
];

/** The recipe's schedule of these settings (@opt/recipe, the one the CLI's `--schedule` also becomes). */
export function scheduleSpecOf(s: ScheduleSettings): ScheduleSpec {
  switch (s.kind) {
    case 'constant':
      return { kind: 'constant' };
    case 'exponentialDecay':
    case 'inverseTimeDecay':
      return { kind: s.kind, decaySteps: s.decaySteps, decayRate: s.decayRate, staircase: false };
    case 'cosineDecay':
      return { kind: s.kind, decaySteps: s.decaySteps, alpha: s.alpha, warmupSteps: 0, warmupFrom: 0 };
  }
}

/** The learning rate for an optimizer whose initial rate is `lr0`: a number, or a schedule of @opt/schedules. */
export function learningRateOf(lr0: number, s: ScheduleSettings): LearningRate {
  return buildSchedule({ learningRate: lr0, schedule: scheduleSpecOf(s) }) ?? lr0;
}
