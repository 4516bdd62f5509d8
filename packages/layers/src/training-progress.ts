/**
 * Where a model's training stands, beyond its weights and its optimizer: the epochs completed, the steps done of
 * the next epoch and that epoch's loss and metric sums so far, the seed of the shuffles, the layers' random
 * streams (Dropout) and the state of the fit's callbacks. Checkpoints save it and hand it back, so that a resumed
 * run repeats exactly what an uninterrupted one would have done, from an epoch's end or from inside an epoch.
 */
import type { RandomState } from '@opt/tensor';
import type { Layer } from './layers/index.js';
import type { EpochSums, MetricSums } from './metric-sums.js';

/** The JSON form a checkpoint stores (`training` in model.json). */
export interface ProgressState {
  /** Epochs completed. */
  readonly epoch: number;
  /** Steps done of epoch `epoch` (0-based), 0 at an epoch's end; absent in checkpoints written before it existed. */
  readonly step?: number;
  /** With `step > 0`: epoch `epoch`'s loss and metric sums over those steps. */
  readonly epochSums?: EpochSums;
  readonly shuffleSeed: number;
  /** Random streams of the layers, keyed by position (auto names like dropout_3 differ between processes). */
  readonly random: Record<string, RandomState>;
  /** States of the callbacks with `getState()`, keyed by each one's `stateKey`. */
  readonly callbackStates?: Record<string, unknown>;
  /**
   * Checkpoints written before `stateKey` existed: states keyed by position and class name, e.g.
   * '0:ReduceLROnPlateau'. Read (by the same position and class) but no longer written.
   */
  readonly callbacks?: Record<string, unknown>;
}

/** A callback as checkpoints see it: its state and the key that state is kept under. */
interface StatefulCallback {
  readonly stateKey?: unknown;
  getState?(): unknown;
  setState?(state: unknown): void;
}

/** For messages: the class name (maybe minified) is a hint to the reader, never a key. */
const named = (callback: object, index: number) => `callback ${index} (${callback.constructor?.name || 'object'})`;

/**
 * The `stateKey` of each callback that has `getState()`: declared, a non-empty string, and unique among the
 * callbacks of one fit; otherwise an error that says what to declare. Keys are explicit because a class name
 * is not stable: minifiers rename classes, so a checkpoint from one build would not find its callbacks in the
 * next.
 */
export function callbackStateKeys(callbacks: readonly object[]): Map<object, string> {
  const keys = new Map<object, string>();
  const owners = new Map<string, number>();
  callbacks.forEach((cb, i) => {
    const stateful = cb as StatefulCallback;
    if (typeof stateful.getState !== 'function') return;
    const key = stateful.stateKey;
    if (key === undefined) {
      throw new Error(
        `fit: ${named(cb, i)} has getState() but no \`stateKey\`, the name its state is kept under in checkpoints. ` +
          "Declare one, e.g. `readonly stateKey = 'myCallback'` (a class name is not used: minifiers rename classes).",
      );
    }
    if (typeof key !== 'string' || key === '') {
      throw new TypeError(`fit: ${named(cb, i)} has a \`stateKey\` that is not a non-empty string: ${String(key)}.`);
    }
    const first = owners.get(key);
    if (first !== undefined) {
      throw new Error(
        `fit: ${named(callbacks[first] as object, first)} and ${named(cb, i)} both keep their state under the stateKey ` +
          `'${key}', so a checkpoint could not tell them apart. Give one of them its own, e.g. ` +
          "new ModelCheckpoint(path, { stateKey: 'bestCheckpoint' }).",
      );
    }
    owners.set(key, i);
    keys.set(cb, key);
  });
  return keys;
}

/** Where a fit stopped by its `signal` stopped: `step` steps of epoch `epoch` (0-based) were done. */
export interface FitStop {
  /** The epoch in progress (epochs completed before it): fit's `initialEpoch` to continue. */
  readonly epoch: number;
  /** Steps of it done, 0 when the fit stopped between epochs: fit's `initialStep` to continue. */
  readonly step: number;
}

