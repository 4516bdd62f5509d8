/** The options of a `Sequential` model's constructor and of its `compile`. */
import type { Optimizer, OptimizerIdentifier } from '@opt/optimizers';
import type { LossSpec, MetricName } from './losses.js';
import type { StepModel } from './train-step.js';

/** Options of the `Sequential` constructor. */
export interface SequentialOptions {
  /** Input shape without the batch axis, e.g. [784]. Without it the model is built on its first input. */
  readonly inputShape?: readonly number[];
  /** Seed of the initial weights and of the default shuffling and dropout streams. Default: random. */
  readonly seed?: number;
  /** The model's name in configs and checkpoints. Default 'sequential'. */
  readonly name?: string;
}

/** Options of `Sequential.compile`, as Keras's `compile(optimizer, loss, metrics)`. */
export interface CompileOptions {
  /** An optimizer, or a Keras name ('sgd', 'rmsprop', 'adam', ...) for that preset with Keras's defaults. */
  readonly optimizer: OptimizerIdentifier;
  readonly loss: LossSpec;
  readonly metrics?: readonly MetricName[];
}

/** What `compile` sets: the step's model parts and the optimizer. */
export interface Compiled extends StepModel {
  readonly optimizer: Optimizer;
}
