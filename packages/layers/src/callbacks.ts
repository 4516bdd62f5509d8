/**
 * Keras 3's training callbacks: History, EarlyStopping, TerminateOnNaN (ModelCheckpoint: model-checkpoint.ts).
 * (LearningRateScheduler and ReduceLROnPlateau come from @opt/schedules and
 * plug into fit unchanged.) Batch-level hooks for progress bars and live charts
 * are plain callbacks with `onBatchEnd`; the batch loss there stays on the
 * device until a callback calls `await logs.readLoss()`, or sets `wantsBatchLoss`.
 */
import type { Callback, CallbackModel, Logs } from '@opt/schedules';
import type { tf } from '@opt/tensor';
import type { FitStop, TrainEnd } from './training-progress.js';
import { knownOptions, nonNegativeInteger, show } from './validate.js';

/**
 * Keras's History: the epochs run and, per log key, one value per epoch; and, beyond Keras, where a fit stopped
 * by its signal stopped.
 */
export class History implements Callback {
  readonly epoch: number[] = [];
  readonly history: Record<string, number[]> = {};
  /**
   * Null when the fit ran to its last epoch or a callback's `stopTraining` ended it (Keras's way: that epoch is
   * finished and logged). Else the fit's `signal` stopped it after `step` steps of epoch `epoch` (0-based; 0
   * steps: between epochs): `fit(..., { initialEpoch: stopped.epoch, initialStep: stopped.step })` continues.
   */
  stopped: FitStop | null = null;

  /** Records how the fit ended in {@link stopped}. */
  onTrainEnd(_logs?: Logs, end?: TrainEnd): void {
    this.stopped = end?.stopped ?? null;
  }

  onEpochEnd(epoch: number, logs: Logs = {}): void {
    this.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) {
      const series = this.history[key] ?? [];
      series.push(value);
      this.history[key] = series;
    }
  }
}

/** What EarlyStopping needs of the model: copies of its weights and a way to put them back. */
interface WeightsModel extends CallbackModel {
  getWeights(): tf.Tensor[];
  setWeights(values: readonly tf.Tensor[]): void;
}

/** Which way a monitored value improves: 'min', 'max', or 'auto' (max when the key contains 'acc', else min), as in Keras. */
export type Mode = 'auto' | 'min' | 'max';

/** Keras's 'auto' mode: maximize accuracies and AUC, minimize everything else. */
export function resolveMode(where: string, mode: unknown, monitor: string): 'min' | 'max' {
  if (mode !== 'auto' && mode !== 'min' && mode !== 'max') {
    throw new RangeError(`${where}: \`mode\` must be 'auto', 'min' or 'max', got ${show(mode)}.`);
  }
  if (mode !== 'auto') return mode;
  return /acc|auc/.test(monitor) ? 'max' : 'min';
}

function withWeights(where: string, model: CallbackModel | undefined): WeightsModel {
  if (model === undefined || typeof (model as Partial<WeightsModel>).getWeights !== 'function') {
    throw new Error(`${where} needs a @opt/layers Sequential model (it is set by model.fit).`);
  }
  return model as WeightsModel;
}

const EARLY_STOPPING_OPTIONS = [
  'monitor',
  'minDelta',
  'patience',
  'verbose',
  'mode',
  'baseline',
  'restoreBestWeights',
  'startFromEpoch',
  'log',
  'stateKey',
];

/** Options of {@link EarlyStopping}: Keras's arguments in camelCase, with Keras's defaults. */
export interface EarlyStoppingOptions {
  readonly monitor?: string;
  readonly minDelta?: number;
  readonly patience?: number;
  readonly verbose?: 0 | 1;
  readonly mode?: Mode;
  readonly baseline?: number | null;
  readonly restoreBestWeights?: boolean;
  readonly startFromEpoch?: number;
  /** Where the verbose message goes. Default console.log. */
  readonly log?: (line: string) => void;
  /** The key its state has in checkpoints (default 'EarlyStopping'); give each of two EarlyStoppings its own. */
  readonly stateKey?: string;
}

/**
 * Stops training when `monitor` (default 'val_loss') has not improved by more
 * than `minDelta` for `patience` epochs (Keras 3). An epoch improves when
 * `current + minDelta < best` (min mode: it must fall by more than minDelta) or
 * `current - minDelta > best` (max mode); Keras writes both as
 * `monitor_op(current - min_delta, best)` with `min_delta` negated in min mode.
 * With `restoreBestWeights` the weights of the best epoch are put back when
 * training ends, stopped early or not (Keras 3). Epochs before `startFromEpoch`
 * are ignored (warm-up).
 */
export class EarlyStopping implements Callback {
  /** The key under which checkpoints keep {@link getState}'s progress. */
  readonly stateKey: string;
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly baseline: number | null;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  readonly mode: 'min' | 'max';
  wait = 0;
  stoppedEpoch = 0;
  best = Number.POSITIVE_INFINITY;
  bestEpoch = 0;
  private bestWeights: tf.Tensor[] | null = null;
  private model: CallbackModel | undefined;
  private readonly verbose: 0 | 1;
  private readonly log: (line: string) => void;

