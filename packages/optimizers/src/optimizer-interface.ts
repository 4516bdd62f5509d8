/** What every optimizer of this package does: the interface the presets and the wrappers implement. */
import type { tf } from '@opt/tensor';
import type { OptimizerState } from './state.js';
import type { Gradients } from './tfjs.js';

/** `getConfig()`'s result: the preset's name and its arguments, JSON-able (tfjs's `ConfigDict`). */
export type OptimizerConfig = { className: string; config: tf.serialization.ConfigDict };

/** What every optimizer of this package does (Keras's base optimizer, camelCase). */
export interface Optimizer {
  /** `[gradient, variable]` pairs, or tfjs's `{ [variableName]: gradient }` / `[{ name, tensor }]`. */
  applyGradients(gradients: Gradients): void;
  /** Computes the gradients of `lossFn` with respect to `varList` (default: every trainable variable) and applies them; returns the loss. */
  minimize(lossFn: () => tf.Scalar, varList?: tf.Variable[]): tf.Scalar;
  /** tfjs's signature: the loss when `returnCost` is true. */
  minimize(lossFn: () => tf.Scalar, returnCost: true, varList?: tf.Variable[]): tf.Scalar;
  /** tfjs's signature: null when `returnCost` is false. */
  minimize(lossFn: () => tf.Scalar, returnCost: false, varList?: tf.Variable[]): null;
  /** Creates the slots for `variables` (Keras's `build`); `applyGradients` builds unseen variables itself. */
  build(variables: readonly tf.Variable[]): void;
  /** Steps applied so far (Keras's `iterations`); schedules are evaluated at this step. */
  readonly iterations: number;
  /** The constant rate, or the schedule's value at `iterations`. */
  learningRate: number;
  /** The preset's class name and its arguments, JSON-able: `optimizerFromConfig` rebuilds it. */
  getConfig(): { className: string; config: Record<string, unknown> };
  /**
   * Keras's `scale_loss`: what a training step takes the gradients of, before `applyGradients` divides them by the
   * same scale. Absent: the loss itself.
   */
  scaleLoss?(loss: tf.Scalar): tf.Scalar;
  /** Reads the slots from the device: async. */
  getState(): Promise<OptimizerState>;
  /** Writes plain numbers: sync. */
  setState(state: OptimizerState): void;
  /** Throws a NonFiniteGradientError if a step had a non-finite gradient (`nonFiniteGradients: 'throw'`). */
  checkGradients(): Promise<void>;
  /** Frees the slots; the optimizer is unusable afterwards. */
  dispose(): void;
}
