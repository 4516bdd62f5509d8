/**
 * The narrow view of a model that checkpoints need: what to write and where to put it back. `Sequential`
 * implements it; the checkpoint code knows nothing else of the model, so neither imports the other.
 */
import type { Optimizer } from '@opt/optimizers';
import type { LayerConfig, LayerWeight } from './layers/index.js';
import type { TrainingProgress } from './training-progress.js';

/** The key under which a model keeps its {@link TrainingProgress}: for checkpoints, not part of the model's API. */
export const trainingProgress: unique symbol = Symbol('@opt/layers training progress');

/** A model's architecture as JSON (Sequential's getConfig). */
export interface SequentialConfig {
  readonly name: string;
  readonly seed: number;
  readonly inputShape: number[] | null;
  readonly layers: LayerConfig[];
}

/** Compile settings as JSON (Sequential's getCompileConfig). */
export interface CompileConfig {
  readonly loss: { readonly name: string; readonly fromLogits: boolean };
  readonly metrics: readonly string[];
  readonly optimizer: { readonly className: string; readonly config: Record<string, unknown> };
}

/** What a checkpoint reads from and writes into a model; {@link Sequential} is one. */
export interface Checkpointable {
  readonly built: boolean;
  /** Every weight in a fixed order (trainable and moving statistics). */
  readonly weights: readonly LayerWeight[];
  readonly isCompiled: boolean;
  /** The compiled optimizer (read only when `isCompiled`). */
  readonly optimizer: Optimizer;
  /** Builds the layers (and the compiled optimizer's slots) for inputs of `inputShape`. */
  build(inputShape: readonly number[]): void;
  /** The architecture as JSON (Keras's `get_config`). */
  getConfig(): SequentialConfig;
  /** Compile settings as JSON, or null before `compile` (Keras's `get_compile_config`). */
  getCompileConfig(): CompileConfig | null;
  /** @internal */
  readonly [trainingProgress]: TrainingProgress;
}

export function isCheckpointable(value: unknown): value is Checkpointable {
  return typeof value === 'object' && value !== null && trainingProgress in value;
}
