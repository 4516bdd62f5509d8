/**
 * The shapes this package needs from its neighbours, restated structurally so
 * that any object of the agreed shape fits (see the optimizers and schedules
 * packages for the real implementations).
 */
import type { NamedWeight, tf } from '@opt/tensor';

/** @opt/optimizers' `OptimizerState` (what `getState` returns and `setState` takes). */
export interface OptimizerStateLike {
  readonly format: string;
  readonly className: string;
  readonly config: Record<string, unknown>;
  readonly iterations: number;
  readonly learningRate: number;
  readonly slots: ReadonlyArray<NamedWeight>;
  readonly extra?: Record<string, unknown>;
}

/**
 * The part of @opt/optimizers' `Optimizer` the fit loop uses: exactly
 * `applyGradients`, `build`, `iterations`, `learningRate`, `getConfig`,
 * `getState` and `setState`.
 */
export interface TrainingOptimizer {
  applyGradients(pairs: ReadonlyArray<readonly [grad: tf.Tensor, variable: tf.Variable]>): void;
  build(variables: readonly tf.Variable[]): void;
  readonly iterations: number;
  learningRate: number;
  getConfig(): { className: string; config: Record<string, unknown> };
  getState(): Promise<OptimizerStateLike>;
  setState(state: OptimizerStateLike): void;
}

/** One batch of a {@link BatchSource}. */
export interface Batch {
  readonly x: tf.Tensor;
  readonly y: tf.Tensor;
}

/**
 * Batches streamed from elsewhere (e.g. @opt/data-fashion-mnist's batch
 * iterator) instead of whole tensors. `fit` asks for one iterable per epoch
 * and disposes each batch's `x` and `y` after its step; the source does the
 * shuffling.
 */
export interface BatchSource {
  /** Number of batches each epoch yields (for progress and `onBatchEnd` counts). */
  readonly batchesPerEpoch: number;
  /** The batches of epoch `epoch` (0-based). */
  batches(epoch: number): AsyncIterable<Batch> | Iterable<Batch>;
}

export function isBatchSource(value: unknown): value is BatchSource {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as BatchSource).batches === 'function' &&
    typeof (value as BatchSource).batchesPerEpoch === 'number'
  );
}