  constructor(options: EarlyStoppingOptions = {}) {
    knownOptions('EarlyStopping', options, EARLY_STOPPING_OPTIONS);
    this.monitor = options.monitor ?? 'val_loss';
    this.minDelta = Math.abs(options.minDelta ?? 0);
    if (!Number.isFinite(this.minDelta)) {
      throw new RangeError(`EarlyStopping: \`minDelta\` must be a finite number, got ${show(options.minDelta)}.`);
    }
    this.patience = nonNegativeInteger('EarlyStopping', 'patience', options.patience ?? 0);
    this.baseline = options.baseline ?? null;
    this.restoreBestWeights = options.restoreBestWeights ?? false;
    this.startFromEpoch = options.startFromEpoch ?? 0;
    this.mode = resolveMode('EarlyStopping', options.mode ?? 'auto', this.monitor);
    this.verbose = options.verbose ?? 0;
    this.log = options.log ?? ((line) => console.log(line));
    this.stateKey = stateKeyOption('EarlyStopping', options.stateKey);
  }

  /** Keeps the model the callback acts on (Keras's `set_model`). */
  setModel(model: CallbackModel): void {
    this.model = model;
  }

  /** Keras's `_is_improvement`: `monitor_op(value - min_delta, reference)`, min_delta negated in min mode. */
  private improves(value: number, reference: number): boolean {
    return this.mode === 'min' ? value + this.minDelta < reference : value - this.minDelta > reference;
  }

  /** Resets the wait, the best value and any kept best weights, as Keras's `on_train_begin` does. */
  onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = this.mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    this.disposeBest();
    this.bestEpoch = 0;
  }

  onEpochEnd(epoch: number, logs: Logs = {}): void {
    const current = logs[this.monitor];
    if (current === undefined) {
      this.log(
        `EarlyStopping: metric "${this.monitor}" is not in the logs (available: ${Object.keys(logs).join(', ')}); pass validation data or monitor another key.`,
      );
      return;
    }
    if (epoch < this.startFromEpoch) return;
    const model = withWeights('EarlyStopping', this.model);
    if (this.restoreBestWeights && this.bestWeights === null) {
      // Keras: if no best weights were kept yet, the current ones are the best.
      this.bestWeights = model.getWeights();
      this.bestEpoch = epoch;
    }
    this.wait += 1;
    if (this.improves(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) {
        this.disposeBest();
        this.bestWeights = model.getWeights();
      }
      if (this.baseline === null || this.improves(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      model.stopTraining = true;
    }
  }

  /** Progress for checkpoints (the best weights themselves are not saved). */
  getState(): { wait: number; best: number | null; bestEpoch: number } {
    return { wait: this.wait, best: Number.isFinite(this.best) ? this.best : null, bestEpoch: this.bestEpoch };
  }

  /** Restores {@link getState}'s progress on resume. */
  setState(state: { wait: number; best: number | null; bestEpoch: number }): void {
    this.wait = state.wait;
    this.best = state.best ?? (this.mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY);
    this.bestEpoch = state.bestEpoch;
  }

  /** A fit stopped by its signal is paused, not over: the best weights are not put back then. */
  onTrainEnd(_logs?: Logs, end?: TrainEnd): void {
    if (end?.stopped != null) {
      this.disposeBest();
      return;
    }
    if (this.stoppedEpoch > 0 && this.verbose > 0) this.log(`Epoch ${this.stoppedEpoch + 1}: early stopping`);
    if (this.restoreBestWeights && this.bestWeights !== null) {
      if (this.verbose > 0) this.log(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`);
      withWeights('EarlyStopping', this.model).setWeights(this.bestWeights);
    }
    this.disposeBest();
  }

  private disposeBest(): void {
    for (const t of this.bestWeights ?? []) t.dispose();
    this.bestWeights = null;
  }
}

/**
 * Stops training as soon as a batch's loss is NaN or infinite, and says what
 * to try. Reads the loss back every batch (Keras checks every batch too).
 */
export class TerminateOnNaN implements Callback {
  /** The message of the last termination, or null. */
  message: string | null = null;
  private model: CallbackModel | undefined;
  private epoch = 0;
  private readonly log: (line: string) => void;

  constructor(options: { log?: (line: string) => void } = {}) {
    knownOptions('TerminateOnNaN', options, ['log']);
    this.log = options.log ?? ((line) => console.log(line));
  }

  /** Keeps the model the callback acts on (Keras's `set_model`). */
  setModel(model: CallbackModel): void {
    this.model = model;
  }

  /** Remembers the epoch, for the message naming the batch whose loss was not finite. */
  onEpochBegin(epoch: number): void {
    this.epoch = epoch;
  }

  /** fit's batch logs read the loss from the device on request; plain Keras-shaped logs carry it. */
  async onBatchEnd(batch: number, logs: { loss?: number; readLoss?: () => Promise<number> } = {}): Promise<void> {
    const loss = typeof logs.readLoss === 'function' ? await logs.readLoss() : logs.loss;
    if (loss === undefined || Number.isFinite(loss) || this.model === undefined) return;
    const lr = this.model.optimizer.learningRate;
    this.message =
      `Epoch ${this.epoch + 1}, batch ${batch}: invalid loss ${loss}, terminating training. ` +
      `The loss diverged: try a learning rate 10x lower than the current ${lr}, i.e. learningRate: ${lr / 10}; ` +
      'also check that the inputs are scaled (e.g. Rescaling({ scale: 1 / 255 })) and free of NaN, or clip gradients.';
    this.log(this.message);
    this.model.stopTraining = true;
  }
}

/** A callback's `stateKey` option: a non-empty string, by default the callback's name (stable under minifiers). */
export function stateKeyOption(name: string, key: unknown): string {
  if (key === undefined) return name;
  if (typeof key !== 'string' || key === '') {
    throw new TypeError(`${name}: \`stateKey\` must be a non-empty string, got ${show(key)}.`);
  }
  return key;
}
