/**
 * Epoch-level callbacks in Keras's shape, acting on anything whose `optimizer.learningRate` can be read and
 * set: the fit loop of @opt/layers or a hand-written loop.
 */
import { knownKeys, nonNegative, nonNegativeInteger, optionsObject, show } from './validate.js';

/** Keras log keys: 'loss', 'accuracy', 'val_loss', 'val_accuracy', 'learning_rate'. */
export type Logs = Record<string, number>;

/** What a callback can reach of the model it drives (Keras: callback.model). */
export interface CallbackModel {
  readonly optimizer: { learningRate: number };
  stopTraining: boolean;
}

/** Keras-shaped callback. All hooks optional; may return a Promise. Epochs and batches are 0-based. */
export interface Callback {
  /** Called once before training with what the callback may read and change (Keras sets `callback.model`). */
  setModel?(model: CallbackModel): void;
  /** Called once before the first epoch. */
  onTrainBegin?(logs?: Logs): void | Promise<void>;
  /** Called once after the last epoch, or after a callback set `stopTraining`; `logs` are the last epoch's. */
  onTrainEnd?(logs?: Logs): void | Promise<void>;
  /** Called before epoch `epoch` (0-based) runs its first batch. */
  onEpochBegin?(epoch: number, logs?: Logs): void | Promise<void>;
  /** May write into logs (e.g. logs.learning_rate). */
  onEpochEnd?(epoch: number, logs?: Logs): void | Promise<void>;
  /** Called before batch `batch` (0-based within its epoch). */
  onBatchBegin?(batch: number, logs?: Logs): void | Promise<void>;
  /** Called after batch `batch` (0-based within its epoch) with that batch's logs. */
  onBatchEnd?(batch: number, logs?: Logs): void | Promise<void>;
}

/** Where a callback's messages go; defaults to console.log (the CLI passes its own). */
export type LogFunction = (message: string) => void;

/**
 * Formats a number as Python's `repr(float)` does, so printed messages read exactly as Keras's:
 * shortest round-trip digits, fixed notation for exponents in [-4, 16), otherwise `1e-05` style, and a
 * trailing `.0` on integers.
 */
export function formatFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Number.POSITIVE_INFINITY) return 'inf';
  if (x === Number.NEGATIVE_INFINITY) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, exponentText] = x.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  // In this exponent range JavaScript's shortest round-trip form is already in fixed notation.
  const fixed = String(x);
  return fixed.includes('.') ? fixed : `${fixed}.0`;
}

function checkEpoch(where: string, epoch: unknown): number {
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch) || epoch < 0) {
    throw new RangeError(`${where}: \`epoch\` must be an integer >= 0 (epochs are 0-based), got ${show(epoch)}.`);
  }
  return epoch;
}

function checkVerbose(where: string, verbose: unknown): 0 | 1 {
  if (verbose !== 0 && verbose !== 1) {
    throw new RangeError(`${where}: \`verbose\` must be 0 (quiet) or 1 (print updates), got ${show(verbose)}.`);
  }
  return verbose;
}

function checkLog(where: string, name: string, log: unknown): LogFunction {
  if (typeof log !== 'function') {
    throw new TypeError(`${where}: \`${name}\` must be a function (message: string) => void, got ${show(log)}.`);
  }
  return log as LogFunction;
}

function readLearningRate(where: string, model: CallbackModel | undefined): number {
  if (model === undefined) {
    throw new Error(`${where}: no model; call setModel({ optimizer, stopTraining }) before the epoch hooks.`);
  }
  const lr = (model.optimizer as { learningRate?: unknown } | undefined)?.learningRate;
  if (typeof lr !== 'number') {
    throw new TypeError(`${where}: the model's optimizer must have a numeric \`learningRate\`, got ${show(lr)}.`);
  }
  return lr;
}

/** Options of {@link LearningRateScheduler} besides its schedule. */
export interface LearningRateSchedulerOptions {
  /** 0: quiet, 1: print the new rate at the start of each epoch. Default 0. */
  verbose?: 0 | 1;
  /** Default console.log. */
  log?: LogFunction;
}

