/** Keras's BatchNormalization layer. */
import { type Random, tf } from '@opt/tensor';
import { batchMean, batchSum } from '../ops/index.js';
import { boolean, inRange, knownOptions } from '../validate.js';
import { type BackwardResult, type ForwardResult, flatSize, INPUT_SHAPE_HINT, Layer } from './layer.js';

/** Options of {@link BatchNormalization}: Keras's arguments in camelCase, with Keras's defaults (momentum 0.99, epsilon 1e-3). */
export interface BatchNormalizationOptions {
  readonly momentum?: number;
  readonly epsilon?: number;
  readonly center?: boolean;
  readonly scale?: boolean;
  readonly name?: string;
}

/**
 * Batch normalization over the last axis (Keras 3, axis = -1).
 *
 * Training: `xhat = (x - mean_B) / sqrt(var_B + epsilon)` with the batch mean and the
 * biased batch variance `var_B = mean((x - mean_B)^2)`, `y = gamma * xhat + beta`, then
 * `movingMean = movingMean * momentum + mean_B * (1 - momentum)` (same for the variance).
 * Inference: the same with `movingMean` and `movingVariance`.
 *
 * Backward (N rows): `dbeta = sum dy`, `dgamma = sum dy * xhat`,
 * `dx = gamma / sqrt(var_B + epsilon) * (dy - (dbeta + xhat * dgamma) / N)`.
 *
 * PyTorch's BatchNorm1d writes momentum the other way round: its 0.1 is Keras's 0.9,
 * and it updates the running variance with the unbiased batch variance.
 */
export class BatchNormalization extends Layer {
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  gamma: tf.Variable | null = null;
  beta: tf.Variable | null = null;
  movingMean: tf.Variable | null = null;
  movingVariance: tf.Variable | null = null;

  constructor(options: BatchNormalizationOptions = {}) {
    knownOptions('BatchNormalization', options, ['momentum', 'epsilon', 'center', 'scale', 'name'], {
      ...INPUT_SHAPE_HINT,
      eps: 'epsilon',
    });
    super('batch_normalization', options.name);
    this.momentum = inRange('BatchNormalization', 'momentum', options.momentum ?? 0.99, 0, 1, false);
    this.epsilon = inRange('BatchNormalization', 'epsilon', options.epsilon ?? 1e-3, 0, Number.MAX_VALUE, false);
    if (!(this.epsilon > 0)) throw new RangeError('BatchNormalization: `epsilon` must be > 0, got 0.');
    this.center = boolean('BatchNormalization', 'center', options.center ?? true);
    this.scale = boolean('BatchNormalization', 'scale', options.scale ?? true);
  }

  get className(): string {
    return 'BatchNormalization';
  }

  /** 2 when the statistics are taken over the batch axis alone ([batch, features] inputs), else 1. */
  override get minTrainingBatchSize(): number {
    const shape = this.inputShape;
    return shape === null || flatSize(shape.slice(0, -1)) === 1 ? 2 : 1;
  }

  override build(inputShape: readonly number[], random: Random): void {
    if (inputShape.length < 1) throw new Error(`Layer "${this.name}" (BatchNormalization) needs inputs of rank >= 2.`);
    super.build(inputShape, random);
    const c = [inputShape[inputShape.length - 1] as number];
    if (this.scale) this.gamma = this.addWeight('gamma', c, 'ones', random, true);
    if (this.center) this.beta = this.addWeight('beta', c, 'zeros', random, true);
    this.movingMean = this.addWeight('moving_mean', c, 'zeros', random, false);
    this.movingVariance = this.addWeight('moving_variance', c, 'ones', random, false);
  }

  /** `gamma * (x - mean) / sqrt(variance + epsilon) + beta` in one kernel (tfjs's FusedBatchNorm). */
  private normalize(x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor): tf.Tensor {
    return tf.batchNorm(
      x as tf.Tensor2D,
      mean as tf.Tensor1D,
      variance as tf.Tensor1D,
      (this.beta ?? undefined) as tf.Tensor1D | undefined,
      (this.gamma ?? undefined) as tf.Tensor1D | undefined,
      this.epsilon,
    );
  }

  forward(x: tf.Tensor, training: boolean): ForwardResult {
    const shape = x.shape;
    const c = shape[shape.length - 1] as number;
    const x2 = shape.length === 2 ? x : tf.reshape(x, [-1, c]);
    if (!training) {
      const y = this.normalize(x2, this.movingMean as tf.Tensor, this.movingVariance as tf.Tensor);
      return { y: shape.length === 2 ? y : tf.reshape(y, shape), cache: null };
    }
    const n = x2.shape[0] as number;
    if (n < 2) {
      // PyTorch refuses this too ("Expected more than 1 value per channel when training").
      throw new Error(
        `Layer "${this.name}" (BatchNormalization) got a training batch of 1 sample: the batch variance of one sample is 0, ` +
          'so every output would be beta (zeros at the start) whatever the input, and the layers before it would learn nothing. ' +
          'Train with batches of at least 2 samples (and no single-sample last batch: dropRemainder or another batchSize).',
      );
    }
    const mean = batchMean(x2);
    const centered = tf.sub(x2, mean);
    const variance = batchMean(tf.square(centered));
    const y = this.normalize(x2, mean, variance);
    const m = this.momentum;
    const mm = this.movingMean as tf.Variable;
    const mv = this.movingVariance as tf.Variable;
    mm.assign(tf.add(tf.mul(mm, m), tf.mul(mean, 1 - m)));
    mv.assign(tf.add(tf.mul(mv, m), tf.mul(variance, 1 - m)));
    return { y: shape.length === 2 ? y : tf.reshape(y, shape), cache: { centered, variance, n, shape } };
  }

  /**
   * With `c = x - mean_B` and `s = 1 / sqrt(var_B + epsilon)` (so `xhat = c s`): `dgamma = s sum(dy c)`, and
   * `dx = gamma s (dy - dbeta / N - c (s dgamma / N))`, which is one FusedBatchNorm of `dy - c (s dgamma / N)`
   * with mean `dbeta / N`: four kernels over the batch instead of six.
   */
  backward(dy: tf.Tensor, cache: unknown, needDx: boolean): BackwardResult {
    if (cache === null) throw new Error(`${this.name}: backward needs a forward pass in training mode.`);
    const { centered, variance, n, shape } = cache as {
      centered: tf.Tensor;
      variance: tf.Tensor;
      n: number;
      shape: number[];
    };
    const c = shape[shape.length - 1] as number;
    const dy2 = shape.length === 2 ? dy : tf.reshape(dy, [-1, c]);
    const invStd = tf.rsqrt(tf.add(variance, this.epsilon));
    const dbeta = batchSum(dy2);
    const dgamma = tf.mul(batchSum(tf.mul(dy2, centered)), invStd);
    const grads: tf.Tensor[] = [];
    if (this.gamma !== null) grads.push(dgamma);
    if (this.beta !== null) grads.push(dbeta);
    if (!needDx) return { dx: null, grads };
    const inner = tf.sub(dy2, tf.mul(centered, tf.mul(dgamma, tf.mul(invStd, 1 / n))));
    const dx = tf.batchNorm(
      inner as tf.Tensor2D,
      tf.mul(dbeta, 1 / n) as tf.Tensor1D,
      variance as tf.Tensor1D,
      undefined,
      (this.gamma ?? undefined) as tf.Tensor1D | undefined,
      this.epsilon,
    );
    return { dx: shape.length === 2 ? dx : tf.reshape(dx, shape), grads };
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, momentum: this.momentum, epsilon: this.epsilon, center: this.center, scale: this.scale };
  }
}
