/** What the building blocks share: the learning rate they may apply, zero slots, the moving-average step. */
import { tf } from '@opt/tensor';
import { describeLearningRate, type LearningRate, learningRateAt } from '../learning-rate.js';
import type { SlotState, StepContext, TransformRole } from '../transform.js';
import { positive } from '../validate.js';

/**
 * A building block's own `learningRate` option. Absent: it leaves the rate to a later `scaleByLearningRate()`.
 * `'optimizer'` (the optimizer's rate, schedules included) or a rate: it multiplies `-lr` in where Keras's formula
 * does (Adam's `alpha = lr * c`), so it applies the learning rate itself and ends the chain.
 */
export type OwnRate = LearningRate | 'optimizer' | undefined;

/** The learning rate at `ctx.step`: the transformation's own (a schedule's value checked), or the optimizer's. */
export function rateAt(owner: string, own: LearningRate | 'optimizer' | undefined, ctx: StepContext): number {
  return own === undefined || own === 'optimizer' ? ctx.learningRate : learningRateAt(owner, own, ctx.step);
}

export function checkRate(owner: string, lr: OwnRate): void {
  if (lr !== undefined && lr !== 'optimizer' && typeof lr !== 'function') positive(owner, 'learningRate', lr, '0.001');
}

export function describeRate(lr: OwnRate): unknown {
  return lr === undefined || lr === 'optimizer' ? 'optimizer' : describeLearningRate(lr);
}

/** The config entry of a block's own rate: `{ learningRate }` when it applies one, nothing otherwise. */
export function ownRate(lr: OwnRate): { learningRate?: unknown } {
  return lr === undefined ? {} : { learningRate: describeRate(lr) };
}

/** `'learningRate'` when the block applies the rate itself, `'gradient'` otherwise. */
export function roleWith(lr: OwnRate): TransformRole {
  return lr === undefined ? 'gradient' : 'learningRate';
}

/** `-lr` as a scalar when the block applies the rate itself, else null. */
export function negativeRate(owner: string, lr: OwnRate, ctx: StepContext): tf.Scalar | null {
  return lr === undefined ? null : tf.scalar(-rateAt(owner, lr, ctx));
}

/** `x * scale`, or `x` when there is no scale. */
export function scaled(x: tf.Tensor, scale: tf.Scalar | null): tf.Tensor {
  return scale === null ? x : tf.mul(x, scale);
}

/** An `init` that starts each named slot at zeros of the parameter's shape. */
export const zeroSlots =
  (...names: string[]) =>
  (params: readonly tf.Tensor[]): SlotState =>
    params.map((p) => Object.fromEntries(names.map((n) => [n, tf.zerosLike(p)])));

/** The exponential moving average `avg = beta * avg + (1 - beta) * x`, in the order Keras's RMSprop computes it. */
export function emaStep(avg: tf.Tensor, x: tf.Tensor, b: tf.Tensor, oneMinusB: tf.Tensor): tf.Tensor {
  return tf.add(tf.mul(b, avg), tf.mul(oneMinusB, x));
}
