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
  /** States of callbacks with `getState()`, keyed by position and class, e.g. '0:ReduceLROnPlateau'. */
  readonly callbacks?: Record<string, unknown>;
}

interface StatefulCallback {
  getState?(): unknown;
  setState?(state: unknown): void;
}

const callbackKey = (callback: object, index: number) => `${index}:${callback.constructor.name}`;

export class TrainingProgress {
  /** Epochs completed: the next fit resumes at this epoch. */
  epoch = 0;
  /** The seed that orders the shuffles of tensors (`Random.epochPermutation`). */
  shuffleSeed: number;
  /** The callbacks of the fit in progress. */
  private running: readonly object[] | null = null;
  /** Callback states read from a checkpoint, handed to the next fit's callbacks. */
  private pendingCallbackStates: Record<string, unknown> | null = null;

  constructor(
    private readonly layers: readonly Layer[],
    seed: number,
  ) {
    this.shuffleSeed = seed;
  }

  /**
   * A fit starts (after its callbacks' onTrainBegin): states from a loaded checkpoint go back to its callbacks,
   * by position and class, and its callbacks' states go into checkpoints written during it.
   */
  startFit(callbacks: readonly object[]): void {
    const states = this.pendingCallbackStates;
    this.pendingCallbackStates = null;
    this.running = callbacks;
    if (states === null) return;
    callbacks.forEach((cb, i) => {
      const state = states[callbackKey(cb, i)];
      const stateful = cb as StatefulCallback;
      if (state !== undefined && typeof stateful.setState === 'function') stateful.setState(state);
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
    const callbacks: Record<string, unknown> = {};
    (this.running ?? []).forEach((cb, i) => {
      const stateful = cb as StatefulCallback;
      if (typeof stateful.getState === 'function') callbacks[callbackKey(cb, i)] = stateful.getState();
    });
    return { epoch: this.epoch, shuffleSeed: this.shuffleSeed, random, callbacks };
  }

  restore(state: ProgressState): void {
    this.epoch = state.epoch;
    this.shuffleSeed = state.shuffleSeed;
    this.layers.forEach((layer, i) => {
      const s = state.random[String(i)];
      if (s !== undefined) layer.setRandomState(s);
    });
    const callbacks = state.callbacks ?? {};
    this.pendingCallbackStates = Object.keys(callbacks).length > 0 ? callbacks : null;
  }
}
