/**
 * Where a model's training stands, beyond its weights and its optimizer: the epochs completed, the seed of the
 * shuffles, the layers' random streams (Dropout) and the state of the running fit's callbacks. Checkpoints save
 * it and hand it back, so that a resumed run repeats exactly what an uninterrupted one would have done.
 */
import type { RandomState } from '@opt/tensor';
import type { Layer } from './layers.js';

/** The JSON form a checkpoint stores (`training` in model.json). */
export interface ProgressState {
  readonly epoch: number;
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

export class TrainingProgress {
  /** Epochs completed: the next fit resumes at this epoch. */
  epoch = 0;
  /** The seed that orders the shuffles of tensors (`Random.epochPermutation`). */
  shuffleSeed: number;
  /** The callbacks of the fit in progress with state, and their keys. */
  private running: { callbacks: readonly object[]; keys: Map<object, string> } | null = null;
  /** Callback states read from a checkpoint, handed to the next fit's callbacks. */
  private pending: Pick<ProgressState, 'callbackStates' | 'callbacks'> | null = null;

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

  endFit(): void {
    this.running = null;
  }

  snapshot(): ProgressState {
    const random: Record<string, RandomState> = {};
    this.layers.forEach((layer, i) => {
      const s = layer.getRandomState();
      if (s !== null) random[String(i)] = s;
    });
    const callbackStates: Record<string, unknown> = {};
    for (const [cb, key] of this.running?.keys ?? []) callbackStates[key] = (cb as StatefulCallback).getState?.();
    return { epoch: this.epoch, shuffleSeed: this.shuffleSeed, random, callbackStates };
  }

  restore(state: ProgressState): void {
    this.epoch = state.epoch;
    this.shuffleSeed = state.shuffleSeed;
    this.layers.forEach((layer, i) => {
      const s = state.random[String(i)];
      if (s !== undefined) layer.setRandomState(s);
    });
    this.pending = { callbackStates: state.callbackStates, callbacks: state.callbacks };
  }
}