/** What fit tells `onTrainEnd`, after Keras's logs: whether it stopped on its signal, and where. */
export interface TrainEnd {
  /** Null when the fit ran to its last epoch or `stopTraining` ended it; else where its signal stopped it. */
  readonly stopped: FitStop | null;
}

export class TrainingProgress {
  /** Epochs completed: the next fit resumes at this epoch. */
  epoch = 0;
  /** Steps done of epoch {@link epoch}: 0 at an epoch's end; more when a fit stopped (or was saved) inside one. */
  step = 0;
  /** The seed that orders the shuffles of tensors (`Random.epochPermutation`). */
  shuffleSeed: number;
  /** The callbacks of the fit in progress with state, and their keys. */
  private running: { callbacks: readonly object[]; keys: Map<object, string> } | null = null;
  /**
   * Callback states for the next fit's callbacks: read from a checkpoint, or kept from a fit that stopped on its
   * signal (so that continuing it in the same process is the same as resuming it from a checkpoint).
   */
  private pending: Pick<ProgressState, 'callbackStates' | 'callbacks'> | null = null;
  /** The sums of the epoch in progress, on the device while a fit runs it. */
  private liveSums: MetricSums | null = null;
  /** The sums of epoch {@link epoch}'s first {@link step} steps, as numbers (from a checkpoint or a stopped fit). */
  private carriedSums: EpochSums | null = null;

  constructor(
    private readonly layers: readonly Layer[],
    seed: number,
  ) {
    this.shuffleSeed = seed;
  }

  /**
   * A fit starts, before any callback runs: checks the callbacks' state keys ({@link callbackStateKeys}); their
   * states go into the checkpoints written during the fit.
   */
  startFit(callbacks: readonly object[]): void {
    this.running = { callbacks, keys: callbackStateKeys(callbacks) };
  }

  /**
   * After the callbacks' onTrainBegin (which resets them): states from a loaded checkpoint go back to the
   * callbacks, by stateKey (by position and class name for checkpoints written before stateKey).
   */
  restoreCallbackStates(): void {
    const pending = this.pending;
    this.pending = null;
    if (pending === null || this.running === null) return;
    const { callbacks, keys } = this.running;
    callbacks.forEach((cb, i) => {
      const key = keys.get(cb);
      const stateful = cb as StatefulCallback;
      if (key === undefined || typeof stateful.setState !== 'function') return;
      const state = pending.callbackStates?.[key] ?? pending.callbacks?.[`${i}:${cb.constructor.name}`];
      if (state !== undefined) stateful.setState(state);
    });
  }

  /**
   * The sums a fit continuing epoch `epoch` after `step` steps starts from, or an error that says where the
   * training stands and what to pass instead. Asked before any callback runs. `step` undefined: the fit did not
   * say; that is refused only when the model stands inside that very epoch ready to continue it (a stop or a
   * checkpoint there), where starting it again from its first step is rarely what was meant.
   */
  resumeSums(epoch: number, step: number | undefined, metrics: number): EpochSums | null {
    const here = `the model's training stands after step ${this.step} of epoch ${this.epoch + 1} (initialEpoch: ${this.epoch}, initialStep: ${this.step}; model.epochsCompleted and model.stepsInEpoch)`;
    if (step === undefined || step === 0) {
      if (step === undefined && this.step > 0 && this.carriedSums !== null && epoch === this.epoch) {
        throw new Error(
          `fit: ${here}, from the checkpoint it was loaded from or the fit that stopped. Pass initialStep: ${this.step} ` +
            'to continue that epoch (the same steps, weights and epoch logs as without the stop), or initialStep: 0 to run it again from its first step.',
        );
      }
      return null;
    }
    if (epoch !== this.epoch || step !== this.step || this.carriedSums === null) {
      throw new Error(
        `fit: initialStep ${step} continues epoch ${epoch + 1} after its first ${step} steps, but ${here}. ` +
          "Continuing inside an epoch needs that epoch's loss and metric sums, which a checkpoint written at that step (or a fit stopped there) holds: " +
          `pass initialEpoch: ${this.epoch}, initialStep: ${this.step}, or initialStep: 0 to start an epoch from its first step.`,
      );
    }
    if (this.carriedSums.correct.length !== metrics) {
      throw new Error(
        `fit: the checkpoint's epoch sums hold ${this.carriedSums.correct.length} metrics but the model is compiled with ${metrics}: ` +
          'compile with the metrics it was saved with to continue inside the epoch, or pass initialStep: 0.',
      );
    }
    return this.carriedSums;
  }