/**
 * Keras `LearningRateScheduler`: at the start of each epoch sets
 * `optimizer.learningRate = schedule(epoch, optimizer.learningRate)` (epoch 0-based), and at the end of
 * each epoch writes the rate into `logs.learning_rate`. Any schedule of this package works as
 * `schedule` (it ignores the second argument), with the epoch as its step.
 *
 * An epoch continued after its first steps (@opt/layers' fit with `initialStep`, whose `onEpochBegin` logs carry
 * `initialStep > 0`) already has its rate: the restored optimizer's, set when the epoch began. It is not set
 * again, so a schedule of the current rate (`lr * 0.9`) is applied once per epoch, as without the stop.
 */
export class LearningRateScheduler implements Callback {
  /** The rate for an epoch from its 0-based index and the current rate (Keras's `schedule(epoch, lr)`). */
  readonly schedule: (epoch: number, lr: number) => number;
  /** 0: quiet, 1: print the new rate at the start of each epoch. */
  readonly verbose: 0 | 1;
  private readonly log: LogFunction;
  private model: CallbackModel | undefined;

  constructor(schedule: (epoch: number, lr: number) => number, options: LearningRateSchedulerOptions = {}) {
    const where = 'LearningRateScheduler';
    if (typeof schedule !== 'function') {
      throw new TypeError(`${where}: \`schedule\` must be a function (epoch, lr) => number, got ${show(schedule)}.`);
    }
    const o = optionsObject(where, options);
    knownKeys(where, o, ['verbose', 'log']);
    this.schedule = schedule;
    this.verbose = checkVerbose(where, o.verbose ?? 0);
    this.log = checkLog(where, 'log', o.log ?? console.log);
  }

  /** Keeps the model whose `optimizer.learningRate` the epochs set. */
  setModel(model: CallbackModel): void {
    this.model = model;
  }

  /**
   * Sets `optimizer.learningRate = schedule(epoch, optimizer.learningRate)`, unless the epoch is continued after
   * its first steps (`logs.initialStep > 0`). Throws when the schedule returns anything but a finite number >= 0.
   */
  onEpochBegin(epoch: number, logs?: Logs): void {
    const where = 'LearningRateScheduler';
    checkEpoch(where, epoch);
    if ((logs?.initialStep ?? 0) > 0) return;
    const current = readLearningRate(where, this.model);
    const next: unknown = this.schedule(epoch, current);
    if (typeof next !== 'number' || !Number.isFinite(next) || next < 0) {
      const message = `${where}: the schedule returned ${show(next)} for epoch ${epoch} (current learning rate ${current}); it must return a finite number >= 0.`;
      throw typeof next === 'number' ? new RangeError(message) : new TypeError(message);
    }
    (this.model as CallbackModel).optimizer.learningRate = next;
    if (this.verbose > 0) {
      this.log(`Epoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${formatFloat(next)}.`);
    }
  }

  /** Writes the rate the epoch ran with into `logs.learning_rate`, as Keras's History records it. */
  onEpochEnd(_epoch: number, logs?: Logs): void {
    const lr = readLearningRate('LearningRateScheduler', this.model);
    if (logs) logs.learning_rate = lr;
  }
}

/** Options of {@link ReduceLROnPlateau}: Keras's arguments in camelCase, with Keras's defaults. */
export interface ReduceLROnPlateauOptions {
  /** Log key to watch. Default 'val_loss'. */
  monitor?: string;
  /** `newLr = lr * factor`, in (0, 1). Default 0.1. */
  factor?: number;
  /** Epochs without improvement before reducing. Default 10. */
  patience?: number;
  /** 0: quiet, 1: print each reduction. Default 0. */
  verbose?: 0 | 1;
  /** 'min', 'max', or 'auto' (max if the monitor's name contains 'acc', else min). Default 'auto'. */
  mode?: 'auto' | 'min' | 'max';
  /** Absolute change that counts as an improvement. Default 1e-4. */
  minDelta?: number;
  /** Epochs after a reduction during which no waiting is counted. Default 0. */
  cooldown?: number;
  /** Lower bound on the rate. Default 0. */
  minLr?: number;
  /** Reduction messages (verbose 1). Default console.log. */
  log?: LogFunction;
  /** Warnings (monitored key missing). Default: `log` if given, else console.warn. */
  warn?: LogFunction;
  /**
   * The key under which a checkpoint (@opt/layers' fit) keeps {@link ReduceLROnPlateau.getState}'s progress.
   * Default 'ReduceLROnPlateau'; give each of two in one fit its own.
   */
  stateKey?: string;
}

