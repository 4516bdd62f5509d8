/**
 * The learning rate of an optimizer: a constant that can be set between steps, or a schedule
 * `(step) => number` read at `iterations` (Keras reads it before the step) and checked at every step.
 */
import { positive } from './validate.js';

/** A learning rate: a constant, or a function of the step (a LearningRateSchedule of @opt/schedules fits). */
export type LearningRate = number | ((step: number) => number);

/** A schedule with a JSON description (LearningRateSchedule of @opt/schedules). */
interface Described {
  readonly config?: { readonly className: string; readonly config: Record<string, unknown> };
}

/** `{ className, config }` of a described schedule, `{ className: 'function' }` for a bare function, or the number. */
export function describeLearningRate(rate: LearningRate): unknown {
  return typeof rate === 'number' ? rate : ((rate as Described).config ?? { className: 'function' });
}

/** A schedule's name for messages: its className, or 'a function'. */
function scheduleName(rate: (step: number) => number): string {
  return (rate as Described).config?.className ?? 'a function';
}

/**
 * The value of `rate` at `step`. A schedule's value must be finite and >= 0: a NaN would turn the weights into
 * NaN and a negative rate would climb the loss, so the step stops here, before any weight changes. 0 is allowed,
 * as in Keras: a warmup from 0 (Keras's CosineDecay example) starts there, and a cosine decay with alpha 0 reaches
 * it at its last step (which `fit` reads for the epoch's logs after the run's last step).
 */
export function learningRateAt(owner: string, rate: LearningRate, step: number): number {
  if (typeof rate === 'number') return rate;
  const value = rate(step);
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `${owner}: the learning-rate schedule (${scheduleName(rate)}) returned ${String(value)} at step ${step} ` +
        "(0-based); a learning rate must be a finite number >= 0. No weight was changed. Check the schedule's " +
        'arguments (a decay that goes negative, a division by zero, a value read from the device).',
    );
  }
  return value;
}

/** An optimizer's own learning rate: Keras's `learning_rate`, a number or a schedule. */
export class LearningRateSetting {
  private rate: LearningRate;

  constructor(
    private readonly owner: string,
    rate: LearningRate,
  ) {
    if (typeof rate !== 'function') positive(owner, 'learningRate', rate, '0.001');
    this.rate = rate;
  }

  /** The rate as given: the constant, or the schedule itself. */
  get value(): LearningRate {
    return this.rate;
  }

  get isSchedule(): boolean {
    return typeof this.rate === 'function';
  }

  /** The learning rate of the step after `step` steps, checked. */
  at(step: number): number {
    return learningRateAt(this.owner, this.rate, step);
  }

  /**
   * Replaces a constant learning rate (callbacks such as ReduceLROnPlateau do). A schedule cannot be replaced by a
   * number, as in Keras: the number would silently stop the schedule.
   */
  set(value: number): void {
    if (typeof this.rate === 'function') {
      throw new TypeError(
        `${this.owner}: the learning rate follows a schedule (${scheduleName(this.rate)}), so it cannot be set to ` +
          `${String(value)} (Keras raises here too). To change a schedule, build a new optimizer with the schedule you ` +
          'want, e.g. learningRate: exponentialDecay({ ... }), or one that scales it: ' +
          'learningRate: (step) => 0.5 * schedule(step). To set the rate between steps (ReduceLROnPlateau, ' +
          'LearningRateScheduler), build the optimizer with a number.',
      );
    }
    this.rate = positive(this.owner, 'learningRate', value, '0.001');
  }

  /** For setState: a saved constant replaces this constant; a schedule keeps itself (its value follows the step). */
  restore(where: string, saved: number, savedFromSchedule: boolean): void {
    if (typeof this.rate === 'function') {
      if (!savedFromSchedule) {
        throw new Error(
          `${where}: the state was saved with a constant learning rate (${saved}) but this optimizer follows a schedule ` +
            `(${scheduleName(this.rate)}). Build the optimizer with learningRate: ${saved} to resume that run.`,
        );
      }
      return;
    }
    this.rate = positive(where, 'learningRate', saved, '0.001');
  }

  /** For getConfig: the number, or the schedule's `{ className, config }`. */
  describe(): unknown {
    return describeLearningRate(this.rate);
  }
}
