/**
 * The schedule knob shared by the playground and the training view: which
 * @opt/schedules schedule drives the learning rate, built from the optimizer's
 * initial rate. No DOM here: the training worker uses it too.
 */
import type { LearningRate } from '@opt/optimizers';
import { cosineDecay, exponentialDecay, inverseTimeDecay } from '@opt/schedules';

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

/** The learning rate for an optimizer whose initial rate is `lr0`: a number, or a schedule of @opt/schedules. */
export function learningRateOf(lr0: number, s: ScheduleSettings): LearningRate {
  switch (s.kind) {
    case 'constant':
      return lr0;
    case 'exponentialDecay':
      return exponentialDecay({ initialLearningRate: lr0, decaySteps: s.decaySteps, decayRate: s.decayRate });
    case 'inverseTimeDecay':
      return inverseTimeDecay({ initialLearningRate: lr0, decaySteps: s.decaySteps, decayRate: s.decayRate });
    case 'cosineDecay':
      return cosineDecay({ initialLearningRate: lr0, decaySteps: s.decaySteps, alpha: s.alpha });
  }
}