  /** A fit starts at epoch `epoch` after `step` of its steps (the sums checked by {@link resumeSums}). */
  startAt(epoch: number, step: number): void {
    this.epoch = epoch;
    this.step = step;
    if (step === 0) this.carriedSums = null;
  }

  /** Epoch `epoch` starts (or continues after `step` steps); `sums` are its sums on the device. */
  enterEpoch(epoch: number, step: number, sums: MetricSums): void {
    this.epoch = epoch;
    this.step = step;
    this.liveSums = sums;
    this.carriedSums = null;
  }

  /** The epoch's sums are being read for its logs: the epoch is complete once its callbacks run. */
  completeEpoch(epoch: number): void {
    this.epoch = epoch + 1;
    this.step = 0;
    this.liveSums = null;
  }

  /** The fit stopped inside the epoch: its sums are read back and kept for a checkpoint or a continuing fit. */
  async stopInEpoch(): Promise<void> {
    const live = this.liveSums;
    this.liveSums = null;
    if (live !== null) this.carriedSums = await live.state();
  }

  /**
   * The fit ends. When it stopped on its signal, the callbacks' states are kept: `model.save()` writes them, and
   * the next fit's callbacks get them back, as from a loaded checkpoint.
   */
  endFit(stopped: FitStop | null): void {
    if (stopped !== null && this.running !== null) this.pending = { callbackStates: this.callbackStates() };
    this.running = null;
    this.liveSums = null;
  }

  private callbackStates(): Record<string, unknown> {
    const states: Record<string, unknown> = {};
    for (const [cb, key] of this.running?.keys ?? []) states[key] = (cb as StatefulCallback).getState?.();
    return states;
  }

  /**
   * The JSON a checkpoint stores. The epoch's sums are read from the device when a fit is inside an epoch; the
   * read starts before this returns, so the sums are those of the moment of the call.
   */
  snapshot(): Promise<ProgressState> {
    const random: Record<string, RandomState> = {};
    this.layers.forEach((layer, i) => {
      const s = layer.getRandomState();
      if (s !== null) random[String(i)] = s;
    });
    const callbackStates = this.running !== null ? this.callbackStates() : { ...this.pending?.callbackStates };
    const { epoch, step, shuffleSeed } = this;
    const base: ProgressState = { epoch, step, shuffleSeed, random, callbackStates };
    if (step === 0) return Promise.resolve(base);
    const sums = this.liveSums?.state() ?? Promise.resolve(this.carriedSums);
    return sums.then((epochSums) => (epochSums === null ? base : { ...base, epochSums }));
  }

  restore(state: ProgressState): void {
    this.epoch = state.epoch;
    this.step = state.step ?? 0;
    this.carriedSums = this.step > 0 ? (state.epochSums ?? null) : null;
    this.shuffleSeed = state.shuffleSeed;
    this.layers.forEach((layer, i) => {
      const s = state.random[String(i)];
      if (s !== undefined) layer.setRandomState(s);
    });
    this.pending = { callbackStates: state.callbackStates, callbacks: state.callbacks };
  }
}