/** JSON-able progress of a {@link ReduceLROnPlateau}, for checkpoints. `best` null: nothing seen yet. */
export interface ReduceLROnPlateauState {
  readonly best: number | null;
  readonly wait: number;
  readonly cooldownCounter: number;
}

/**
 * Keras 3 `ReduceLROnPlateau`, at the end of each epoch:
 * 1. `logs.learning_rate = lr` (the rate the epoch ran with);
 * 2. if the monitored value is missing from the logs: a warning, nothing else;
 * 3. if in cooldown (`cooldownCounter > 0`): `cooldownCounter -= 1`, `wait = 0`;
 * 4. improvement is `current < best - minDelta` (mode min) or `current > best + minDelta` (mode max):
 *    then `best = current`, `wait = 0`;
 * 5. otherwise, if not in cooldown: `wait += 1`, and once `wait >= patience` and `lr > minLr`:
 *    `lr = max(lr * factor, minLr)`, `cooldownCounter = cooldown`, `wait = 0`.
 * `best` starts at +Infinity (min) or -Infinity (max); onTrainBegin resets best, wait and the cooldown.
 */
export class ReduceLROnPlateau implements Callback {
  /** The key under which checkpoints keep {@link getState}'s progress: a declared name, stable under minifiers. */
  readonly stateKey: string;
  /** The log key watched, e.g. 'val_loss'. */
  readonly monitor: string;
  /** `newLr = lr * factor` on a plateau, in (0, 1). */
  readonly factor: number;
  /** Epochs without improvement before the rate is reduced. */
  readonly patience: number;
  /** 0: quiet, 1: print each reduction. */
  readonly verbose: 0 | 1;
  /** 'min', 'max', or 'auto' as given; {@link direction} is what it resolved to. */
  readonly mode: 'auto' | 'min' | 'max';
  /** Absolute change of the monitored value that counts as an improvement. */
  readonly minDelta: number;
  /** Epochs after a reduction during which no waiting is counted. */
  readonly cooldown: number;
  /** Lower bound on the rate. */
  readonly minLr: number;
  /** The direction actually used: 'auto' resolved from the monitor's name. */
  readonly direction: 'min' | 'max';
  /** The best monitored value seen since training began (+Infinity or -Infinity before the first). */
  best = 0;
  /** Epochs since the last improvement, outside cooldown. */
  wait = 0;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;
  private readonly log: LogFunction;
  private readonly warn: LogFunction;
  private readonly warned = new Set<string>();
  private model: CallbackModel | undefined;

  constructor(options: ReduceLROnPlateauOptions = {}) {
    const where = 'ReduceLROnPlateau';
    const o = optionsObject(where, options);
    knownKeys(where, o, [
      'monitor',
      'factor',
      'patience',
      'verbose',
      'mode',
      'minDelta',
      'cooldown',
      'minLr',
      'log',
      'warn',
      'stateKey',
    ]);
    const monitor = o.monitor ?? 'val_loss';
    if (typeof monitor !== 'string' || monitor === '') {
      throw new TypeError(`${where}: \`monitor\` must be a log key such as 'val_loss', got ${show(monitor)}.`);
    }
    this.monitor = monitor;
    const factor = o.factor ?? 0.1;
    if (typeof factor !== 'number' || !Number.isFinite(factor) || factor <= 0 || factor >= 1) {
      throw new RangeError(
        `${where}: \`factor\` must be a number in (0, 1) (new_lr = lr * factor), got ${show(factor)}. Keras does not support a factor >= 1.0; use e.g. 0.1 or 0.5.`,
      );
    }
    this.factor = factor;
    this.patience = nonNegativeInteger(where, 'patience', o.patience ?? 10);
    this.verbose = checkVerbose(where, o.verbose ?? 0);
    const mode = o.mode ?? 'auto';
    if (mode !== 'auto' && mode !== 'min' && mode !== 'max') {
      // Keras warns and falls back to 'auto'; a typo here would silently flip the direction, so it is an error.
      throw new RangeError(`${where}: \`mode\` must be 'auto', 'min' or 'max', got ${show(mode)}.`);
    }
    this.mode = mode;
    this.minDelta = nonNegative(where, 'minDelta', o.minDelta ?? 1e-4);
    this.cooldown = nonNegativeInteger(where, 'cooldown', o.cooldown ?? 0);
    this.minLr = nonNegative(where, 'minLr', o.minLr ?? 0);
    this.log = checkLog(where, 'log', o.log ?? console.log);
    this.warn = checkLog(where, 'warn', o.warn ?? o.log ?? console.warn);
    this.direction = mode === 'min' || (mode === 'auto' && !monitor.includes('acc')) ? 'min' : 'max';
    const stateKey = o.stateKey ?? where;
    if (typeof stateKey !== 'string' || stateKey === '') {
      throw new TypeError(`${where}: \`stateKey\` must be a non-empty string, got ${show(stateKey)}.`);
    }
    this.stateKey = stateKey;
    this.reset();
  }

