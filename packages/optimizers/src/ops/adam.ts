/** Keras's Adam moments and update for one variable: portable tfjs ops, or three WebGL programs. */
import { tf } from '@opt/tensor';
import { passedGate } from './apply-updates.js';
import { ADAM_MOMENTUM, ADAM_UPDATE, ADAM_VELOCITY, webglOps } from './webgl-programs.js';

export interface AdamConstants {
  readonly oneMinusBeta1: number;
  readonly oneMinusBeta2: number;
  /** Keras's `alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)`, negated; or the bias correction alone. */
  readonly stepSize: number;
  readonly epsilon: number;
}

export interface AdamOpOptions {
  /** The verdict on the device: a kernel that takes it keeps the old moments and returns a zero update when shut. */
  readonly gate?: tf.Tensor | null;
  /** A kept scalar for a constant (the optimizer's cache); a fresh one otherwise. */
  readonly scalar?: (value: number) => tf.Scalar;
}

/**
 * Keras's Adam, the same operations in the same order on every backend:
 * `m' = m + (g - m) * (1 - beta1)`; `v' = v + (g^2 - v) * (1 - beta2)`; `update = (m' * stepSize) / (sqrt(v') + eps)`.
 */
export function adamUpdate(
  g: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  c: AdamConstants,
  options: AdamOpOptions = {},
): { momentum: tf.Tensor; velocity: tf.Tensor; update: tf.Tensor } {
  const scalar = options.scalar ?? tf.scalar;
  if (webglOps()) {
    // One pass per result instead of eleven elementwise kernels, each a pass over the texels.
    const gate = options.gate ?? scalar(1);
    const engine = tf.engine();
    const momentum = engine.runKernel(ADAM_MOMENTUM, { g, m, gate }, { oneMinusBeta: c.oneMinusBeta1 }) as tf.Tensor;
    const velocity = engine.runKernel(ADAM_VELOCITY, { g, v, gate }, { oneMinusBeta: c.oneMinusBeta2 }) as tf.Tensor;
    const attrs = { stepSize: c.stepSize, epsilon: c.epsilon };
    const update = engine.runKernel(ADAM_UPDATE, { m: momentum, v: velocity, gate }, attrs) as tf.Tensor;
    if (options.gate !== undefined && options.gate !== null) for (const t of [momentum, velocity]) passedGate(t, gate);
    return { momentum, velocity, update };
  }
  return adamUpdateReference(g, m, v, c, scalar);
}

/** {@link adamUpdate} in tfjs ops, on every backend (the gate is left to the optimizer's write). */
export function adamUpdateReference(
  g: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  c: AdamConstants,
  scalar: (value: number) => tf.Scalar = tf.scalar,
): { momentum: tf.Tensor; velocity: tf.Tensor; update: tf.Tensor } {
  const momentum = emaIncrement(m, g, scalar(c.oneMinusBeta1));
  const velocity = emaIncrement(v, tf.square(g), scalar(c.oneMinusBeta2));
  return { momentum, velocity, update: adamDirection(momentum, velocity, tf.scalar(c.stepSize), scalar(c.epsilon)) };
}

/** The moving average as an increment, `avg + (x - avg) * (1 - beta)`: Keras's form for Adam's moments. */
export function emaIncrement(avg: tf.Tensor, x: tf.Tensor, oneMinusBeta: tf.Tensor): tf.Tensor {
  return tf.add(avg, tf.mul(tf.sub(x, avg), oneMinusBeta));
}

/** `(m * stepSize) / (sqrt(v) + eps)`, Keras's order. */
export function adamDirection(m: tf.Tensor, v: tf.Tensor, stepSize: tf.Tensor, epsilon: tf.Tensor): tf.Tensor {
  return tf.div(tf.mul(m, stepSize), tf.add(tf.sqrt(v), epsilon));
}