  private reset(): void {
    this.best = this.direction === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    this.cooldownCounter = 0;
    this.wait = 0;
  }

  private isImprovement(current: number): boolean {
    return this.direction === 'min' ? current < this.best - this.minDelta : current > this.best + this.minDelta;
  }

  /** True while epochs after a reduction are not counted as waiting (`cooldownCounter > 0`). */
  inCooldown(): boolean {
    return this.cooldownCounter > 0;
  }

  /** Keeps the model whose `optimizer.learningRate` a plateau reduces. */
  setModel(model: CallbackModel): void {
    this.model = model;
  }

  /** Resets `best`, `wait` and the cooldown, as Keras's `on_train_begin` does. */
  onTrainBegin(): void {
    this.reset();
  }

  /** Steps 1 to 5 of the class description. */
  onEpochEnd(epoch: number, logs: Logs = {}): void {
    const where = 'ReduceLROnPlateau';
    checkEpoch(where, epoch);
    logs.learning_rate = readLearningRate(where, this.model);
    const current = logs[this.monitor];
    if (current === undefined) {
      const message = `Learning rate reduction is conditioned on metric \`${this.monitor}\` which is not available. Available metrics are: ${Object.keys(logs).join(',')}.`;
      // Python's warnings module prints a given warning once; so does this.
      if (!this.warned.has(message)) {
        this.warned.add(message);
        this.warn(message);
      }
      return;
    }
    if (this.inCooldown()) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    if (this.isImprovement(current)) {
      this.best = current;
      this.wait = 0;
    } else if (!this.inCooldown()) {
      this.wait += 1;
      if (this.wait >= this.patience) {
        const oldLr = readLearningRate(where, this.model);
        // Keras compares in float32: a rate already clamped to minLr (stored as float32) is not reduced again.
        if (Math.fround(oldLr) > Math.fround(this.minLr)) {
          const newLr = Math.max(oldLr * this.factor, this.minLr);
          (this.model as CallbackModel).optimizer.learningRate = newLr;
          if (this.verbose > 0) {
            this.log(`Epoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${formatFloat(newLr)}.`);
          }
          this.cooldownCounter = this.cooldown;
          this.wait = 0;
        }
      }
    }
  }

  /** The constructor's options (without the log functions), JSON-serializable. */
  getConfig(): Required<Omit<ReduceLROnPlateauOptions, 'log' | 'warn'>> {
    const { monitor, factor, patience, verbose, mode, minDelta, cooldown, minLr, stateKey } = this;
    return { monitor, factor, patience, verbose, mode, minDelta, cooldown, minLr, stateKey };
  }

  /** Progress so a resumed run reduces at the same epochs. */
  getState(): ReduceLROnPlateauState {
    return {
      best: Number.isFinite(this.best) ? this.best : null,
      wait: this.wait,
      cooldownCounter: this.cooldownCounter,
    };
  }

  /** Restores {@link getState}'s progress (validated: a malformed state is an error naming the field). */
  setState(state: ReduceLROnPlateauState): void {
    const where = 'ReduceLROnPlateau.setState';
    const s = optionsObject(where, state);
    knownKeys(where, s, ['best', 'wait', 'cooldownCounter']);
    const wait = nonNegativeInteger(where, 'wait', s.wait);
    const cooldownCounter = nonNegativeInteger(where, 'cooldownCounter', s.cooldownCounter);
    let best: number;
    if (s.best === null) best = this.direction === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    else if (typeof s.best === 'number' && Number.isFinite(s.best)) best = s.best;
    else throw new TypeError(`${where}: \`best\` must be a finite number or null, got ${show(s.best)}.`);
    this.best = best;
    this.wait = wait;
    this.cooldownCounter = cooldownCounter;
  }
}
